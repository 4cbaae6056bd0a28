-- Scan runs in the period (latest 500): accounts, requests, posts, errors.
SELECT id,
       started_at,
       trigger,
       status,
       round(CAST(extract(epoch FROM finished_at - started_at) AS numeric), 1) AS seconds,
       accounts,
       requests,
       new_posts,
       edits,
       assessed,
       flags_created,
       (SELECT CAST(coalesce(sum(CAST(v AS numeric)), 0) AS bigint) FROM jsonb_each(errors) AS e(k, v)
        WHERE jsonb_typeof(v) = 'number') AS errors,
       (SELECT CAST(coalesce(sum(CAST(v AS numeric)), 0) AS bigint) FROM jsonb_each(skipped) AS e(k, v)
        WHERE jsonb_typeof(v) = 'number') AS skipped
FROM scan_run
WHERE started_at >= :date_from AND started_at < :date_to
ORDER BY started_at DESC
LIMIT 500
