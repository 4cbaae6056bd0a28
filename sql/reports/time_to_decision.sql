-- Time to decision and SLA: hours from flag to its latest decision (closed_at) for flags decided in the period, median and p90, SLA breaches, open flags past the SLA.
WITH closed AS (
    SELECT f.category, w.person, extract(epoch FROM f.closed_at - f.created_at) / 3600 AS hours
    FROM flag f
    -- the person behind the flag (none for an official account): an index lookup per flag
    CROSS JOIN LATERAL (
        SELECT CASE WHEN a.kind = 'personal' THEN a.owner_id END AS person
        FROM post p JOIN account a ON a.id = p.account_id WHERE p.id = f.post_id OFFSET 0
    ) w
    WHERE f.closed_at >= :date_from AND f.closed_at < :date_to
), waiting AS (
    SELECT coalesce(f.category, 'all') AS category,
           count(*) AS open_past_sla,
           count(DISTINCT w.person) AS open_past_sla__people
    FROM flag f
    CROSS JOIN LATERAL (
        SELECT CASE WHEN a.kind = 'personal' THEN a.owner_id END AS person
        FROM post p JOIN account a ON a.id = p.account_id WHERE p.id = f.post_id OFFSET 0
    ) w
    WHERE f.closed_at IS NULL
      AND f.created_at < CAST(:date_to AS timestamptz) - make_interval(hours => :sla_hours)
    GROUP BY GROUPING SETS ((f.category), ())
), decided AS (
    SELECT coalesce(category, 'all') AS category,
           count(*) AS decided,
           count(DISTINCT person) AS decided__people,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS median_h,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY hours) AS p90_h,
           count(*) FILTER (WHERE hours > :sla_hours) AS sla_breaches,
           count(DISTINCT person) FILTER (WHERE hours > :sla_hours) AS sla_breaches__people
    FROM closed
    GROUP BY GROUPING SETS ((category), ())
)
SELECT category,
       coalesce(d.decided, 0) AS decided,
       coalesce(d.decided__people, 0) AS decided__people,
       round(CAST(d.median_h AS numeric), 1) AS median_h,
       round(CAST(d.p90_h AS numeric), 1) AS p90_h,
       coalesce(d.sla_breaches, 0) AS sla_breaches,
       coalesce(d.sla_breaches__people, 0) AS sla_breaches__people,
       round(100.0 * d.sla_breaches / nullif(d.decided, 0), 1) AS breach_pct,
       coalesce(w.open_past_sla, 0) AS open_past_sla,
       coalesce(w.open_past_sla__people, 0) AS open_past_sla__people
FROM decided d
FULL JOIN waiting w USING (category)
ORDER BY category = 'all', category
