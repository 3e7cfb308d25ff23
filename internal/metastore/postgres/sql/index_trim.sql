-- Removes the entries ending below $3 and returns the references and
-- bytes they held, per object.
WITH gone AS (
    DELETE FROM index_entries
    WHERE topic_id = $1 AND partition = $2 AND last_offset < $3
    RETURNING object_key, size
)
SELECT object_key, count(*), sum(size)::bigint FROM gone GROUP BY object_key ORDER BY object_key
