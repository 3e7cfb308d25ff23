DELETE FROM topics WHERE name = $1
RETURNING id, name, partitions, configs, created_at
