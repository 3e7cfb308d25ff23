SELECT base_offset, last_offset, object_key, pos, size, max_timestamp
FROM index_entries
WHERE topic_id = $1 AND partition = $2 AND base_offset = ANY($3::bigint[])
