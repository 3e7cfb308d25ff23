package topicconfig

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Validate checks one key and value alone; the error (matching
// ErrInvalid) is the message the client sees with INVALID_CONFIG. An
// unknown bufstream.* key is valid, with any value; any other unknown key
// is not.
func Validate(name, value string) error {
	k, ok := keys[name]
	switch {
	case !ok && IsBufstream(name):
		return nil
	case !ok:
		return invalidf("unknown topic config name: %s", name)
	}
	if err := k.check(value); err != nil {
		return invalidf("invalid value %q for configuration %s: %v", value, name, err)
	}
	return nil
}

// Options are what validating a whole set needs to know of the node.
type Options struct {
	// Catalogs names the Iceberg catalogs of the node's config (its
	// iceberg entries); LocalCatalog, the built-in one, is always known.
	Catalogs []string
}

// Check validates the whole set of configs a write would leave on a
// topic: every key with Validate, then what keys mean together. The
// error, if any, is about the first bad key by name.
func (o Options) Check(cfg map[string]string) error {
	names := make([]string, 0, len(cfg))
	for name := range cfg {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := Validate(name, cfg[name]); err != nil {
			return err
		}
	}
	if c, set := cfg[ArchiveCatalog]; set && !o.knowsCatalog(strings.TrimSpace(c)) {
		return invalidf("invalid value %q for configuration %s: no such Iceberg catalog (known: %s)", c, ArchiveCatalog, strings.Join(o.catalogs(), ", "))
	}
	if isIceberg(cfg[ArchiveKind]) && strings.TrimSpace(cfg[ArchiveTable]) == "" {
		return invalidf("configuration %s=%s needs %s (namespace.table)", ArchiveKind, cfg[ArchiveKind], ArchiveTable)
	}
	return nil
}

func (o Options) knowsCatalog(name string) bool {
	return name == LocalCatalog || slices.Contains(o.Catalogs, name)
}

func (o Options) catalogs() []string {
	return append([]string{LocalCatalog}, o.Catalogs...)
}

func isIceberg(kind string) bool {
	return strings.EqualFold(strings.TrimSpace(kind), "ICEBERG")
}

func checkLongMin(min int64) func(string) error {
	return func(v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("not a long")
		}
		if n < min {
			return fmt.Errorf("must be at least %d", min)
		}
		return nil
	}
}

func checkIntMin(min int64) func(string) error {
	return func(v string) error {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return fmt.Errorf("not an int")
		}
		if n < min {
			return fmt.Errorf("must be at least %d", min)
		}
		return nil
	}
}

func checkOneOf(vals ...string) func(string) error {
	return func(v string) error {
		if slices.Contains(vals, v) {
			return nil
		}
		return fmt.Errorf("must be one of %s", strings.Join(vals, ", "))
	}
}

func checkCleanupPolicy(v string) error {
	if _, _, ok := parseCleanupPolicy(v); !ok {
		return fmt.Errorf("must be a list of delete, compact")
	}
	return nil
}

func checkMode(v string) error {
	if m := parseMode(v); m == ModeNone || m == ModeInvalid {
		return fmt.Errorf("must be reject or dlq")
	}
	return nil
}

// checkTopicName holds a dead-letter topic to Kafka's topic name rules.
func checkTopicName(v string) error {
	if v == "" || len(v) > 249 || v == "." || v == ".." || strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" {
		return fmt.Errorf("not a topic name")
	}
	return nil
}

func checkArchiveKind(v string) error {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "FLAT", "PARQUET", "ICEBERG":
		return nil
	}
	return fmt.Errorf("must be FLAT, PARQUET or ICEBERG")
}

func checkTable(v string) error {
	_, err := ParseTable(v)
	return err
}

func checkNotEmpty(v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("must not be empty")
	}
	return nil
}

func checkGranularity(v string) error {
	_, err := ParseGranularity(v)
	return err
}

// ParseTable splits "namespace.table" (namespace levels also dotted) into
// an Iceberg identifier.
func ParseTable(s string) ([]string, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) < 2 {
		return nil, fmt.Errorf("table %q: want namespace.table", s)
	}
	for _, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("table %q: empty name component", s)
		}
	}
	return parts, nil
}

// Granularity is the time partitioning of an Iceberg topic's table.
type Granularity string

const (
	Hourly  Granularity = "HOURLY"
	Daily   Granularity = "DAILY" // the default
	Monthly Granularity = "MONTHLY"
)

// ParseGranularity reads HOURLY, DAILY or MONTHLY, any case; "" is Daily.
func ParseGranularity(s string) (Granularity, error) {
	switch g := Granularity(strings.ToUpper(strings.TrimSpace(s))); g {
	case "":
		return Daily, nil
	case Hourly, Daily, Monthly:
		return g, nil
	}
	return "", fmt.Errorf("partition granularity %q: want HOURLY, DAILY or MONTHLY", s)
}
