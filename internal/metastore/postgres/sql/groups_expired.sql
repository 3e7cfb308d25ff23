-- ExpireGroups: of the locked records $1, those without an offset
-- committed in the last $2 microseconds; and the groups with offsets but
-- no record whose newest offset is older than that.
SELECT l.name FROM unnest($1::text[]) AS l (name)
WHERE NOT EXISTS (
    SELECT 1 FROM group_offsets AS o
    WHERE o.group_name = l.name AND o.committed_at >= now() - $2::bigint * interval '1 microsecond')
UNION
SELECT o.group_name FROM group_offsets AS o
WHERE NOT EXISTS (SELECT 1 FROM groups AS g WHERE g.name = o.group_name)
GROUP BY o.group_name
HAVING max(o.committed_at) < now() - $2::bigint * interval '1 microsecond'
