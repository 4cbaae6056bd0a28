-- Estimated miss rate: share of reviewed quality samples a reviewer found concerning (Wilson 95% CI).
-- Only samples drawn at random count: the uncertain ones were picked for being near a threshold.
WITH s AS (
    SELECT a.kind AS account_kind,
           CASE WHEN a.kind = 'personal' THEN a.owner_id END AS person,
           (SELECT r.decision FROM review r WHERE r.flag_id = f.id
            ORDER BY r.created_at DESC, r.id DESC LIMIT 1) AS decision
    FROM flag f
    JOIN post p ON p.id = f.post_id
    JOIN account a ON a.id = p.account_id
    WHERE f.is_sample AND f.sample_draw = 'random'
      AND f.created_at >= :date_from AND f.created_at < :date_to
), t AS (
    SELECT coalesce(account_kind, 'all') AS account_kind,
           count(*) AS samples,
           count(DISTINCT person) AS samples__people,
           count(*) FILTER (WHERE decision IN ('no_concern', 'advise', 'escalate', 'refer'))
               AS reviewed,
           count(DISTINCT person)
               FILTER (WHERE decision IN ('no_concern', 'advise', 'escalate', 'refer'))
               AS reviewed__people,
           count(*) FILTER (WHERE decision IN ('advise', 'escalate', 'refer')) AS misses,
           count(DISTINCT person) FILTER (WHERE decision IN ('advise', 'escalate', 'refer'))
               AS misses__people
    FROM s
    GROUP BY GROUPING SETS ((account_kind), ())
), w AS (
    SELECT t.*, CAST(misses AS float8) / nullif(reviewed, 0) AS p, nullif(reviewed, 0) AS n,
           1.96 AS z
    FROM t
)
SELECT account_kind,
       samples,
       samples__people,
       reviewed,
       reviewed__people,
       misses,
       misses__people,
       round(CAST(100 * p AS numeric), 2) AS miss_rate_pct,
       round(CAST(100 * ((p + z * z / (2 * n))
             - z * sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)))
             / (1 + z * z / n) AS numeric), 2) AS ci_low_pct,
       round(CAST(100 * ((p + z * z / (2 * n))
             + z * sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)))
             / (1 + z * z / n) AS numeric), 2) AS ci_high_pct
FROM w
ORDER BY account_kind = 'all', account_kind
