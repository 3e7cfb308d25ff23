DELETE FROM objects WHERE key = ANY($1::text[]) AND refs = 0
