-- KVApply: write key $1 whatever its version, absent when kv_lock read
-- (but maybe created since).
INSERT INTO kv AS k (key, version, value) VALUES ($1, 1, $2)
ON CONFLICT (key) DO UPDATE SET version = k.version + 1, value = excluded.value
RETURNING version
