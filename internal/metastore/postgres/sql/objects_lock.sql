-- Locks objects in key order before their references change.
SELECT key FROM objects WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE
