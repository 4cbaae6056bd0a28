-- Official languages per organization: official posts by detected language, and unpaired ones.
SELECT a.org_unit,
       count(*) AS posts,
       count(*) FILTER (WHERE p.lang_detected = 'en') AS en,
       count(*) FILTER (WHERE p.lang_detected = 'fr') AS fr,
       count(*) FILTER (WHERE p.lang_detected = 'bilingual') AS bilingual,
       count(*) FILTER (WHERE p.lang_detected = 'other') AS other,
       count(*) FILTER (WHERE p.lang_detected IS NULL) AS untagged,
       count(f.id) AS unpaired_flags,
       count(f.id) FILTER (WHERE f.closed_at IS NULL) AS open_flags,
       round(100.0 * count(f.id)
             / nullif(count(*) FILTER (WHERE p.lang_detected IN ('en', 'fr')), 0), 1)
           AS unpaired_pct
FROM post p
JOIN account a ON a.id = p.account_id AND a.kind = 'official'
LEFT JOIN flag f ON f.post_id = p.id AND f.category = 'official_languages'
WHERE p.published_at >= :date_from AND p.published_at < :date_to
GROUP BY a.org_unit
ORDER BY a.org_unit
