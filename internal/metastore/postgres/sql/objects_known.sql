SELECT key FROM objects WHERE key = ANY($1::text[])
