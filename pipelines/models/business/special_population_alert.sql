-- 特殊人群监测: assistance paid after the recipient's registered death — the list a civil-affairs
-- officer checks, stops and recovers.
SELECT
    a.payment_id,
    p.id_number,
    p.name,
    COALESCE(a.town, p.town) AS town,
    a.program,
    a.amount,
    a.pay_date,
    p.death_date,
    datediff(a.pay_date, p.death_date) AS days_after_death,
    '死亡后仍发放' AS alert_type,
    '区民政局' AS responsible_department,
    '核实后停发并追回已发放资金' AS action
FROM ref('base.assistance_payment') a
JOIN ref('base.population') p ON p.id_number = a.id_number
WHERE p.status = '死亡注销'
    AND p.death_date IS NOT NULL
    AND a.pay_date > p.death_date
