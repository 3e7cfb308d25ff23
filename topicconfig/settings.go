package topicconfig

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Settings are what a topic's stored configs say, parsed once, with
// defaults resolved. The zero value is not meaningful: use Parse.
type Settings struct {
	RetentionMs    int64 // -1: forever
	RetentionBytes int64 // -1: no limit
	Deletes        bool  // cleanup.policy includes delete
	Compacts       bool  // cleanup.policy includes compact
	// MaxMessageBytes is the topic's max.message.bytes; 0 when unset,
	// and the broker's message.max.bytes applies.
	MaxMessageBytes int32
	LogAppendTime   bool // message.timestamp.type=LogAppendTime
	Validation      Validation
	Archive         Archive
}

// Mode is a topic's bufstream.validate.mode.
type Mode uint8

const (
	ModeNone    Mode = iota // unset: the data-enforcement policies alone apply
	ModeReject              // refuse batches that fail their schema
	ModeDLQ                 // send failing records to the dead-letter topic
	ModeInvalid             // set, but neither reject nor dlq: ignored
)

func (m Mode) String() string {
	return [...]string{"none", "reject", "dlq", "invalid"}[m]
}

// Validation is the bufstream.validate.* part of a topic's settings.
type Validation struct {
	Mode Mode
	// DLQTopic is bufstream.validate.dlq.topic as stored, "" when unset
	// (see DeadLetterTopic).
	DLQTopic string
}

// DeadLetterTopic is where dlq mode writes topic's failing records.
func (v Validation) DeadLetterTopic(topic string) string {
	if v.DLQTopic != "" {
		return v.DLQTopic
	}
	return topic + DLQSuffix
}

// Archive is the bufstream.archive.* and bufstream.export.* part of a
// topic's settings.
type Archive struct {
	// Kind is bufstream.archive.kind, upper-cased: FLAT (the default),
	// PARQUET or ICEBERG. Only ICEBERG is acted on.
	Kind    string
	Catalog string   // default LocalCatalog
	Table   string   // namespace.table as stored, trimmed
	Ident   []string // Table split: namespace levels, then the table
	// CommitInterval is bufstream.export.iceberg.commit.freq.ms; 0 when
	// unset, and the ingest default applies.
	CommitInterval time.Duration
	Granularity    Granularity // default Daily
	// Retention is tributary.archive.iceberg.retention.ms; 0 (unset) keeps
	// every table partition.
	Retention time.Duration
	// Err, for an Iceberg topic, is why its stored archive configs cannot
	// be used (values stored before they were validated); nil otherwise.
	Err error
}

// Iceberg reports whether the topic is copied into an Iceberg table.
func (a Archive) Iceberg() bool { return a.Kind == "ICEBERG" }

// DefaultCommitInterval is the commit interval of an Iceberg topic
// without bufstream.export.iceberg.commit.freq.ms (Bufstream's reference
// gives none; 60 s is the usual streaming-to-Iceberg cadence).
const DefaultCommitInterval = 60 * time.Second

// Parse resolves a topic's stored configs into Settings. Values are
// validated when stored; one that is not valid (stored before it was
// checked) falls back to its key's default.
func Parse(cfg map[string]string) Settings {
	st := Settings{
		RetentionMs:    parseLong(cfg, RetentionMs),
		RetentionBytes: parseLong(cfg, RetentionBytes),
		LogAppendTime:  cfg[MessageTimestampType] == "LogAppendTime",
		Validation:     Validation{Mode: parseMode(cfg[ValidateMode]), DLQTopic: cfg[DLQTopic]},
		Archive:        parseArchive(cfg),
	}
	if v, set := cfg[MaxMessageBytes]; set {
		if n, err := strconv.ParseInt(v, 10, 32); err == nil && n >= 0 {
			st.MaxMessageBytes = int32(n)
		}
	}
	var ok bool
	if st.Deletes, st.Compacts, ok = parseCleanupPolicy(valueOf(cfg, CleanupPolicy)); !ok {
		st.Deletes, st.Compacts, _ = parseCleanupPolicy(keys[CleanupPolicy].Default)
	}
	return st
}

// valueOf is key's stored value if valid, else its default.
func valueOf(cfg map[string]string, key string) string {
	if v, set := cfg[key]; set && Validate(key, v) == nil {
		return v
	}
	return keys[key].Default
}

func parseLong(cfg map[string]string, key string) int64 {
	n, _ := strconv.ParseInt(valueOf(cfg, key), 10, 64)
	return n
}

// parseCleanupPolicy reads a list of delete and compact; ok is false when
// it holds anything else.
func parseCleanupPolicy(v string) (deletes, compacts, ok bool) {
	for _, p := range strings.Split(v, ",") {
		switch strings.TrimSpace(p) {
		case "delete":
			deletes = true
		case "compact":
			compacts = true
		default:
			return false, false, false
		}
	}
	return deletes, compacts, true
}

// parseMode reads bufstream.validate.mode: reject or dlq, in any case.
func parseMode(v string) Mode {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "":
		return ModeNone
	case "reject":
		return ModeReject
	case "dlq":
		return ModeDLQ
	}
	return ModeInvalid
}

// parseArchive reads the archive keys. For an Iceberg topic the first
// bad value is kept in Err (the pipeline reports it instead of running).
func parseArchive(cfg map[string]string) Archive {
	a := Archive{Kind: strings.ToUpper(strings.TrimSpace(valueOf(cfg, ArchiveKind))), Catalog: LocalCatalog, Granularity: Daily}
	if c := strings.TrimSpace(cfg[ArchiveCatalog]); c != "" {
		a.Catalog = c
	}
	a.Table = strings.TrimSpace(cfg[ArchiveTable])
	var errs []error
	var err error
	if a.Ident, err = ParseTable(a.Table); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", ArchiveTable, err))
	}
	if v := strings.TrimSpace(cfg[CommitFreqMs]); v != "" {
		if ms, err := strconv.ParseInt(v, 10, 64); err != nil || ms <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a positive number of milliseconds", CommitFreqMs, v))
		} else {
			a.CommitInterval = time.Duration(ms) * time.Millisecond
		}
	}
	if v := strings.TrimSpace(cfg[ArchiveRetentionMs]); v != "" {
		if ms, err := strconv.ParseInt(v, 10, 64); err != nil || ms < 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a non-negative number of milliseconds", ArchiveRetentionMs, v))
		} else {
			a.Retention = time.Duration(ms) * time.Millisecond
		}
	}
	if g, err := ParseGranularity(cfg[ArchiveGranularity]); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", ArchiveGranularity, err))
	} else {
		a.Granularity = g
	}
	if a.Iceberg() && len(errs) > 0 {
		a.Err = &invalid{msg: errs[0].Error()}
	}
	return a
}
