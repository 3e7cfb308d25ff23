-- Claims node $1 for instance $2 for $6 microseconds, unless another
-- live instance holds it (then no row back).
INSERT INTO brokers AS b (node_id, instance, host, port, rack, expires)
VALUES ($1, $2, $3, $4, $5, now() + $6::bigint * interval '1 microsecond')
ON CONFLICT (node_id) DO UPDATE
SET instance = excluded.instance, host = excluded.host, port = excluded.port,
    rack = excluded.rack, expires = excluded.expires
WHERE b.instance = excluded.instance OR b.expires <= now()
RETURNING node_id, expires
