SELECT key FROM objects WHERE refs = 0 ORDER BY key LIMIT $1
