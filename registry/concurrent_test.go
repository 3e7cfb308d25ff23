package registry

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/tributary-io/tributary/internal/metastore"
)

func TestConcurrentRegistrations(t *testing.T) {
	store := newStore(t)
	concurrentRegistrations(t, store, store, 8, 40)
}

// concurrentRegistrations has workers register overlapping schemas into
// overlapping subjects, in parallel, through two Servers (two brokers) on
// storeA and storeB (one store, or two handles on one database), then
// checks: one id per distinct schema and none shared, ids dense from 1,
// versions dense per subject, no schema twice in a subject, every id
// serving its own text.
func concurrentRegistrations(t *testing.T, storeA, storeB metastore.KV, workers, perWorker int) {
	const nSchemas, nSubjects = 12, 5
	regs := []*testRegistry{
		newTestRegistry(t, storeA, Options{DefaultCompatibility: "NONE"}),
		newTestRegistry(t, storeB, Options{DefaultCompatibility: "NONE"}),
	}
	schemaText := func(i int) string {
		return fmt.Sprintf("syntax = \"proto3\";\npackage c.v%d;\nmessage M { int64 f%d = %d; }\n", i, i, i+1)
	}
	var (
		mu        sync.Mutex
		idOf      = map[int]int{}             // schema → id
		inSubject = map[string]map[int]bool{} // subject → schemas registered into it
	)
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range perWorker {
				i := (w*7 + k*5) % nSchemas
				subject := fmt.Sprintf("subject-%d", (w+k*3)%nSubjects)
				cl := regs[(w+k)%2].cl
				id, err := cl.RegisterSchema(ctx(t), subject, proto(schemaText(i)), -1, -1)
				if err != nil {
					errs <- fmt.Errorf("worker %d: register schema %d in %s: %w", w, i, subject, err)
					return
				}
				mu.Lock()
				if prev, ok := idOf[i]; ok && prev != id {
					errs <- fmt.Errorf("schema %d got ids %d and %d", i, prev, id)
				}
				idOf[i] = id
				if inSubject[subject] == nil {
					inSubject[subject] = map[int]bool{}
				}
				inSubject[subject][i] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	schemaOfID := map[int]int{}
	for i, id := range idOf {
		if other, dup := schemaOfID[id]; dup {
			t.Errorf("id %d given to schemas %d and %d", id, other, i)
		}
		schemaOfID[id] = i
	}
	for id := 1; id <= len(idOf); id++ {
		if _, ok := schemaOfID[id]; !ok {
			t.Errorf("ids not dense: %d missing among %d schemas", id, len(idOf))
		}
	}
	cl := regs[0].cl
	for subject, schemas := range inSubject {
		vs, err := cl.SubjectVersions(ctx(t), subject)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]int, len(schemas))
		for i := range want {
			want[i] = i + 1
		}
		if !slices.Equal(vs, want) {
			t.Errorf("%s: versions %v, want %v (dense, one per schema)", subject, vs, want)
		}
		seen := map[int]bool{}
		for _, v := range vs {
			ss, err := cl.SchemaByVersion(ctx(t), subject, v)
			if err != nil {
				t.Fatal(err)
			}
			i, ok := schemaOfID[ss.ID]
			if !ok || !schemas[i] || seen[ss.ID] {
				t.Errorf("%s v%d: id %d (schema %d, known %v, twice %v)", subject, v, ss.ID, i, ok, seen[ss.ID])
			}
			seen[ss.ID] = true
		}
	}
	t.Logf("%d registrations, %d distinct schemas, %d compare-and-swap conflicts retried",
		workers*perWorker, len(idOf), regs[0].srv.conflicts.Load()+regs[1].srv.conflicts.Load())
	for id, i := range schemaOfID {
		s, err := regs[1].cl.SchemaByID(ctx(t), id)
		if err != nil || s.Schema != schemaText(i) || s.Type != sr.TypeProtobuf {
			t.Errorf("id %d: %q %v, want schema %d", id, s.Schema, err, i)
		}
	}
}
