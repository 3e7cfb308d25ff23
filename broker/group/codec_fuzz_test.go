package group

import (
	"testing"

	"github.com/tributary-io/tributary/internal/metastore"
)

// FuzzDecodeState: stored group state is read back by whichever broker
// takes a group over; bad bytes must give an error, never a panic, and a
// state that decodes must load.
func FuzzDecodeState(f *testing.F) {
	c := &Coordinator{}
	c.opts.defaults()
	g := newGroup(c, "g")
	g.members = []*member{{ID: "m1", Protocols: []protocol{{Name: "range", Metadata: []byte{0, 1}}}, SessionTimeout: 10000}}
	g.protocol, g.leader, g.state = "range", "m1", stateStable
	b, err := encodeState(g)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b, kindClassic, stateStable)
	g.kind = kindConsumer
	g.consumer = &consumerGroup{Epoch: 3, Target: map[string][]tp{"m1": {{Partition: 1}}}, members: []*consumerMember{{ID: "m1", Epoch: 3}}}
	b, _ = encodeState(g)
	f.Add(b, kindConsumer, stateReconciling)
	f.Add([]byte(`{"v":1,"members":[null]}`), kindClassic, stateEmpty)
	f.Fuzz(func(t *testing.T, state []byte, kind, stateName string) {
		rec := metastore.Group{Name: "g", Version: 1, Kind: kind, StateName: stateName, State: state}
		g, err := loadGroup(c, rec)
		if err != nil {
			return
		}
		if _, err := encodeState(g); err != nil {
			t.Fatalf("a loaded group does not encode: %v", err)
		}
	})
}
