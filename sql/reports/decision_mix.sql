-- Decision mix per category: the latest decision on each flag decided in the period; no_concern_pct is the precision signal for thresholds.
WITH fin AS (
    SELECT DISTINCT ON (r.flag_id) r.flag_id, r.decision
    FROM review r
    WHERE r.created_at >= :date_from AND r.created_at < :date_to
    ORDER BY r.flag_id, r.created_at DESC, r.id DESC
)
-- one index lookup per decided flag (OFFSET 0 keeps it so): the cost follows the period,
-- not the size of the flag table
SELECT coalesce(f.category, 'all') AS category,
       count(*) AS decided,
       count(*) FILTER (WHERE fin.decision = 'no_concern') AS no_concern,
       count(*) FILTER (WHERE fin.decision = 'advise') AS advise,
       count(*) FILTER (WHERE fin.decision = 'escalate') AS escalate,
       count(*) FILTER (WHERE fin.decision = 'refer') AS refer,
       count(*) FILTER (WHERE fin.decision = 'reopen') AS reopen,
       round(100.0 * count(*) FILTER (WHERE fin.decision = 'no_concern') / nullif(count(*), 0), 1)
           AS no_concern_pct
FROM fin
CROSS JOIN LATERAL (
    SELECT category FROM flag WHERE id = fin.flag_id AND NOT is_sample OFFSET 0
) f
GROUP BY GROUPING SETS ((f.category), ())
ORDER BY f.category IS NULL, 1
