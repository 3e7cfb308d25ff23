-- DeleteGroup: the record's version, locked until the delete commits.
SELECT version FROM groups WHERE name = $1 FOR UPDATE
