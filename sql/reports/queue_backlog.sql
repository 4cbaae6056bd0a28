-- Queue backlog and age: open flags per category at the end of the period (claimed, reopened, by age), and flags escalated in the period still awaiting a lead.
WITH open_flags AS (
    SELECT f.category,
           w.person,
           f.claimed_by_id IS NOT NULL AND f.lease_expires_at > :date_to AS claimed,
           -- a probe of the review index per open flag, not a scan of every review
           (SELECT 1 FROM review r WHERE r.flag_id = f.id LIMIT 1) IS NOT NULL AS reopened,
           extract(epoch FROM CAST(:date_to AS timestamptz) - f.created_at) / 3600 AS age_h
    FROM flag f
    -- the person behind the flag (none for an official account): an index lookup per flag
    CROSS JOIN LATERAL (
        SELECT CASE WHEN a.kind = 'personal' THEN a.owner_id END AS person
        FROM post p JOIN account a ON a.id = p.account_id WHERE p.id = f.post_id OFFSET 0
    ) w
    WHERE f.closed_at IS NULL AND f.created_at < :date_to
), queue AS (
    SELECT coalesce(category, 'all') AS category,
           count(*) AS open,
           count(DISTINCT person) AS open__people,
           count(*) FILTER (WHERE claimed) AS claimed,
           count(DISTINCT person) FILTER (WHERE claimed) AS claimed__people,
           count(*) FILTER (WHERE reopened) AS reopened,
           count(DISTINCT person) FILTER (WHERE reopened) AS reopened__people,
           count(*) FILTER (WHERE age_h < 24) AS under_1d,
           count(DISTINCT person) FILTER (WHERE age_h < 24) AS under_1d__people,
           count(*) FILTER (WHERE age_h >= 24 AND age_h < 72) AS d1_3,
           count(DISTINCT person) FILTER (WHERE age_h >= 24 AND age_h < 72) AS d1_3__people,
           count(*) FILTER (WHERE age_h >= 72 AND age_h < 168) AS d3_7,
           count(DISTINCT person) FILTER (WHERE age_h >= 72 AND age_h < 168) AS d3_7__people,
           count(*) FILTER (WHERE age_h >= 168) AS over_7d,
           count(DISTINCT person) FILTER (WHERE age_h >= 168) AS over_7d__people,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY age_h) AS median_age_h,
           max(age_h) AS oldest_h
    FROM open_flags
    GROUP BY GROUPING SETS ((category), ())
), escalated AS (
    -- an escalation is waiting while it is the flag's latest review (the flag left the
    -- reviewers' queue for the leads')
    SELECT coalesce(f.category, 'all') AS category,
           count(*) AS awaiting_lead,
           count(DISTINCT w.person) AS awaiting_lead__people
    FROM review r
    CROSS JOIN LATERAL (SELECT category, post_id FROM flag WHERE id = r.flag_id OFFSET 0) f
    CROSS JOIN LATERAL (
        SELECT CASE WHEN a.kind = 'personal' THEN a.owner_id END AS person
        FROM post p JOIN account a ON a.id = p.account_id WHERE p.id = f.post_id OFFSET 0
    ) w
    WHERE r.decision = 'escalate'
      AND r.created_at >= :date_from AND r.created_at < :date_to
      AND NOT EXISTS (SELECT 1 FROM review l WHERE l.flag_id = r.flag_id
                      AND (l.created_at, l.id) > (r.created_at, r.id))
    GROUP BY GROUPING SETS ((f.category), ())
)
SELECT category,
       coalesce(q.open, 0) AS open,
       coalesce(q.open__people, 0) AS open__people,
       coalesce(q.claimed, 0) AS claimed,
       coalesce(q.claimed__people, 0) AS claimed__people,
       coalesce(q.reopened, 0) AS reopened,
       coalesce(q.reopened__people, 0) AS reopened__people,
       coalesce(e.awaiting_lead, 0) AS awaiting_lead,
       coalesce(e.awaiting_lead__people, 0) AS awaiting_lead__people,
       coalesce(q.under_1d, 0) AS under_1d,
       coalesce(q.under_1d__people, 0) AS under_1d__people,
       coalesce(q.d1_3, 0) AS d1_3,
       coalesce(q.d1_3__people, 0) AS d1_3__people,
       coalesce(q.d3_7, 0) AS d3_7,
       coalesce(q.d3_7__people, 0) AS d3_7__people,
       coalesce(q.over_7d, 0) AS over_7d,
       coalesce(q.over_7d__people, 0) AS over_7d__people,
       round(CAST(q.median_age_h AS numeric), 1) AS median_age_h,
       round(CAST(q.oldest_h AS numeric), 1) AS oldest_h
FROM queue q
FULL JOIN escalated e USING (category)
ORDER BY category = 'all', coalesce(q.open, 0) DESC, category
