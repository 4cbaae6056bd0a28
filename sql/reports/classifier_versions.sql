-- Classifier versions in use: assessments and flags in the period, decisions on them, metrics.
WITH fl AS (
    SELECT s.classifier_id,
           count(*) AS flags,
           count(fin.decision) AS decided,
           count(*) FILTER (WHERE fin.decision = 'no_concern') AS no_concern
    FROM flag f
    -- index lookups per flag of the period (OFFSET 0 keeps them so): cost follows the period
    CROSS JOIN LATERAL (
        SELECT classifier_id FROM assessment WHERE id = f.assessment_id OFFSET 0
    ) s
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
       (SELECT count(*) FROM assessment s
        WHERE s.classifier_id = c.id
          AND s.created_at >= :date_from AND s.created_at < :date_to) AS assessments,
       coalesce(fl.flags, 0) AS flags,
       coalesce(fl.decided, 0) AS decided,
       round(100.0 * fl.no_concern / nullif(fl.decided, 0), 1) AS no_concern_pct,
       c.metrics::text AS metrics
FROM classifier c
LEFT JOIN fl ON fl.classifier_id = c.id
WHERE c.status IN ('live', 'shadow') OR fl.flags > 0
ORDER BY c.status = 'live' DESC, c.created_at DESC
