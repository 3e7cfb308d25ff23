UPDATE topics SET configs = $2 WHERE id = $1
