INSERT INTO counters (name, value) VALUES ('producer_id', 0);
