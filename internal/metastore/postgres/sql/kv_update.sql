-- KVApply: write key $1, locked by kv_lock at version $2.
UPDATE kv SET version = version + 1, value = $3
WHERE key = $1 AND version = $2
RETURNING version
