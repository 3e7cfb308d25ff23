UPDATE brokers SET expires = now() + $3::bigint * interval '1 microsecond'
WHERE node_id = $1 AND instance = $2
