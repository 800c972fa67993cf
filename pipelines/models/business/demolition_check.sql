-- 数智征迁: each house in a demolition project, compensation against the registered area.
WITH projects AS (
    SELECT
        demolition_project,
        percentile_approx(compensation_amount / area_sqm, 0.5) AS project_median_price
    FROM ref('base.housing')
    WHERE demolition_project IS NOT NULL AND area_sqm > 0 AND compensation_amount IS NOT NULL
    GROUP BY demolition_project
),
checked AS (
    SELECT
        h.house_id,
        h.demolition_project,
        h.owner_id_number,
        h.owner_name,
        h.address,
        h.town,
        h.area_sqm,
        h.compensation_amount,
        ROUND(h.compensation_amount / h.area_sqm, 2) AS unit_price,
        ROUND(pr.project_median_price, 2) AS project_median_price,
        p.status AS owner_status,
        CASE
            WHEN h.area_sqm IS NULL OR h.area_sqm <= 0 THEN '登记面积缺失'
            WHEN h.compensation_amount IS NULL THEN '补偿金额缺失'
            WHEN h.compensation_amount / h.area_sqm < 2500 OR h.compensation_amount / h.area_sqm > 6000
                THEN '补偿单价超出标准区间'
            WHEN abs(h.compensation_amount / h.area_sqm / pr.project_median_price - 1) > 0.3
                THEN '偏离项目中位单价30%以上'
            WHEN p.status = '死亡注销' THEN '权利人已死亡注销'
            WHEN p.id_number IS NULL THEN '权利人不在户籍库'
            ELSE '一致'
        END AS check_result
    FROM ref('base.housing') h
    LEFT JOIN projects pr ON pr.demolition_project = h.demolition_project
    LEFT JOIN ref('base.population') p ON p.id_number = h.owner_id_number
    WHERE h.demolition_project IS NOT NULL
)
SELECT
    house_id, demolition_project, owner_id_number, owner_name, address, town, area_sqm, compensation_amount,
    unit_price, project_median_price, owner_status, check_result, check_result <> '一致' AS needs_review
FROM checked
