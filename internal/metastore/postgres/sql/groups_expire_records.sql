-- ExpireGroups: the records of the expired groups $1, which are locked
-- unless created since they were judged (and then too new to match).
DELETE FROM groups
WHERE name = ANY($1::text[]) AND state_name = $2 AND updated_at < now() - $3::bigint * interval '1 microsecond'
