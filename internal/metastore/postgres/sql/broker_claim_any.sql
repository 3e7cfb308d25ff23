-- Claims, for instance $1 for $5 microseconds, the node it holds already,
-- else the lowest no live instance holds. Ids 0..count(brokers) cannot
-- all be live. No row back: another broker claimed the same node at the
-- same moment; try again.
INSERT INTO brokers AS b (node_id, instance, host, port, rack, expires)
SELECT c.n, $1::text, $2::text, $3::integer, $4::text, now() + $5::bigint * interval '1 microsecond'
FROM (
    SELECT node_id AS n, 0 AS pref FROM brokers WHERE instance = $1
    UNION ALL
    SELECT g, 1 FROM generate_series(0, (SELECT count(*) FROM brokers)::integer) AS g
) AS c
WHERE NOT EXISTS (
    SELECT 1 FROM brokers AS o WHERE o.node_id = c.n AND o.instance <> $1 AND o.expires > now())
ORDER BY c.pref, c.n
LIMIT 1
ON CONFLICT (node_id) DO UPDATE
SET instance = excluded.instance, host = excluded.host, port = excluded.port,
    rack = excluded.rack, expires = excluded.expires
WHERE b.instance = excluded.instance OR b.expires <= now()
RETURNING node_id, expires
