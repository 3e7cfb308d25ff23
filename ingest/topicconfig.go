package ingest

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/iceberg"
)

// Topic configs read here (see doc.go).
const (
	ConfigKind        = "bufstream.archive.kind"
	ConfigTable       = "bufstream.archive.iceberg.table"
	ConfigCatalog     = "bufstream.archive.iceberg.catalog"
	ConfigCommitFreq  = "bufstream.export.iceberg.commit.freq.ms"
	ConfigGranularity = "bufstream.archive.parquet.granularity"
)

// DefaultCommitInterval is the commit interval of a topic without
// bufstream.export.iceberg.commit.freq.ms.
const DefaultCommitInterval = 60 * time.Second

// tableConfig is what a topic's configs say about its table.
type tableConfig struct {
	Catalog     string
	Table       string
	Interval    time.Duration
	Granularity iceberg.Granularity
}

// parseTopicConfig reads an Iceberg topic's configs; ok is false for a
// topic that is not one.
func parseTopicConfig(cfgs map[string]string, def time.Duration) (tc tableConfig, ok bool, err error) {
	if !strings.EqualFold(strings.TrimSpace(cfgs[ConfigKind]), "ICEBERG") {
		return tc, false, nil
	}
	tc = tableConfig{Catalog: strings.TrimSpace(cfgs[ConfigCatalog]), Table: strings.TrimSpace(cfgs[ConfigTable]), Interval: def}
	if tc.Catalog == "" {
		tc.Catalog = config.LocalCatalogName
	}
	if _, err := iceberg.ParseIdent(tc.Table); err != nil {
		return tc, true, fmt.Errorf("%w: %s: %v", ErrTopicConfig, ConfigTable, err)
	}
	if v := strings.TrimSpace(cfgs[ConfigCommitFreq]); v != "" {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil || ms <= 0 {
			return tc, true, fmt.Errorf("%w: %s=%q: want a positive number of milliseconds", ErrTopicConfig, ConfigCommitFreq, v)
		}
		tc.Interval = time.Duration(ms) * time.Millisecond
	}
	if tc.Granularity, err = iceberg.ParseGranularity(cfgs[ConfigGranularity]); err != nil {
		return tc, true, fmt.Errorf("%w: %s: %v", ErrTopicConfig, ConfigGranularity, err)
	}
	return tc, true, nil
}
