-- KVApply: the stored versions of the keys of $1 that exist, locked in
-- key order (the sort runs below the lock), so that KVApply calls sharing
-- keys queue instead of deadlocking. Absent keys are not locked: their
-- creates are INSERTs that conflict on the primary key.
SELECT key, version FROM kv
WHERE key = ANY($1::text[])
ORDER BY key
FOR UPDATE
