-- Scan runs in the period (latest 500): how each ended, its counts, the accounts not read, and why a failed run failed.
SELECT id,
       started_at,
       trigger,
       run_key,
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
        WHERE jsonb_typeof(v) = 'number') AS skipped,
       CASE WHEN jsonb_typeof(failures) = 'array' THEN jsonb_array_length(failures) ELSE 0 END
           AS failed_accounts,
       coalesce(errors ->> 'run', '') AS run_error
FROM scan_run
WHERE started_at >= :date_from AND started_at < :date_to
ORDER BY started_at DESC
LIMIT 500
