package iceberg

import "sync"

// gates are the commit gates of the tables this process writes, by table
// location.
var gates sync.Map // string → *sync.RWMutex

// CommitGate is the commit gate of the table at location (its metadata's
// location): a process-wide lock whose read side every Commit attempt of
// ingest holds, and whose write side table maintenance holds around one
// attempt of a rewrite commit (load the head, stage, commit). A rewrite staged on a
// head must commit before the head moves; ingest committing every second
// could otherwise win every race against a rewrite whose staging takes
// longer than a second (seen on a loaded machine: 20 attempts lost in a
// row, the table's small files piling up). Ingest waits at most one such
// attempt (a waiting rewrite holds back new ingest attempts). Ingest
// writers do not exclude each other: their offsets fence them, and one
// may commit while another's attempt is in flight. It orders the writers
// of one process only; writers in other processes still meet as
// conflicts, retried.
func CommitGate(location string) *sync.RWMutex {
	g, _ := gates.LoadOrStore(location, &sync.RWMutex{})
	return g.(*sync.RWMutex)
}
