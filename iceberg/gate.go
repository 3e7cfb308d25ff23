package iceberg

import "sync"

// gates are the commit gates of the tables this process writes, by table
// location.
var gates sync.Map // string → *sync.Mutex

// CommitGate is the commit gate of the table at location (its metadata's
// location): a process-wide lock that every Commit attempt of ingest
// holds, and that table maintenance holds around one attempt of a
// rewrite commit (load the head, stage, commit). A rewrite staged on a
// head must commit before the head moves; ingest committing every second
// could otherwise win every race against a rewrite whose staging takes
// longer than a second (seen on a loaded machine: 20 attempts lost in a
// row, the table's small files piling up). Ingest waits at most one such
// attempt. It serializes the writers of one process only; writers in
// other processes still meet as conflicts, retried.
func CommitGate(location string) *sync.Mutex {
	g, _ := gates.LoadOrStore(location, &sync.Mutex{})
	return g.(*sync.Mutex)
}
