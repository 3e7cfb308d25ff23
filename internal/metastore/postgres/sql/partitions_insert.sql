-- Empty partitions [$2, $3) of topic $1.
INSERT INTO partitions (topic_id, partition)
SELECT $1::uuid, p FROM generate_series($2::integer, $3::integer - 1) AS p
