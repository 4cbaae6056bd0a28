-- Classifier versions in use: assessments and flags in the period, decisions on them, metrics.
WITH fl AS (
    SELECT s.classifier_id,
           count(*) AS flags,
           count(DISTINCT w.person) AS flags__people,
           count(fin.decision) AS decided,
           count(DISTINCT w.person) FILTER (WHERE fin.decision IS NOT NULL) AS decided__people,
           count(*) FILTER (WHERE fin.decision = 'no_concern') AS no_concern
    FROM flag f
    -- index lookups per flag of the period (OFFSET 0 keeps them so): cost follows the period
    CROSS JOIN LATERAL (
        SELECT classifier_id FROM assessment WHERE id = f.assessment_id OFFSET 0
    ) s
    -- the person behind the flag (none for an official account)
    CROSS JOIN LATERAL (
        SELECT CASE WHEN a.kind = 'personal' THEN a.owner_id END AS person
        FROM post p JOIN account a ON a.id = p.account_id WHERE p.id = f.post_id OFFSET 0
    ) w
    LEFT JOIN LATERAL (
        SELECT r.decision FROM review r WHERE r.flag_id = f.id
        ORDER BY r.created_at DESC, r.id DESC LIMIT 1
    ) fin ON true
    WHERE f.created_at >= :date_from AND f.created_at < :date_to
    GROUP BY s.classifier_id
)
SELECT c.version,
       c.status,
       c.model_id,
       c.policy_version,
       c.activated_at,
       coalesce(sa.assessments, 0) AS assessments,
       coalesce(sa.assessments__people, 0) AS assessments__people,
       coalesce(fl.flags, 0) AS flags,
       coalesce(fl.flags__people, 0) AS flags__people,
       coalesce(fl.decided, 0) AS decided,
       coalesce(fl.decided__people, 0) AS decided__people,
       round(100.0 * fl.no_concern / nullif(fl.decided, 0), 1) AS no_concern_pct,
       c.metrics::text AS metrics
FROM classifier c
LEFT JOIN fl ON fl.classifier_id = c.id
-- per classifier, its assessments of the period through its (classifier_id, created_at) index
CROSS JOIN LATERAL (
    SELECT count(*) AS assessments,
           count(DISTINCT a.owner_id) FILTER (WHERE a.kind = 'personal') AS assessments__people
    FROM assessment s
    JOIN post p ON p.id = s.post_id
    JOIN account a ON a.id = p.account_id
    WHERE s.classifier_id = c.id AND s.created_at >= :date_from AND s.created_at < :date_to
) sa
WHERE c.status IN ('live', 'shadow') OR fl.flags > 0
ORDER BY c.status = 'live' DESC, c.created_at DESC
