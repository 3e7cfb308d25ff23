package metastore

import "maps"

// AlterConfigs returns the configs that AlterTopicConfigs(set, replace)
// leaves on a topic whose configs are cur; cur is not modified. With
// replace the result is exactly the non-nil values of set; otherwise each
// key of set is set, or removed when its value is nil. Shared by backends.
func AlterConfigs(cur map[string]string, set map[string]*string, replace bool) map[string]string {
	next := make(map[string]string, len(cur)+len(set))
	if !replace {
		maps.Copy(next, cur)
	}
	for k, v := range set {
		if v == nil {
			delete(next, k)
		} else {
			next[k] = *v
		}
	}
	return next
}
