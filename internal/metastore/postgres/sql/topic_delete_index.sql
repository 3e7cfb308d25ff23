DELETE FROM index_entries WHERE topic_id = $1
