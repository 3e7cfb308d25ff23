-- The partition's state and up to $4 (NULL: all) entries from the one
-- holding offset $3 (or the first after it), in one snapshot. The entry
-- holding $3 is the last one based at or before it, if it reaches $3, so
-- the scan starts there. No partition: no row. No entries: one row with
-- NULL entry columns.
SELECT p.log_start, p.high_water, p.bytes,
       e.base_offset, e.last_offset, e.object_key, e.pos, e.size, e.max_timestamp
FROM partitions AS p
LEFT JOIN LATERAL (
    SELECT i.base_offset, i.last_offset, i.object_key, i.pos, i.size, i.max_timestamp
    FROM index_entries AS i
    WHERE i.topic_id = p.topic_id AND i.partition = p.partition
      AND $3 < p.high_water
      AND i.base_offset >= coalesce((
          SELECT h.base_offset FROM index_entries AS h
          WHERE h.topic_id = p.topic_id AND h.partition = p.partition AND h.base_offset <= $3
          ORDER BY h.base_offset DESC
          LIMIT 1), 0)
      AND i.last_offset >= $3
    ORDER BY i.base_offset
    LIMIT $4
) AS e ON true
WHERE p.topic_id = $1 AND p.partition = $2
ORDER BY e.base_offset
