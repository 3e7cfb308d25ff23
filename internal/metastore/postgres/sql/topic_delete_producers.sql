DELETE FROM producers WHERE topic_id = $1
