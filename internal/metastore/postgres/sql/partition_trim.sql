-- After index_trim: LogStart rises to the first remaining entry (or to
-- HighWater when none remain); $3 bytes went.
UPDATE partitions AS p
SET log_start = greatest(p.log_start, coalesce((
        SELECT min(i.base_offset) FROM index_entries AS i
        WHERE i.topic_id = p.topic_id AND i.partition = p.partition), p.high_water)),
    bytes = p.bytes - $3
WHERE p.topic_id = $1 AND p.partition = $2
