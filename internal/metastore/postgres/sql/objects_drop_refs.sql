-- Drops u.n references from each object; the CHECK on refs refuses a
-- count below zero.
UPDATE objects AS o SET refs = o.refs - u.n
FROM unnest($1::text[], $2::bigint[]) AS u (key, n)
WHERE o.key = u.key
RETURNING o.key
