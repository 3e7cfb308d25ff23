package postgres

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// The SQL lives in files, one statement each (STYLE #10): sql/ holds the
// queries, migrations/NNNN_name.sql the schema, applied in number order.

//go:embed sql/*.sql
var sqlFiles embed.FS

//go:embed migrations/*.sql
var migrationFiles embed.FS

// loaded records the names query loaded, so a test can check that no file
// is left unused.
var loaded = map[string]bool{}

// query returns the statement of sql/name.sql. A missing file panics
// while the package initializes, so any test catches it.
func query(name string) string {
	b, err := sqlFiles.ReadFile("sql/" + name + ".sql")
	if err != nil {
		panic(fmt.Sprintf("postgres: %v", err))
	}
	loaded[name] = true
	return trimStatement(string(b))
}

// trimStatement drops surrounding space and a final semicolon.
func trimStatement(s string) string {
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), ";"))
}

// migration is one numbered schema change.
type migration struct {
	version int
	name    string // file name without the number and .sql
	sql     string
}

// migrations are the files of migrations/, by version; the numbers must
// run 1, 2, 3… without gaps or repeats.
var migrations = loadMigrations()

func loadMigrations() []migration {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		panic(fmt.Sprintf("postgres: %v", err))
	}
	var out []migration
	for i, e := range entries { // ReadDir sorts by name
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v != i+1 {
			panic(fmt.Sprintf("postgres: migration %s is not number %04d_name.sql", e.Name(), i+1))
		}
		b, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			panic(fmt.Sprintf("postgres: %v", err))
		}
		out = append(out, migration{version: v, name: name, sql: trimStatement(string(b))})
	}
	return out
}

var (
	sqlMigrationsCreate  = query("migrations_create")
	sqlMigrationsLock    = query("migrations_lock")
	sqlMigrationsApplied = query("migrations_applied")
	sqlMigrationsRecord  = query("migrations_record")

	sqlTopicInsert            = query("topic_insert")
	sqlPartitionsInsert       = query("partitions_insert")
	sqlTopicByName            = query("topic_by_name")
	sqlTopicByNameForUpdate   = query("topic_by_name_for_update")
	sqlTopicByID              = query("topic_by_id")
	sqlTopics                 = query("topics")
	sqlTopicDelete            = query("topic_delete")
	sqlTopicSetPartitions     = query("topic_set_partitions")
	sqlTopicSetConfigs        = query("topic_set_configs")
	sqlTopicLockPartitions    = query("topic_lock_partitions")
	sqlTopicObjectRefs        = query("topic_object_refs")
	sqlTopicDeleteIndex       = query("topic_delete_index")
	sqlTopicDeleteProducers   = query("topic_delete_producers")
	sqlTopicDeletePartitions  = query("topic_delete_partitions")
	sqlAppendLockPartitions   = query("append_lock_partitions")
	sqlAppendLockProducers    = query("append_lock_producers")
	sqlAppendUpdatePartitions = query("append_update_partitions")
	sqlAppendUpsertProducers  = query("append_upsert_producers")
	sqlIndexInsert            = query("index_insert")
	sqlObjectAddRefs          = query("object_add_refs")
	sqlObjectsLock            = query("objects_lock")
	sqlObjectsDropRefs        = query("objects_drop_refs")
	sqlObjectsDead            = query("objects_dead")
	sqlObjectsForget          = query("objects_forget")
	sqlObjectsKnown           = query("objects_known")
	sqlPartition              = query("partition")
	sqlPartitionStates        = query("partition_states")
	sqlPartitionForUpdate     = query("partition_for_update")
	sqlIndexRead              = query("index_read")
	sqlIndexTrim              = query("index_trim")
	sqlPartitionTrim          = query("partition_trim")
	sqlPartitionDeleteRecords = query("partition_delete_records")
	sqlIndexEntriesAt         = query("index_entries_at")
	sqlIndexDeleteAt          = query("index_delete_at")
	sqlPartitionAddBytes      = query("partition_add_bytes")
	sqlProducerIDNext         = query("producer_id_next")
	sqlBrokerClaim            = query("broker_claim")
	sqlBrokerClaimAny         = query("broker_claim_any")
	sqlBrokerHeartbeat        = query("broker_heartbeat")
	sqlBrokerDeregister       = query("broker_deregister")
	sqlBrokersLive            = query("brokers_live")
	sqlLeaseAcquire           = query("lease_acquire")
	sqlLeaseRelease           = query("lease_release")

	sqlGroupByName             = query("group_by_name")
	sqlGroups                  = query("groups")
	sqlGroupInsert             = query("group_insert")
	sqlGroupUpdate             = query("group_update")
	sqlGroupLock               = query("group_lock")
	sqlGroupGenerationForShare = query("group_generation_for_share")
	sqlGroupDelete             = query("group_delete")
	sqlGroupOffsets            = query("group_offsets")
	sqlGroupOffsetsUpsert      = query("group_offsets_upsert")
	sqlGroupOffsetsDelete      = query("group_offsets_delete")
	sqlGroupOffsetsDeleteAll   = query("group_offsets_delete_all")
	sqlGroupsExpireLock        = query("groups_expire_lock")
	sqlGroupsExpired           = query("groups_expired")
	sqlGroupsExpireOffsets     = query("groups_expire_offsets")
	sqlGroupsExpireRecords     = query("groups_expire_records")
	sqlTopicDeleteGroupOffsets = query("topic_delete_group_offsets")

	sqlKVGet      = query("kv_get")
	sqlKVList     = query("kv_list")
	sqlKVListOpen = query("kv_list_open")
	sqlKVLock     = query("kv_lock")
	sqlKVInsert   = query("kv_insert")
	sqlKVUpsert   = query("kv_upsert")
	sqlKVUpdate   = query("kv_update")
	sqlKVDelete   = query("kv_delete")
)
