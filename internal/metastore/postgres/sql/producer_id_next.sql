UPDATE counters SET value = value + 1 WHERE name = 'producer_id' RETURNING value - 1
