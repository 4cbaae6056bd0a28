-- Queue backlog and age: open flags per category at the end of the period, claimed, reviewed but still open, by age.
WITH open_flags AS (
    SELECT f.category,
           f.claimed_by_id IS NOT NULL AND f.lease_expires_at > :date_to AS claimed,
           -- a probe of the review index per open flag, not a scan of every review
           (SELECT 1 FROM review r WHERE r.flag_id = f.id LIMIT 1) IS NOT NULL AS reviewed,
           extract(epoch FROM CAST(:date_to AS timestamptz) - f.created_at) / 3600 AS age_h
    FROM flag f
    WHERE f.closed_at IS NULL AND f.created_at < :date_to
)
SELECT coalesce(category, 'all') AS category,
       count(*) AS open,
       count(*) FILTER (WHERE claimed) AS claimed,
       count(*) FILTER (WHERE reviewed) AS escalated_or_reopened,
       count(*) FILTER (WHERE age_h < 24) AS under_1d,
       count(*) FILTER (WHERE age_h >= 24 AND age_h < 72) AS d1_3,
       count(*) FILTER (WHERE age_h >= 72 AND age_h < 168) AS d3_7,
       count(*) FILTER (WHERE age_h >= 168) AS over_7d,
       round(CAST(percentile_cont(0.5) WITHIN GROUP (ORDER BY age_h) AS numeric), 1) AS median_age_h,
       round(CAST(max(age_h) AS numeric), 1) AS oldest_h
FROM open_flags
GROUP BY GROUPING SETS ((category), ())
ORDER BY category IS NULL, open DESC
