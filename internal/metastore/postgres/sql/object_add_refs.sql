-- Adds $2 references to object $1, creating it (dead if $2 = 0) with size
-- $3. No row back: the object is dead and may be being deleted, so it
-- must not be revived.
INSERT INTO objects AS o (key, refs, size)
VALUES ($1, $2, $3)
ON CONFLICT (key) DO UPDATE SET refs = o.refs + excluded.refs
WHERE o.refs > 0 OR excluded.refs = 0
RETURNING refs
