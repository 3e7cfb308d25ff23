-- Grants lease $1 to $2 for $3 microseconds if free, lapsed or $2's
-- already; no row changed: another holds it.
INSERT INTO leases AS l (name, holder, expires)
VALUES ($1, $2, now() + $3::bigint * interval '1 microsecond')
ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires
WHERE l.holder = excluded.holder OR l.expires <= now()
