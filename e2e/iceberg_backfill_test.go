//go:build unix

package e2e

import (
	"fmt"
	"testing"
	"time"

	icetable "github.com/apache/iceberg-go/table"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/tributary-io/tributary/node"
	"github.com/tributary-io/tributary/schema/wire"
	"github.com/tributary-io/tributary/topicconfig"
)

// TestIcebergBackfill: a topic that already holds records (Protobuf
// orders and one whose schema id is unknown) becomes an Iceberg topic
// through IncrementalAlterConfigs, with no restart; the table gets every
// earlier record, from the log start, and those produced after; a later
// config change (the commit interval) restarts the pipeline, which
// resumes from the table without writing anything twice.
func TestIcebergBackfill(t *testing.T) {
	const topic = "late"
	ident := icetable.Identifier{"shop", "late"}
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	id, md := registerOrder(t, n.RegistryAddr(), topic+"-value", icebergOrderProto)
	createTopicWith(t, n.KafkaAddr(), topic, 2, nil)
	cl := newClient(t, n.KafkaAddr(), kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	ctx := ctxTimeout(t, time.Minute)

	msgs := map[string]*dynamicpb.Message{} // by partition/offset; nil: not decodable
	produce := func(from, to int) {
		for i := from; i < to; i++ {
			r := orderRecord(topic, id, md, i)
			msg := richOrder(md, i)
			if i == from {
				r.Value, msg = wire.Append(nil, 424242, []int{0}), nil // unknown schema id
			}
			r.Partition = int32(i % 2)
			if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatal(err)
			}
			msgs[fmt.Sprint(r.Partition, "/", r.Offset)] = msg
		}
	}
	produce(0, 40)
	time.Sleep(2500 * time.Millisecond) // more than ingest's poll of topic configs
	if tbl := loadTable(t, n.CatalogAddr(), ident); tbl != nil || len(tablesStatus(t, n.AdminAddr())) != 0 {
		t.Fatalf("a topic without Iceberg configs has a table (%v) or a pipeline", tbl != nil)
	}

	set := func(k, v string) kadm.AlterConfig { return kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: &v} }
	res, err := newAdmin(t, n.KafkaAddr()).AlterTopicConfigs(ctx, []kadm.AlterConfig{
		set(topicconfig.ArchiveKind, "iceberg"), set(topicconfig.ArchiveTable, "shop.late"), set(topicconfig.CommitFreqMs, "300"),
	}, topic)
	if err == nil {
		_, err = res.On(topic, nil)
	}
	if err != nil {
		t.Fatalf("IncrementalAlterConfigs: %v", err)
	}
	produce(40, 50)
	waitRows(t, n.CatalogAddr(), ident, len(msgs), 30*time.Second)

	// A config change restarts the pipeline, which resumes from the table.
	res, err = newAdmin(t, n.KafkaAddr()).AlterTopicConfigs(ctx, []kadm.AlterConfig{set(topicconfig.CommitFreqMs, "200")}, topic)
	if err == nil {
		_, err = res.On(topic, nil)
	}
	if err != nil {
		t.Fatalf("IncrementalAlterConfigs: %v", err)
	}
	time.Sleep(2500 * time.Millisecond) // the pipeline restarts on its next poll of topic configs
	produce(50, 60)
	rows := waitRows(t, n.CatalogAddr(), ident, len(msgs), 30*time.Second)
	for pos, msg := range msgs {
		row := rows[pos]
		if row == nil {
			t.Fatalf("record %s not in the table", pos)
		}
		val := row["val"].(map[string]any)
		if msg == nil {
			if val["__err__"] == nil || val["__raw__"] == nil {
				t.Errorf("record %s of an unknown schema: __err__ %v __raw__ %v", pos, val["__err__"], val["__raw__"])
			}
			continue
		}
		for _, d := range matchValue("val", expectMessage(msg.ProtoReflect()), val) {
			t.Errorf("record %s: %s", pos, d)
		}
	}
	st := tablesStatus(t, n.AdminAddr())
	if len(st) != 1 || st[0].Committed[0]+st[0].Committed[1] != int64(len(msgs)) || st[0].LagRecords != 0 {
		t.Errorf("/-/tables: %+v", st)
	}
	t.Logf("%d records produced before Iceberg was turned on and %d after (10 after a config change): all in the table once", 40, len(msgs)-40)
}
