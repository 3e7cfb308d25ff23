-- Serializes migrations of brokers starting at once; released at commit.
SELECT pg_advisory_xact_lock($1)
