-- 基层治理（人房地事物组织）: per town (乡镇/街道) and its grids, the people, houses, land, events,
-- hazardous things and organisations the grid workers look after.
WITH people AS (
    SELECT town, COUNT(*) AS residents, SUM(CASE WHEN status = '死亡注销' THEN 1 ELSE 0 END) AS deceased
    FROM ref('base.population')
    GROUP BY town
),
houses AS (
    SELECT town, COUNT(*) AS houses, SUM(area_sqm) AS house_area_sqm
    FROM ref('base.housing')
    GROUP BY town
),
land AS (
    SELECT town, COUNT(*) AS agri_operators, SUM(farmland_mu) AS farmland_mu
    FROM ref('base.agri_operator')
    GROUP BY town
),
events AS (
    SELECT
        town,
        COUNT(*) AS events,
        SUM(CASE WHEN status = '处理中' THEN 1 ELSE 0 END) AS open_events,
        COUNT(DISTINCT grid_code) AS grids
    FROM ref('base.grid_event')
    GROUP BY town
),
things AS (
    SELECT
        town,
        COUNT(*) AS hazard_enterprises,
        SUM(CASE WHEN risk_level IN ('重大风险', '较大风险') THEN 1 ELSE 0 END) AS high_risk_enterprises
    FROM ref('base.hazard_enterprise')
    GROUP BY town
),
orgs AS (
    SELECT town, COUNT(*) AS market_entities
    FROM ref('base.market_entity')
    WHERE status = '存续'
    GROUP BY town
),
towns AS (
    SELECT town FROM people
    UNION SELECT town FROM houses
    UNION SELECT town FROM land
    UNION SELECT town FROM events
    UNION SELECT town FROM things
    UNION SELECT town FROM orgs
)
SELECT
    t.town,
    COALESCE(e.grids, 0) AS grids,
    COALESCE(p.residents, 0) - COALESCE(p.deceased, 0) AS residents,
    COALESCE(h.houses, 0) AS houses,
    h.house_area_sqm,
    COALESCE(l.agri_operators, 0) AS agri_operators,
    l.farmland_mu,
    COALESCE(e.events, 0) AS events,
    COALESCE(e.open_events, 0) AS open_events,
    COALESCE(th.hazard_enterprises, 0) AS hazard_enterprises,
    COALESCE(th.high_risk_enterprises, 0) AS high_risk_enterprises,
    COALESCE(o.market_entities, 0) AS market_entities
FROM towns t
LEFT JOIN people p ON p.town = t.town
LEFT JOIN houses h ON h.town = t.town
LEFT JOIN land l ON l.town = t.town
LEFT JOIN events e ON e.town = t.town
LEFT JOIN things th ON th.town = t.town
LEFT JOIN orgs o ON o.town = t.town
WHERE t.town IS NOT NULL
