-- Producer states of one Append (their partitions are locked already).
SELECT topic_id, partition, producer_id, epoch, batches
FROM producers
WHERE (topic_id, partition, producer_id) IN (SELECT * FROM unnest($1::uuid[], $2::integer[], $3::bigint[]))
ORDER BY topic_id, partition, producer_id
FOR UPDATE
