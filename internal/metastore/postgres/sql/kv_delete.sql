-- KVApply: delete key $1, locked by kv_lock at version $2.
DELETE FROM kv WHERE key = $1 AND version = $2
