-- PutGroup with prev $2 > 0. No row back: the stored version is not $2
-- (or there is no record).
UPDATE groups
SET version = version + 1, generation = $3, protocol_type = $4, kind = $5,
    state_name = $6, state = $7, updated_at = now()
WHERE name = $1 AND version = $2
RETURNING version, updated_at
