DELETE FROM group_offsets WHERE group_name = $1
