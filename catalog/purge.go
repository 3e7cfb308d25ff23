package catalog

// Purge: DELETE .../tables/{table}?purgeRequested=true deletes, after the
// table has left the catalog, the files of its last metadata: every
// metadata file of its log, manifest lists, manifests, data and delete
// files, statistics files. When the table's location is one the server
// chose (it ends in -<uuid>, see tables.go), nothing else can live below
// it, so everything there goes too (files of failed commits, orphans).
// Files outside the warehouse are left alone. A purge that fails halfway
// is logged, not answered: the table is already gone.
//
// In a local warehouse, each deleted file's Hadoop checksum goes with it:
// Hadoop's local file system, which Spark, Trino and Flink write file://
// tables with, keeps ".<name>.crc" beside every file it writes. It is no
// object (keys cannot start with a dot; the local store's List does not
// show it), so the store cannot delete it; left behind, it would keep
// every directory of the table.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"time"

	icebergio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
	"github.com/tributary-io/tributary/internal/objstore"
)

var serverLocation = regexp.MustCompile(`-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// purge deletes a dropped table's files. It does not stop when the
// request's client goes away.
func (s *Server) purge(ctx context.Context, id ident, metaLoc string) {
	ctx = context.WithoutCancel(ctx)
	start := time.Now()
	files := map[string]bool{metaLoc: true}
	meta, _, err := s.files.load(ctx, metaLoc)
	if err != nil {
		s.log.Warn("catalog purge: cannot read the table's metadata; deleting what its location holds", "table", id.String(), "err", err)
	} else if err := s.referencedFiles(ctx, meta, files); err != nil {
		s.log.Warn("catalog purge: cannot read every manifest; some files stay", "table", id.String(), "err", err)
	}
	var failed error
	deleted := 0
	tableDir := ""
	if meta != nil {
		tableDir = meta.Location()
	}
	for loc := range files {
		st, key, err := s.files.locate(loc)
		if err != nil {
			continue
		}
		if st != s.objects {
			// outside the warehouse only the table's own directory is
			// purged: a manifest naming any other file of the node's file
			// system or bucket must not make the server delete it
			if !s.files.outside.within(loc, tableDir) {
				continue
			}
			err = st.Delete(ctx, key)
		} else {
			err = s.deleteObject(ctx, key)
		}
		if err != nil {
			failed = errors.Join(failed, err)
			continue
		}
		deleted++
	}
	if meta != nil && serverLocation.MatchString(meta.Location()) {
		n, err := s.deletePrefix(ctx, meta.Location())
		deleted += n
		failed = errors.Join(failed, err)
	}
	s.files.cache.drop(metaLoc)
	if failed != nil {
		s.log.Warn("catalog purged table, some files stay", "table", id.String(), "files", deleted, "took", time.Since(start), "err", failed)
		return
	}
	s.log.Info("catalog purged table", "table", id.String(), "files", deleted, "took", time.Since(start))
}

// referencedFiles adds to files every file meta references.
func (s *Server) referencedFiles(ctx context.Context, meta table.Metadata, files map[string]bool) error {
	for e := range meta.PreviousFiles() {
		files[e.MetadataFile] = true
	}
	for st := range meta.Statistics() {
		files[st.StatisticsPath] = true
	}
	for st := range meta.PartitionStatistics() {
		files[st.StatisticsPath] = true
	}
	fio := objIO{ctx: ctx, files: s.files}
	var errs error
	manifests := map[string]bool{}
	for _, snap := range meta.Snapshots() {
		if snap.ManifestList == "" {
			continue
		}
		files[snap.ManifestList] = true
		mfs, err := snap.Manifests(fio)
		if err != nil {
			errs = errors.Join(errs, err)
			continue
		}
		for _, mf := range mfs {
			if manifests[mf.FilePath()] {
				continue
			}
			manifests[mf.FilePath()] = true
			files[mf.FilePath()] = true
			for e, err := range mf.Entries(fio, false) {
				if err != nil {
					errs = errors.Join(errs, err)
					break
				}
				files[e.DataFile().FilePath()] = true
			}
		}
	}
	return errs
}

// deletePrefix deletes every object below a directory location.
func (s *Server) deletePrefix(ctx context.Context, dir string) (int, error) {
	prefix, err := s.wh.prefix(dir)
	if err != nil {
		return 0, nil
	}
	objs, err := s.objects.List(ctx, prefix)
	if err != nil {
		return 0, err
	}
	var errs error
	n := 0
	for _, o := range objs {
		if err := s.deleteObject(ctx, o.Key); err != nil {
			errs = errors.Join(errs, err)
			continue
		}
		n++
	}
	return n, errs
}

// deleteObject deletes a file of a purged table, in a local warehouse its
// Hadoop checksum first (so that the store, deleting the file, finds the
// directory empty and removes it).
func (s *Server) deleteObject(ctx context.Context, key string) error {
	if r, ok := s.objects.(rooted); ok && s.wh.scheme == "file" {
		dir, name := path.Split(key)
		crc := filepath.Join(r.Root(), filepath.FromSlash(dir), "."+name+".crc")
		if err := os.Remove(crc); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete %s: %w", crc, err)
		}
	}
	return s.objects.Delete(ctx, key)
}

// objIO is iceberg-go's read-only file IO over the warehouse's object
// store, for reading manifest lists and manifests.
type objIO struct {
	ctx   context.Context
	files *metaFiles
}

var _ icebergio.IO = objIO{}

func (o objIO) Open(name string) (icebergio.File, error) {
	st, key, err := o.files.locate(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	b, err := st.Get(o.ctx, key)
	if errors.Is(err, objstore.ErrNotFound) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return &objFile{Reader: bytes.NewReader(b), name: path.Base(key), size: int64(len(b))}, nil
}

func (o objIO) Remove(name string) error {
	st, key, err := o.files.locate(name)
	if err != nil {
		return &fs.PathError{Op: "remove", Path: name, Err: fs.ErrInvalid}
	}
	return st.Delete(o.ctx, key)
}

// objFile is an object read whole into memory.
type objFile struct {
	*bytes.Reader
	name string
	size int64
}

func (f *objFile) Close() error               { return nil }
func (f *objFile) Stat() (fs.FileInfo, error) { return objInfo{f.name, f.size}, nil }

type objInfo struct {
	name string
	size int64
}

func (i objInfo) Name() string       { return i.name }
func (i objInfo) Size() int64        { return i.size }
func (i objInfo) Mode() fs.FileMode  { return 0o444 }
func (i objInfo) ModTime() time.Time { return time.Time{} }
func (i objInfo) IsDir() bool        { return false }
func (i objInfo) Sys() any           { return nil }
