DELETE FROM partitions WHERE topic_id = $1
