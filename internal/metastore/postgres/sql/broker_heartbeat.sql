-- Renews node $1's registration by instance $2 for $3 microseconds and
-- returns the live set in the same statement (one round trip a beat): the
-- renewed row (renewed true) and every other unexpired one, by node. No
-- renewed row: the registration was lost. The outer SELECT sees the table
-- as before the UPDATE, so the renewed row comes from its RETURNING.
WITH beat AS (
    UPDATE brokers SET expires = now() + $3::bigint * interval '1 microsecond'
    WHERE node_id = $1 AND instance = $2
    RETURNING node_id, instance, host, port, rack, expires
)
SELECT node_id, instance, host, port, rack, expires, true AS renewed FROM beat
UNION ALL
SELECT b.node_id, b.instance, b.host, b.port, b.rack, b.expires, false FROM brokers AS b
WHERE b.expires > now() AND NOT EXISTS (SELECT 1 FROM beat WHERE beat.node_id = b.node_id)
ORDER BY node_id
