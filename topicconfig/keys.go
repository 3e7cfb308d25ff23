package topicconfig

import (
	"sort"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/config"
)

// Names of the keys other packages act on.
const (
	RetentionMs          = "retention.ms"
	RetentionBytes       = "retention.bytes"
	CleanupPolicy        = "cleanup.policy"
	MaxMessageBytes      = "max.message.bytes"
	MessageTimestampType = "message.timestamp.type"

	// ValidateMode is bufstream.validate.mode: "reject" or "dlq" (any case).
	ValidateMode = "bufstream.validate.mode"
	// DLQTopic is bufstream.validate.dlq.topic: where dlq mode writes
	// failing records. Default: the topic's name followed by DLQSuffix.
	DLQTopic = "bufstream.validate.dlq.topic"

	ArchiveKind        = "bufstream.archive.kind"
	ArchiveTable       = "bufstream.archive.iceberg.table"
	ArchiveCatalog     = "bufstream.archive.iceberg.catalog"
	ArchiveGranularity = "bufstream.archive.parquet.granularity"
	CommitFreqMs       = "bufstream.export.iceberg.commit.freq.ms"

	// ArchiveRetentionMs is Tributary's own (Bufstream has no such key):
	// whole table partitions whose every row has a kafka.event_timestamp
	// older than this many milliseconds are dropped by table maintenance
	// (their files deleted, none rewritten). Unset or 0: off.
	ArchiveRetentionMs = "tributary.archive.iceberg.retention.ms"
)

// DLQSuffix makes the default dead-letter topic name, "orders.dlq" for
// "orders" (the name Buf's demo configures; Bufstream documents no
// default).
const DLQSuffix = ".dlq"

// LocalCatalog is the built-in Iceberg catalog's name, the default of
// bufstream.archive.iceberg.catalog and always known.
const LocalCatalog = config.LocalCatalogName

// Key describes one topic config.
type Key struct {
	Name string
	Type kmsg.ConfigType
	// Default is the value when unset, as DescribeConfigs reports it; ""
	// for a key with none (bufstream.archive.iceberg.table).
	Default string
	Doc     string
	// Acted: the broker acts on the key; the others are accepted and
	// reported so that tools that set them keep working.
	Acted bool
	// Listed: DescribeConfigs reports the key with its default when it is
	// unset (Kafka's keys); the bufstream.* keys are listed only when set.
	Listed bool

	check func(v string) error
}

var keys = map[string]Key{}

func def(k Key) { keys[k.Name] = k }

func init() {
	long, integer, str, list, boolean := kmsg.ConfigTypeLong, kmsg.ConfigTypeInt, kmsg.ConfigTypeString, kmsg.ConfigTypeList, kmsg.ConfigTypeBoolean
	kafka := func(name string, typ kmsg.ConfigType, dflt string, acted bool, check func(string) error, doc string) {
		def(Key{Name: name, Type: typ, Default: dflt, Doc: doc, Acted: acted, Listed: true, check: check})
	}
	kafka(CleanupPolicy, list, "delete", true, checkCleanupPolicy, "delete: retention removes old data; compact: data is kept (key compaction is not implemented)")
	kafka(RetentionMs, long, "604800000", true, checkLongMin(-1), "how long data is kept; -1 keeps it forever")
	kafka(RetentionBytes, long, "-1", true, checkLongMin(-1), "bytes kept per partition; -1 means no limit")
	kafka(MaxMessageBytes, integer, "1048588", true, checkIntMin(0), "largest record batch accepted")
	kafka(MessageTimestampType, str, "CreateTime", true, checkOneOf("CreateTime", "LogAppendTime"), "CreateTime keeps the producer's timestamp; LogAppendTime stamps the broker's")
	kafka("compression.type", str, "producer", false, checkOneOf("producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"), "batches are stored as produced")
	kafka("min.insync.replicas", integer, "1", false, checkIntMin(1), "accepted for compatibility: the object store is the replica set")
	kafka("segment.bytes", integer, "1073741824", false, checkIntMin(1), "accepted for compatibility")
	kafka("segment.ms", long, "604800000", false, checkLongMin(1), "accepted for compatibility")
	kafka("delete.retention.ms", long, "86400000", false, checkLongMin(0), "accepted for compatibility")
	kafka("message.timestamp.difference.max.ms", long, "9223372036854775807", false, checkLongMin(0), "accepted for compatibility")
	kafka("unclean.leader.election.enable", boolean, "false", false, checkOneOf("true", "false"), "accepted for compatibility")

	bufstream := func(name string, typ kmsg.ConfigType, dflt string, check func(string) error, doc string) {
		def(Key{Name: name, Type: typ, Default: dflt, Doc: doc, Acted: true, check: check})
	}
	bufstream(ValidateMode, str, "", checkMode, "reject: produces of records that fail their schema are refused; dlq: they go to the dead-letter topic")
	bufstream(DLQTopic, str, "", checkTopicName, "dead-letter topic of dlq mode; default: the topic's name followed by "+DLQSuffix)
	bufstream(ArchiveKind, str, "FLAT", checkArchiveKind, "ICEBERG copies the topic into an Iceberg table; FLAT and PARQUET keep only the log")
	bufstream(ArchiveTable, str, "", checkTable, "the Iceberg table, namespace.table (the namespace is created if missing)")
	bufstream(ArchiveCatalog, str, LocalCatalog, checkNotEmpty, "the Iceberg catalog: one of the config's iceberg entries, or local, the built-in one")
	bufstream(CommitFreqMs, long, "60000", checkLongMin(1), "milliseconds between Iceberg commits")
	bufstream(ArchiveGranularity, str, "DAILY", checkGranularity, "time partitioning of a table created for the topic: HOURLY, DAILY or MONTHLY")
	bufstream(ArchiveRetentionMs, long, "0", checkLongMin(0), "Tributary's own: table partitions older than this many milliseconds are dropped by maintenance; 0 keeps them")
}

// Lookup returns the key named name; ok is false for a key this package
// does not know.
func Lookup(name string) (Key, bool) {
	k, ok := keys[name]
	return k, ok
}

// Keys returns every known key, sorted by name.
func Keys() []Key {
	out := make([]Key, 0, len(keys))
	for _, k := range keys {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Described lists the keys DescribeConfigs reports for a topic whose
// stored configs are stored: every listed key and every stored one,
// sorted.
func Described(stored map[string]string) []string {
	names := make([]string, 0, len(keys)+len(stored))
	for name, k := range keys {
		if _, set := stored[name]; k.Listed && !set {
			names = append(names, name)
		}
	}
	for name := range stored {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// bufstreamPrefix marks Bufstream's keys; unknown ones are stored as given.
const bufstreamPrefix = "bufstream."

// IsBufstream reports whether name is in Bufstream's namespace.
func IsBufstream(name string) bool {
	return len(name) > len(bufstreamPrefix) && strings.HasPrefix(name, bufstreamPrefix)
}
