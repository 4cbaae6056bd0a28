-- Flags by category and week: what the classifier raised, what is still open, and samples.
SELECT date_trunc('week', f.created_at)::date AS week,
       f.category,
       count(*) AS flags,
       count(*) FILTER (WHERE f.closed_at IS NULL) AS open,
       count(*) FILTER (WHERE f.is_sample) AS samples
FROM flag f
WHERE f.created_at >= :date_from AND f.created_at < :date_to
GROUP BY 1, 2
ORDER BY 1, 2
