-- KVList for a prefix no key can sort past (an empty one, or one of
-- U+10FFFF only): keys from $1, after $2, at most $3 (NULL: no limit).
SELECT key, version, value FROM kv
WHERE key >= $1 AND key > $2
ORDER BY key
LIMIT $3
