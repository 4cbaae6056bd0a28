-- Decision mix per category: the latest decision on each flag decided in the period; no_concern_pct is the precision signal for thresholds.
WITH fin AS (
    SELECT DISTINCT ON (r.flag_id) r.flag_id, r.decision
    FROM review r
    WHERE r.created_at >= :date_from AND r.created_at < :date_to
    ORDER BY r.flag_id, r.created_at DESC, r.id DESC
)
-- one index lookup per decided flag (OFFSET 0 keeps it so): the cost follows the period,
-- not the size of the flag table; w is the person behind the flag (none for an official one)
SELECT coalesce(f.category, 'all') AS category,
       count(*) AS decided,
       count(DISTINCT w.person) AS decided__people,
       count(*) FILTER (WHERE fin.decision = 'no_concern') AS no_concern,
       count(DISTINCT w.person) FILTER (WHERE fin.decision = 'no_concern') AS no_concern__people,
       count(*) FILTER (WHERE fin.decision = 'advise') AS advise,
       count(DISTINCT w.person) FILTER (WHERE fin.decision = 'advise') AS advise__people,
       count(*) FILTER (WHERE fin.decision = 'escalate') AS escalate,
       count(DISTINCT w.person) FILTER (WHERE fin.decision = 'escalate') AS escalate__people,
       count(*) FILTER (WHERE fin.decision = 'refer') AS refer,
       count(DISTINCT w.person) FILTER (WHERE fin.decision = 'refer') AS refer__people,
       count(*) FILTER (WHERE fin.decision = 'reopen') AS reopen,
       count(DISTINCT w.person) FILTER (WHERE fin.decision = 'reopen') AS reopen__people,
       round(100.0 * count(*) FILTER (WHERE fin.decision = 'no_concern') / nullif(count(*), 0), 1)
           AS no_concern_pct
FROM fin
CROSS JOIN LATERAL (
    SELECT category, post_id FROM flag WHERE id = fin.flag_id AND NOT is_sample OFFSET 0
) f
CROSS JOIN LATERAL (
    SELECT CASE WHEN a.kind = 'personal' THEN a.owner_id END AS person
    FROM post p JOIN account a ON a.id = p.account_id WHERE p.id = f.post_id OFFSET 0
) w
GROUP BY GROUPING SETS ((f.category), ())
ORDER BY f.category IS NULL, 1
