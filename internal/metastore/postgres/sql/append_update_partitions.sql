UPDATE partitions AS p
SET high_water = u.high_water, bytes = u.bytes
FROM unnest($1::uuid[], $2::integer[], $3::bigint[], $4::bigint[]) AS u (topic_id, partition, high_water, bytes)
WHERE p.topic_id = u.topic_id AND p.partition = u.partition
