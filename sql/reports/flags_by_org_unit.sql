-- Flags by org unit and seniority band: cells behind fewer people than the minimum (5) are shown as "<5".
SELECT coalesce(pe.org_unit, a.org_unit) AS org_unit,
       coalesce(pe.seniority_band, 'official account') AS seniority_band,
       count(*) AS flags,
       count(DISTINCT pe.id) AS flags__people,
       count(*) FILTER (WHERE f.closed_at IS NULL) AS open,
       count(DISTINCT pe.id) FILTER (WHERE f.closed_at IS NULL) AS open__people,
       count(DISTINCT a.id) AS accounts,
       count(DISTINCT pe.id) AS accounts__people
FROM flag f
-- an index lookup per flag of the period (OFFSET 0 keeps it so), not a scan of all posts
CROSS JOIN LATERAL (SELECT account_id FROM post WHERE id = f.post_id OFFSET 0) p
JOIN account a ON a.id = p.account_id
LEFT JOIN person pe ON pe.id = a.owner_id AND a.kind = 'personal'
WHERE f.created_at >= :date_from AND f.created_at < :date_to AND NOT f.is_sample
GROUP BY 1, 2
ORDER BY org_unit, seniority_band
