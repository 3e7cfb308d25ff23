SELECT node_id, instance, host, port, rack, expires FROM brokers WHERE expires > now() ORDER BY node_id
