-- Reviewer workload and agreement: reviews per reviewer in the period, and how often two reviewers of the same group agreed.
WITH r AS (
    SELECT r.reviewer_id, r.flag_id, r.stage, r.decision, r.created_at, f.group_key
    FROM review r
    -- an index lookup per review (OFFSET 0 keeps it so): cost follows the period
    CROSS JOIN LATERAL (SELECT group_key FROM flag WHERE id = r.flag_id OFFSET 0) f
    WHERE r.created_at >= :date_from AND r.created_at < :date_to
), per AS (
    SELECT reviewer_id,
           count(*) AS reviews,
           count(DISTINCT flag_id) AS flags,
           count(*) FILTER (WHERE stage = 'lead') AS lead_reviews,
           round(100.0 * count(*) FILTER (WHERE decision = 'no_concern') / count(*), 1)
               AS no_concern_pct
    FROM r
    GROUP BY reviewer_id
), last_on_group AS (
    SELECT DISTINCT ON (group_key, reviewer_id) group_key, reviewer_id, decision
    FROM r
    WHERE group_key IS NOT NULL AND decision <> 'reopen'
    ORDER BY group_key, reviewer_id, created_at DESC
), pairs AS (
    SELECT a.reviewer_id,
           count(*) AS shared_groups,
           count(*) FILTER (WHERE a.decision = b.decision) AS agreed
    FROM last_on_group a
    JOIN last_on_group b ON b.group_key = a.group_key AND b.reviewer_id <> a.reviewer_id
    GROUP BY a.reviewer_id
)
SELECT u.email AS reviewer,
       per.reviews,
       per.flags,
       per.lead_reviews,
       per.no_concern_pct,
       coalesce(pairs.shared_groups, 0) AS shared_groups,
       round(100.0 * pairs.agreed / nullif(pairs.shared_groups, 0), 1) AS agreement_pct
FROM per
JOIN app_user u ON u.id = per.reviewer_id
LEFT JOIN pairs ON pairs.reviewer_id = per.reviewer_id
ORDER BY per.reviews DESC, u.email
