-- ExpireGroups: the offsets of the expired groups $1. An offset committed
-- since they were judged (by a commit no record lock fenced) stays, as
-- if committed just after the expiry.
DELETE FROM group_offsets
WHERE group_name = ANY($1::text[]) AND committed_at < now() - $2::bigint * interval '1 microsecond'
