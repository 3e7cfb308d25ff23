-- Locks the partitions of one Append in key order, so that Appends
-- sharing partitions queue instead of deadlocking; missing ones are
-- unknown partitions.
SELECT topic_id, partition, log_start, high_water, bytes
FROM partitions
WHERE (topic_id, partition) IN (SELECT * FROM unnest($1::uuid[], $2::integer[]))
ORDER BY topic_id, partition
FOR UPDATE
