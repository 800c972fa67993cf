-- 特殊人群监测: assistance paid after the recipient's registered death (公安户籍死亡注销) or while the
-- recipient is detained or serving a sentence (公安在押服刑人员名单) — one row per payment, the list a
-- civil-affairs officer checks, stops and recovers.
WITH held AS (
    SELECT
        a.payment_id,
        c.custody_id,
        c.custody_type,
        c.facility,
        c.custody_start_date,
        c.release_date,
        ROW_NUMBER() OVER (PARTITION BY a.payment_id ORDER BY c.custody_start_date DESC, c.custody_id) AS rank
    FROM ref('base.assistance_payment') a
    JOIN ref('base.custody') c ON c.id_number = a.id_number
    WHERE a.pay_date >= c.custody_start_date
        AND (c.release_date IS NULL OR a.pay_date < c.release_date)
),
flagged AS (
    SELECT
        a.payment_id,
        p.id_number,
        p.name,
        COALESCE(a.town, p.town) AS town,
        a.program,
        a.amount,
        date_format(a.pay_date, 'yyyy-MM') AS pay_month,
        a.pay_date,
        p.status = '死亡注销' AND p.death_date IS NOT NULL AND a.pay_date > p.death_date AS after_death,
        p.death_date,
        h.custody_id,
        h.custody_type,
        h.facility,
        h.custody_start_date,
        h.release_date
    FROM ref('base.assistance_payment') a
    JOIN ref('base.population') p ON p.id_number = a.id_number
    LEFT JOIN held h ON h.payment_id = a.payment_id AND h.rank = 1
)
SELECT
    payment_id,
    id_number,
    name,
    town,
    program,
    amount,
    pay_month,
    pay_date,
    CASE WHEN after_death THEN '死亡后仍领取' ELSE '服刑期间仍领取' END AS alert_type,
    CASE WHEN after_death THEN death_date ELSE custody_start_date END AS event_date,
    datediff(pay_date, CASE WHEN after_death THEN death_date ELSE custody_start_date END) AS days_after_event,
    death_date,
    custody_id,
    custody_type,
    facility,
    custody_start_date,
    release_date,
    CASE WHEN after_death THEN '区公安分局（户籍死亡注销）；区民政局（救助补贴发放）'
        ELSE '区公安分局（在押服刑人员名单）；区民政局（救助补贴发放）' END AS source_departments,
    '区民政局' AS responsible_department,
    CASE WHEN after_death THEN '核实死亡信息后停发，并追回死亡后已发放资金'
        ELSE '核实羁押、服刑情况后暂停发放，并追回羁押期间已发放资金' END AS action
FROM flagged
WHERE after_death OR custody_id IS NOT NULL
