-- No row back: the name is taken.
INSERT INTO topics (id, name, partitions, configs)
VALUES ($1, $2, $3, $4)
ON CONFLICT (name) DO NOTHING
RETURNING created_at
