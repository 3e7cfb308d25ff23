-- Waits out Appends in flight on the topic, in the lock order.
SELECT partition FROM partitions WHERE topic_id = $1 ORDER BY partition FOR UPDATE
