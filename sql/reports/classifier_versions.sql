-- Classifier versions in use: assessments and flags in the period, decisions on them, metrics.
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
LEFT JOIN LATERAL (
    SELECT count(*) AS flags,
           count(fin.decision) AS decided,
           count(*) FILTER (WHERE fin.decision = 'no_concern') AS no_concern
    FROM assessment s
    JOIN flag f ON f.assessment_id = s.id
    LEFT JOIN LATERAL (
        SELECT r.decision FROM review r WHERE r.flag_id = f.id
        ORDER BY r.created_at DESC, r.id DESC LIMIT 1
    ) fin ON true
    WHERE s.classifier_id = c.id
      AND f.created_at >= :date_from AND f.created_at < :date_to
) fl ON true
WHERE c.status IN ('live', 'shadow') OR fl.flags > 0
ORDER BY c.status = 'live' DESC, c.created_at DESC
