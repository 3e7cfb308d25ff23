DELETE FROM index_entries WHERE topic_id = $1 AND partition = $2 AND base_offset = ANY($3::bigint[])
