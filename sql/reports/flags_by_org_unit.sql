-- Flags by org unit and seniority band: counts under the small-cell minimum (5) are shown as "<5".
WITH cells AS (
    SELECT coalesce(pe.org_unit, a.org_unit) AS org_unit,
           coalesce(pe.seniority_band, 'official account') AS seniority_band,
           count(*) AS flags,
           count(*) FILTER (WHERE f.closed_at IS NULL) AS open,
           count(DISTINCT a.id) AS accounts
    FROM flag f
    -- an index lookup per flag of the period (OFFSET 0 keeps it so), not a scan of all posts
    CROSS JOIN LATERAL (SELECT account_id FROM post WHERE id = f.post_id OFFSET 0) p
    JOIN account a ON a.id = p.account_id
    LEFT JOIN person pe ON pe.id = a.owner_id
    WHERE f.created_at >= :date_from AND f.created_at < :date_to AND NOT f.is_sample
    GROUP BY 1, 2
)
SELECT org_unit,
       seniority_band,
       CASE WHEN flags < :min_cell THEN '<' || :min_cell ELSE flags::text END AS flags,
       CASE WHEN open < :min_cell THEN '<' || :min_cell ELSE open::text END AS open,
       CASE WHEN accounts < :min_cell THEN '<' || :min_cell ELSE accounts::text END AS accounts
FROM cells
ORDER BY org_unit, seniority_band
