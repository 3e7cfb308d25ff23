package catalog

import (
	"fmt"
	"os"
	"path"

	"github.com/apache/iceberg-go/table"
)

// makeStagedDirs creates a staged table's data and metadata directories
// when the server chose its location (serverChosen: the client asked for
// none, or its request was overridden) and they are on the local file
// system. DuckDB's CREATE TABLE AS stages the create without a location,
// writes its data and manifest files at the one answered, and only then
// commits; it does not make parent directories, and a local warehouse has
// none for a table not yet created. A client that names the location
// (Trino's CREATE TABLE AS does) makes its own directories, and a failed
// statement of it leaves nothing behind. The directories hold no file, so
// a create never committed leaves nothing that an engine's empty-location
// check trips over (Trino's lists the files under a new table's location:
// empty directories pass it). Object stores have no directories: nothing
// is made there. Only directories the server may write (in the warehouse,
// or allowed) are made.
func (s *Server) makeStagedDirs(meta table.Metadata, serverChosen bool) error {
	base := meta.Location()
	if _, ok := localPath(base); !ok || !serverChosen {
		return nil
	}
	metaFile, err := newMetadataLocation(meta, 0)
	if err != nil {
		return err
	}
	props := meta.Properties()
	dirs := []string{
		props.Get(table.WriteDataPathKey, base+"/data"),
		path.Dir(metaFile),
	}
	for _, loc := range dirs {
		p, ok := localPath(loc)
		if !ok {
			continue
		}
		if _, _, err := s.files.locate(loc); err != nil {
			continue // not the server's to write
		}
		if err := os.MkdirAll(path.Clean(p), 0o755); err != nil {
			return fmt.Errorf("making staged table directory %s: %w", p, err)
		}
	}
	return nil
}
