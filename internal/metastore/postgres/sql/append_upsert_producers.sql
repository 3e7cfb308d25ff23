INSERT INTO producers (topic_id, partition, producer_id, epoch, batches)
SELECT * FROM unnest($1::uuid[], $2::integer[], $3::bigint[], $4::smallint[], $5::bytea[])
ON CONFLICT (topic_id, partition, producer_id)
DO UPDATE SET epoch = excluded.epoch, batches = excluded.batches
