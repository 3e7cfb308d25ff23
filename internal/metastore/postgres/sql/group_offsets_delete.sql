DELETE FROM group_offsets
WHERE group_name = $1 AND (topic, partition) IN (SELECT * FROM unnest($2::text[], $3::integer[]))
