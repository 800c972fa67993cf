-- 民生保障: per town and assistance programme, who is covered and what was paid in the year.
-- The profile holds no clear IDs: payments find their person through person_key(), the hub's keyed pseudonym.
SELECT
    a.town,
    a.program,
    COUNT(DISTINCT a.id_number) AS recipients,
    COUNT(*) AS payments,
    SUM(a.amount) AS amount_total,
    ROUND(SUM(a.amount) / COUNT(DISTINCT a.id_number), 2) AS amount_per_recipient,
    COUNT(DISTINCT CASE WHEN p.age >= 80 THEN a.id_number END) AS recipients_80_plus,
    COUNT(DISTINCT CASE WHEN p.insured_active THEN a.id_number END) AS recipients_insured,
    COUNT(DISTINCT CASE WHEN p.household_status = '死亡注销' THEN a.id_number END) AS recipients_deceased,
    MAX(a.pay_date) AS last_pay_date
FROM ref('base.assistance_payment') a
LEFT JOIN ref('theme.person_profile') p ON p.person_key = person_key(a.id_number)
WHERE a.town IS NOT NULL
GROUP BY a.town, a.program
