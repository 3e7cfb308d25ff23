SELECT topic, partition, committed_offset, leader_epoch, metadata, committed_at
FROM group_offsets WHERE group_name = $1
ORDER BY topic, partition
