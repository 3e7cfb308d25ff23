-- ExpireGroups: locks, in name order, the records in state $1 put more
-- than $2 microseconds ago, so that no PutGroup or generation-checked
-- commit interleaves with their expiry. A record changed meanwhile is
-- judged again as it now is.
SELECT name FROM groups
WHERE state_name = $1 AND updated_at < now() - $2::bigint * interval '1 microsecond'
ORDER BY name
FOR UPDATE
