-- PutGroup with prev 0. No row back: the group exists.
INSERT INTO groups (name, version, generation, protocol_type, kind, state_name, state)
VALUES ($1, 1, $2, $3, $4, $5, $6)
ON CONFLICT (name) DO NOTHING
RETURNING version, updated_at
