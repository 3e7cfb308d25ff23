package broker

// Topic configs: the keys a topic may carry, their defaults, and their
// validation. Stored configs hold only what was set; DescribeConfigs adds
// the defaults. Any `bufstream.*` key is stored and returned as given, for
// the schema and Iceberg features that read them.

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/broker/enforce"
)

type topicConfigDef struct {
	def   string
	typ   kmsg.ConfigType
	check func(v string) error
	doc   string
}

const bufstreamPrefix = "bufstream."

// topicConfigDefs lists the topic configs served. Those this broker acts on:
// retention.ms, retention.bytes, cleanup.policy (compact keeps data: key
// compaction is not implemented, so nothing is removed rather than the wrong
// thing), max.message.bytes, message.timestamp.type. The rest are accepted
// and reported so that tools that set them keep working.
var topicConfigDefs = map[string]topicConfigDef{
	"cleanup.policy":                      {"delete", kmsg.ConfigTypeList, checkCleanupPolicy, "delete: retention removes old data; compact: data is kept (key compaction is not implemented)"},
	"retention.ms":                        {"604800000", kmsg.ConfigTypeLong, checkLongMin(-1), "how long data is kept; -1 keeps it forever"},
	"retention.bytes":                     {"-1", kmsg.ConfigTypeLong, checkLongMin(-1), "bytes kept per partition; -1 means no limit"},
	"max.message.bytes":                   {"1048588", kmsg.ConfigTypeInt, checkIntMin(0), "largest record batch accepted"},
	"message.timestamp.type":              {"CreateTime", kmsg.ConfigTypeString, checkOneOf("CreateTime", "LogAppendTime"), "CreateTime keeps the producer's timestamp; LogAppendTime stamps the broker's"},
	"compression.type":                    {"producer", kmsg.ConfigTypeString, checkOneOf("producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"), "batches are stored as produced"},
	"min.insync.replicas":                 {"1", kmsg.ConfigTypeInt, checkIntMin(1), "accepted for compatibility: the object store is the replica set"},
	"segment.bytes":                       {"1073741824", kmsg.ConfigTypeInt, checkIntMin(1), "accepted for compatibility"},
	"segment.ms":                          {"604800000", kmsg.ConfigTypeLong, checkLongMin(1), "accepted for compatibility"},
	"delete.retention.ms":                 {"86400000", kmsg.ConfigTypeLong, checkLongMin(0), "accepted for compatibility"},
	"message.timestamp.difference.max.ms": {"9223372036854775807", kmsg.ConfigTypeLong, checkLongMin(0), "accepted for compatibility"},
	"unclean.leader.election.enable":      {"false", kmsg.ConfigTypeBoolean, checkOneOf("true", "false"), "accepted for compatibility"},
}

// validateTopicConfig checks one key and value; the error message is what
// the client sees with INVALID_CONFIG.
func validateTopicConfig(name string, value *string) error {
	if strings.HasPrefix(name, bufstreamPrefix) {
		// Stored as given, except the keys enforcement reads, which must
		// make sense (bufstream.validate.mode, …dlq.topic).
		if value == nil {
			return nil
		}
		return enforce.CheckTopicConfig(name, *value)
	}
	d, ok := topicConfigDefs[name]
	if !ok {
		return fmt.Errorf("unknown topic config name: %s", name)
	}
	if value == nil {
		return fmt.Errorf("config %s: null value", name)
	}
	if err := d.check(*value); err != nil {
		return fmt.Errorf("invalid value %q for configuration %s: %v", *value, name, err)
	}
	return nil
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
		for _, ok := range vals {
			if v == ok {
				return nil
			}
		}
		return fmt.Errorf("must be one of %s", strings.Join(vals, ", "))
	}
}

func checkCleanupPolicy(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "delete" && p != "compact" {
			return fmt.Errorf("must be a list of delete, compact")
		}
	}
	return nil
}

// topicSettings are the configs the broker acts on, resolved with defaults.
type topicSettings struct {
	retentionMs     int64
	retentionBytes  int64
	deletes         bool // cleanup.policy includes delete
	compacts        bool // cleanup.policy includes compact
	maxMessageBytes int32
	logAppendTime   bool
}

// settingsOf resolves a topic's effective settings; values were validated
// when stored, so parse errors fall back to the default.
func settingsOf(cfg map[string]string, defMaxMessageBytes int32) topicSettings {
	get := func(k string) string {
		if v, ok := cfg[k]; ok {
			return v
		}
		return topicConfigDefs[k].def
	}
	st := topicSettings{retentionMs: 604800000, retentionBytes: -1, maxMessageBytes: defMaxMessageBytes}
	if n, err := strconv.ParseInt(get("retention.ms"), 10, 64); err == nil {
		st.retentionMs = n
	}
	if n, err := strconv.ParseInt(get("retention.bytes"), 10, 64); err == nil {
		st.retentionBytes = n
	}
	if v, ok := cfg["max.message.bytes"]; ok {
		if n, err := strconv.ParseInt(v, 10, 32); err == nil {
			st.maxMessageBytes = int32(n)
		}
	}
	st.deletes = strings.Contains(get("cleanup.policy"), "delete")
	st.compacts = strings.Contains(get("cleanup.policy"), "compact")
	st.logAppendTime = get("message.timestamp.type") == "LogAppendTime"
	return st
}

// RetentionOf exposes the effective retention settings of a topic config to
// background jobs (housekeeping).
func RetentionOf(cfg map[string]string) (retentionMs, retentionBytes int64, deletes bool) {
	st := settingsOf(cfg, 0)
	return st.retentionMs, st.retentionBytes, st.deletes
}

// describedConfigNames lists the keys DescribeConfigs reports for a topic:
// every known key and every stored one, sorted.
func describedConfigNames(stored map[string]string) []string {
	names := make([]string, 0, len(topicConfigDefs)+len(stored))
	for k := range topicConfigDefs {
		names = append(names, k)
	}
	for k := range stored {
		if _, known := topicConfigDefs[k]; !known {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return names
}
