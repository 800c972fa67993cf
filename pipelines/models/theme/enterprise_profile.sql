-- 一企一档: one row per registered market entity with recognitions, hazards, staff and a credit grade.
WITH hazards AS (
    SELECT uscc, hazard_category, risk_level, open_hazards, last_inspection_date
    FROM ref('base.hazard_enterprise')
),
agri AS (
    SELECT
        uscc,
        COUNT(*) AS agri_recognition_count,
        concat_ws('、', sort_array(collect_set(operator_type))) AS agri_recognitions,
        SUM(subsidy_amount) AS agri_subsidy_total
    FROM ref('base.agri_operator')
    WHERE uscc IS NOT NULL
    GROUP BY uscc
),
staff AS (
    SELECT employer_uscc, COUNT(DISTINCT id_number) AS insured_employees
    FROM ref('base.social_insurance')
    WHERE employer_uscc IS NOT NULL AND status = '参保缴费'
    GROUP BY employer_uscc
),
scored AS (
    SELECT
        m.uscc,
        m.entity_name,
        m.entity_type,
        m.legal_rep_name,
        m.registered_capital,
        m.established_date,
        m.town,
        m.industry,
        m.status AS registration_status,
        m.deregistered_date,
        h.hazard_category,
        h.risk_level,
        COALESCE(h.open_hazards, 0) AS open_hazards,
        h.last_inspection_date,
        COALESCE(g.agri_recognition_count, 0) AS agri_recognition_count,
        g.agri_recognitions,
        COALESCE(g.agri_subsidy_total, 0) AS agri_subsidy_total,
        COALESCE(s.insured_employees, 0) AS insured_employees,
        100
            - CASE m.status WHEN '吊销' THEN 40 WHEN '注销' THEN 20 ELSE 0 END
            - CASE h.risk_level WHEN '重大风险' THEN 20 WHEN '较大风险' THEN 10 ELSE 0 END
            - LEAST(COALESCE(h.open_hazards, 0) * 5, 30) AS credit_score
    FROM ref('base.market_entity') m
    LEFT JOIN hazards h ON h.uscc = m.uscc
    LEFT JOIN agri g ON g.uscc = m.uscc
    LEFT JOIN staff s ON s.employer_uscc = m.uscc
)
SELECT
    uscc, entity_name, entity_type, legal_rep_name, registered_capital, established_date, town, industry,
    registration_status, deregistered_date, hazard_category, risk_level, open_hazards, last_inspection_date,
    agri_recognition_count, agri_recognitions, agri_subsidy_total, insured_employees, credit_score,
    CASE WHEN credit_score >= 90 THEN 'A' WHEN credit_score >= 75 THEN 'B' WHEN credit_score >= 60 THEN 'C'
        ELSE 'D' END AS credit_grade
FROM scored
