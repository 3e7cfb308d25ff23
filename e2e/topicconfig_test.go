package e2e

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/node"
)

// Iceberg topic configs that cannot work are refused where they are
// written, with INVALID_CONFIG and a message naming the key, by
// CreateTopics, IncrementalAlterConfigs and AlterConfigs alike. Before
// topic configs had one owner they were stored, and the mistake showed up
// only later, as a pipeline error in /-/tables.
func TestTopicConfigIcebergRefusedAtWrite(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	// Named only: nothing here turns on a pipeline, so it is never dialled.
	cfg.Iceberg = []config.IcebergCatalog{{Name: "ext", REST: &config.RESTCatalog{URL: "http://127.0.0.1:1"}}}
	n := startNode(t, cfg, node.Hooks{})
	ctx := ctxTimeout(t, 30*time.Second)
	adm := newAdmin(t, n.KafkaAddr())
	s := kadm.StringPtr
	iceberg := func(kv ...string) map[string]*string {
		m := map[string]*string{"bufstream.archive.kind": s("ICEBERG"), "bufstream.archive.iceberg.table": s("shop.orders")}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = s(kv[i+1])
		}
		return m
	}
	bad := []struct {
		name string
		cfgs map[string]*string
		want string
	}{
		{"table", iceberg("bufstream.archive.iceberg.table", "not a table"),
			`invalid value "not a table" for configuration bufstream.archive.iceberg.table: table "not a table": want namespace.table`},
		{"catalog", iceberg("bufstream.archive.iceberg.catalog", "nosuch"),
			`invalid value "nosuch" for configuration bufstream.archive.iceberg.catalog: no such Iceberg catalog (known: local, ext)`},
		{"commit interval", iceberg("bufstream.export.iceberg.commit.freq.ms", "0"),
			`invalid value "0" for configuration bufstream.export.iceberg.commit.freq.ms: must be at least 1`},
		{"granularity", iceberg("bufstream.archive.parquet.granularity", "WEEKLY"),
			`invalid value "WEEKLY" for configuration bufstream.archive.parquet.granularity`},
		{"no table", map[string]*string{"bufstream.archive.kind": s("ICEBERG")},
			`configuration bufstream.archive.kind=ICEBERG needs bufstream.archive.iceberg.table`},
	}
	refused := func(what string, err error, msg, want string) {
		t.Helper()
		if !errors.Is(err, kerr.InvalidConfig) || !strings.Contains(msg, want) {
			t.Errorf("%s: err %v message %q, want INVALID_CONFIG saying %q", what, err, msg, want)
		}
	}

	for _, c := range bad {
		resp, _ := adm.CreateTopic(ctx, 1, 1, c.cfgs, "ice-bad") // the error is resp.Err
		refused("CreateTopics, bad "+c.name, resp.Err, resp.ErrMessage, c.want)
	}
	if topics, err := adm.ListTopics(ctx); err != nil || topics.Has("ice-bad") {
		t.Fatalf("a refused CreateTopics created the topic (err %v)", err)
	}
	if resp, err := adm.ValidateCreateTopics(ctx, 1, 1, iceberg("bufstream.archive.iceberg.catalog", "ext", "bufstream.export.iceberg.commit.freq.ms", "500"), "ice-ok"); err != nil || resp["ice-ok"].Err != nil {
		t.Fatalf("valid Iceberg configs on a configured catalog: %v %v %s", err, resp["ice-ok"].Err, resp["ice-ok"].ErrMessage)
	}

	if resp, err := adm.CreateTopic(ctx, 1, 1, nil, "ice-alter"); err != nil || resp.Err != nil {
		t.Fatalf("create: %v %v", err, resp)
	}
	alter := func(cfgs map[string]*string) kadm.AlterConfigsResponse {
		t.Helper()
		var set []kadm.AlterConfig
		for k, v := range cfgs {
			set = append(set, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: v})
		}
		rs, err := adm.AlterTopicConfigs(ctx, set, "ice-alter")
		if err != nil || len(rs) != 1 {
			t.Fatalf("incremental alter: %v %v", err, rs)
		}
		return rs[0]
	}
	for _, c := range bad {
		r := alter(c.cfgs)
		refused("IncrementalAlterConfigs, bad "+c.name, r.Err, r.ErrMessage, c.want)
	}
	// The resulting set is what is checked: a table set first, then the
	// kind alone, passes (Bufstream's documented order); the kind alone
	// on a topic without a table does not (above).
	if r := alter(map[string]*string{"bufstream.archive.iceberg.table": s("shop.orders"), "bufstream.archive.iceberg.catalog": s("ext")}); r.Err != nil {
		t.Fatalf("table and catalog: %v %s", r.Err, r.ErrMessage)
	}
	rs, err := adm.AlterTopicConfigsState(ctx, []kadm.AlterConfig{{Name: "bufstream.archive.iceberg.catalog", Value: s("nosuch")}}, "ice-alter")
	if err != nil || len(rs) != 1 {
		t.Fatalf("alter (replace): %v %v", err, rs)
	}
	refused("AlterConfigs, bad catalog", rs[0].Err, rs[0].ErrMessage, "no such Iceberg catalog")

	rcs, err := adm.DescribeTopicConfigs(ctx, "ice-alter")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rcs.On("ice-alter", nil)
	if err != nil || rc.Err != nil {
		t.Fatalf("describe: %v %v", err, rc.Err)
	}
	got := map[string]string{}
	for _, c := range rc.Configs {
		if strings.HasPrefix(c.Key, "bufstream.") {
			got[c.Key] = val(map[string]kadm.Config{c.Key: c}, c.Key)
		}
	}
	if len(got) != 2 || got["bufstream.archive.iceberg.table"] != "shop.orders" || got["bufstream.archive.iceberg.catalog"] != "ext" {
		t.Fatalf("stored bufstream configs %v: want only the accepted table and catalog", got)
	}
}
