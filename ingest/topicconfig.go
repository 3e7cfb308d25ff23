package ingest

import (
	"fmt"
	"time"

	"github.com/tributary-io/tributary/topicconfig"
)

// archiveOf reads an Iceberg topic's archive settings (package topicconfig
// owns the keys, see doc.go); ok is false for a topic that is not one. A
// topic without a commit interval gets def. err is what is wrong with
// configs stored before they were validated: the pipeline reports it
// instead of running.
func archiveOf(cfgs map[string]string, def time.Duration) (a topicconfig.Archive, ok bool, err error) {
	a = topicconfig.Parse(cfgs).Archive
	if !a.Iceberg() {
		return a, false, nil
	}
	if a.CommitInterval == 0 {
		a.CommitInterval = def
	}
	if a.Err != nil {
		err = fmt.Errorf("%w: %w", ErrTopicConfig, a.Err)
	}
	return a, true, err
}
