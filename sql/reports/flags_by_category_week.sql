-- Flags by category and week: what the classifier raised, what is still open, and samples.
SELECT date_trunc('week', f.created_at)::date AS week,
       f.category,
       count(*) AS flags,
       count(DISTINCT w.person) AS flags__people,
       count(*) FILTER (WHERE f.closed_at IS NULL) AS open,
       count(DISTINCT w.person) FILTER (WHERE f.closed_at IS NULL) AS open__people,
       count(*) FILTER (WHERE f.is_sample) AS samples,
       count(DISTINCT w.person) FILTER (WHERE f.is_sample) AS samples__people
FROM flag f
-- the person behind each flag (none for an official account): an index lookup per flag
CROSS JOIN LATERAL (
    SELECT CASE WHEN a.kind = 'personal' THEN a.owner_id END AS person
    FROM post p JOIN account a ON a.id = p.account_id WHERE p.id = f.post_id OFFSET 0
) w
WHERE f.created_at >= :date_from AND f.created_at < :date_to
GROUP BY 1, 2
ORDER BY 1, 2
