-- 免申即享: residents who qualify for a benefit without applying, and the facts that show it.
WITH elderly AS (
    SELECT
        person_key,
        id_number,
        name,
        town,
        age,
        '高龄补贴' AS subsidy,
        CASE WHEN age >= 100 THEN 300 WHEN age >= 90 THEN 100 ELSE 50 END AS monthly_amount,
        concat('年龄', CAST(age AS STRING), '岁（公安户籍出生日期），户籍状态正常，民政未发放高龄补贴') AS basis,
        'base.population.birth_date, base.population.status, base.assistance_payment.program' AS fact_sources
    FROM ref('theme.person_profile')
    WHERE household_status = '正常'
        AND age >= 80
        AND instr(COALESCE(assistance_programs, ''), '高龄补贴') = 0
),
medical AS (
    SELECT
        person_key,
        id_number,
        name,
        town,
        age,
        '城乡居民医保参保资助' AS subsidy,
        CAST(380 AS INT) AS monthly_amount,
        concat('享受', assistance_programs, '（民政），未参加基本医疗保险（人社）') AS basis,
        'base.assistance_payment.program, base.social_insurance.insurance_type' AS fact_sources
    FROM ref('theme.person_profile')
    WHERE household_status = '正常'
        AND (instr(COALESCE(assistance_programs, ''), '最低生活保障') > 0
            OR instr(COALESCE(assistance_programs, ''), '特困人员供养') > 0)
        AND instr(COALESCE(insurance_types, ''), '医疗保险') = 0
)
SELECT person_key, id_number, name, town, age, subsidy, monthly_amount, basis, fact_sources FROM elderly
UNION ALL
SELECT person_key, id_number, name, town, age, subsidy, monthly_amount, basis, fact_sources FROM medical
