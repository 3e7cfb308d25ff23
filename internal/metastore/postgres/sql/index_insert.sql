-- Entries of one object ($5) in many partitions.
INSERT INTO index_entries (topic_id, partition, base_offset, last_offset, object_key, pos, size, max_timestamp)
SELECT u.topic_id, u.partition, u.base_offset, u.last_offset, $5::text, u.pos, u.size, u.max_timestamp
FROM unnest($1::uuid[], $2::integer[], $3::bigint[], $4::bigint[], $6::bigint[], $7::bigint[], $8::bigint[])
    AS u (topic_id, partition, base_offset, last_offset, pos, size, max_timestamp)
