-- KVList under a prefix: keys from $1 (the prefix) up to $3 (the least
-- text above every key with the prefix), after $2, at most $4 (NULL: no
-- limit). Both bounds are index conditions.
SELECT key, version, value FROM kv
WHERE key >= $1 AND key > $2 AND key < $3
ORDER BY key
LIMIT $4
