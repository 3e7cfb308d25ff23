UPDATE partitions SET bytes = bytes + $3 WHERE topic_id = $1 AND partition = $2
