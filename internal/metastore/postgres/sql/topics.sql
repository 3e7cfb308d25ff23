SELECT id, name, partitions, configs, created_at FROM topics ORDER BY name
