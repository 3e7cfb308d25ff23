UPDATE topics SET partitions = $2 WHERE id = $1
