-- Every group's offsets of the deleted topic's name.
DELETE FROM group_offsets WHERE topic = $1
