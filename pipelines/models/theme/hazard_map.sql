-- 应急隐患一张图: every supervised enterprise on the map with its risk score and inspection status.
SELECT
    h.uscc,
    h.enterprise_name,
    h.hazard_category,
    h.risk_level,
    h.town,
    h.address,
    h.lon,
    h.lat,
    COALESCE(h.lon BETWEEN 115.55 AND 116.25 AND h.lat BETWEEN 29.45 AND 29.95, false) AS location_valid,
    COALESCE(h.open_hazards, 0) AS open_hazards,
    h.last_inspection_date,
    datediff(current_date(), h.last_inspection_date) AS days_since_inspection,
    COALESCE(datediff(current_date(), h.last_inspection_date) > 365, true) AS inspection_overdue,
    m.status AS registration_status,
    CASE h.risk_level WHEN '重大风险' THEN 40 WHEN '较大风险' THEN 30 WHEN '一般风险' THEN 20 ELSE 10 END
        + LEAST(COALESCE(h.open_hazards, 0), 10) AS risk_score,
    h.contact_name,
    h.contact_phone
FROM ref('base.hazard_enterprise') h
LEFT JOIN ref('base.market_entity') m ON m.uscc = h.uscc
