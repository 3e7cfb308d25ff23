SELECT id, name, partitions, configs, created_at FROM topics WHERE name = $1 FOR UPDATE
