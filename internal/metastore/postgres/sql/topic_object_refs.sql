-- The references the topic's index entries hold, per object.
SELECT object_key, count(*) FROM index_entries WHERE topic_id = $1
GROUP BY object_key ORDER BY object_key
