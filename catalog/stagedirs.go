package catalog

import (
	"fmt"
	"os"
	"path"

	"github.com/apache/iceberg-go/table"
)

// makeStagedDirs creates a staged table's data and metadata directories
// when they are on the local file system. DuckDB's CREATE TABLE AS stages
// the create, writes its data and manifest files into them, and only then
// commits; it does not make parent directories, and a local warehouse has
// none for a table not yet created. The directories hold no file, so a
// create never committed leaves nothing that an engine's empty-location
// check (Trino lists the files under a new table's location) trips over.
// Object stores have no directories: nothing is made there. Only
// directories the server may write (in the warehouse, or allowed) are made.
func (s *Server) makeStagedDirs(meta table.Metadata) error {
	base := meta.Location()
	if _, ok := localPath(base); !ok {
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
