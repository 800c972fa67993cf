-- 一人一档: one row per registered resident, joining what every department holds about them.
-- person_key is declared a pseudonym and the identifying columns are classified in the sidecar: the
-- runner writes the keyed pseudonym and masked values, never the clear identifiers joined here.
WITH insurance AS (
    SELECT
        id_number,
        COUNT(*) AS insurance_count,
        concat_ws('、', sort_array(collect_set(insurance_type))) AS insurance_types,
        MAX(CASE WHEN status = '参保缴费' THEN 1 ELSE 0 END) AS insured_active,
        MIN(name) AS insurance_name_min,
        MAX(name) AS insurance_name_max,
        MIN(address) AS insurance_address_min,
        MAX(address) AS insurance_address_max
    FROM ref('base.social_insurance')
    GROUP BY id_number
),
assistance AS (
    SELECT
        id_number,
        COUNT(*) AS payment_count,
        SUM(amount) AS assistance_total,
        MAX(pay_date) AS last_pay_date,
        concat_ws('、', sort_array(collect_set(program))) AS assistance_programs
    FROM ref('base.assistance_payment')
    GROUP BY id_number
),
houses AS (
    SELECT
        owner_id_number,
        COUNT(*) AS house_count,
        SUM(area_sqm) AS house_area_sqm,
        SUM(CASE WHEN demolition_project IS NOT NULL THEN 1 ELSE 0 END) AS demolition_house_count
    FROM ref('base.housing')
    GROUP BY owner_id_number
),
events AS (
    SELECT
        reporter_phone,
        COUNT(*) AS event_count,
        SUM(CASE WHEN status = '处理中' THEN 1 ELSE 0 END) AS open_event_count
    FROM ref('base.grid_event')
    WHERE reporter_phone IS NOT NULL
    GROUP BY reporter_phone
)
SELECT
    p.id_number AS person_key,
    p.id_number,
    p.name,
    p.gender,
    p.birth_date,
    CAST(months_between(current_date(), p.birth_date) / 12 AS INT) AS age,
    p.ethnicity,
    p.household_address,
    p.town,
    p.phone,
    p.status AS household_status,
    p.death_date,
    COALESCE(i.insurance_count, 0) AS insurance_count,
    i.insurance_types,
    COALESCE(i.insured_active, 0) = 1 AS insured_active,
    COALESCE(a.payment_count, 0) AS assistance_payment_count,
    COALESCE(a.assistance_total, 0) AS assistance_total,
    a.assistance_programs,
    a.last_pay_date,
    COALESCE(h.house_count, 0) AS house_count,
    h.house_area_sqm,
    COALESCE(h.demolition_house_count, 0) AS demolition_house_count,
    COALESCE(e.event_count, 0) AS event_count,
    COALESCE(e.open_event_count, 0) AS open_event_count,
    COALESCE(i.insurance_name_min <> p.name OR i.insurance_name_max <> p.name, false)
        OR COALESCE(i.insurance_address_min <> p.household_address
            OR i.insurance_address_max <> p.household_address, false) AS conflict_flag,
    NULLIF(concat_ws(',',
        CASE WHEN i.insurance_name_min <> p.name OR i.insurance_name_max <> p.name THEN 'name' END,
        CASE WHEN i.insurance_address_min <> p.household_address
            OR i.insurance_address_max <> p.household_address THEN 'address' END
    ), '') AS conflict_fields,
    CASE WHEN a.last_pay_date IS NOT NULL AND p.death_date IS NOT NULL AND a.last_pay_date > p.death_date
        THEN true ELSE false END AS paid_after_death
FROM ref('base.population') p
LEFT JOIN insurance i ON i.id_number = p.id_number
LEFT JOIN assistance a ON a.id_number = p.id_number
LEFT JOIN houses h ON h.owner_id_number = p.id_number
LEFT JOIN events e ON e.reporter_phone = p.phone
