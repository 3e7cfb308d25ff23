SELECT id, name, partitions, configs, created_at FROM topics WHERE id = $1
