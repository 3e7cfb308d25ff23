-- Offsets of group $1, one row per (topic, partition) given, in the
-- order given (sorted, so commits sharing rows lock them in one order).
INSERT INTO group_offsets (group_name, topic, partition, committed_offset, leader_epoch, metadata)
SELECT $1::text, u.topic, u.partition, u.committed_offset, u.leader_epoch, coalesce(u.metadata, ''::bytea)
FROM unnest($2::text[], $3::integer[], $4::bigint[], $5::integer[], $6::bytea[])
    AS u (topic, partition, committed_offset, leader_epoch, metadata)
ON CONFLICT (group_name, topic, partition) DO UPDATE
SET committed_offset = excluded.committed_offset, leader_epoch = excluded.leader_epoch,
    metadata = excluded.metadata, committed_at = now()
