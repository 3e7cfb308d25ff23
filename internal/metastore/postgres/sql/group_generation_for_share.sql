-- CommitOffsets: the generation to check, locked against PutGroup (whose
-- UPDATE waits for this lock) until the commit's offsets are written.
SELECT generation FROM groups WHERE name = $1 FOR SHARE
