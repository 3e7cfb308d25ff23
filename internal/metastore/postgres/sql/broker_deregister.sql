DELETE FROM brokers WHERE node_id = $1 AND instance = $2
