SELECT log_start, high_water, bytes FROM partitions WHERE topic_id = $1 AND partition = $2
