-- After index_trim: DeleteRecords sets LogStart to $3 (already checked
-- to lie in [log_start, high_water] under the row lock); $4 bytes went.
UPDATE partitions SET log_start = $3, bytes = bytes - $4
WHERE topic_id = $1 AND partition = $2
