-- KVApply: create key $1, expected absent. No row affected: it was
-- created by a transaction that committed after kv_lock read.
INSERT INTO kv (key, version, value) VALUES ($1, 1, $2)
ON CONFLICT (key) DO NOTHING
