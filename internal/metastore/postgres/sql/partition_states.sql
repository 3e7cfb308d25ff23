SELECT p.topic_id, p.partition, p.log_start, p.high_water, p.bytes
FROM partitions p
JOIN unnest($1::uuid[], $2::integer[]) AS w (topic_id, partition)
  ON p.topic_id = w.topic_id AND p.partition = w.partition
