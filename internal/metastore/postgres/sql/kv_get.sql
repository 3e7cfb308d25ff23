SELECT version, value FROM kv WHERE key = $1
