package catalog

// Locations outside the warehouse. A client may ask for a table (create
// table's "location", a commit's set-location) or a view's metadata files
// (write.metadata.path) to be somewhere else; the server takes such a
// location when it is under one of Options.AllowedLocations, and reads and
// writes its metadata files there through a second store: the node's file
// system for a file:// prefix, or the warehouse's bucket from its root
// (Options.Outside) for one of the warehouse's own scheme. By default
// every location of the warehouse's file system (local warehouse) or
// bucket (S3) is allowed. An S3 warehouse may allow file:// prefixes too
// (views whose metadata a client asks for on a local path: the server is
// the only reader of a view's metadata files); in a cluster such a
// directory must be one every broker mounts. A location that is not
// allowed is overridden, as before (location.go).

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/tributary-io/tributary/internal/objstore"
)

// area is one store where locations outside the warehouse may be: the
// node's file system (scheme "file", root "/") or the warehouse's bucket
// (root "bucket/"), and the allowed prefixes below it, as paths without a
// scheme.
type area struct {
	scheme  string
	store   objstore.Store
	allowed []string // cleaned, each ending in "/"
}

// areas are the places outside the warehouse that locations may be, at
// most one per store.
type areas []*area

// newAreas returns the areas of a warehouse. Without allowed: the node's
// file system for a local warehouse, outside's bucket for another (none
// without outside). An allowed prefix is file:///dir (the node's file
// system, whatever the warehouse) or of the warehouse's scheme and in its
// bucket; any other is an error.
func newAreas(wh warehouse, outside objstore.Store, allowed []string) (areas, error) {
	files := &area{scheme: "file", store: osFiles{}}
	bucket := &area{scheme: wh.scheme, store: outside}
	root := "/"
	if wh.scheme == "file" {
		bucket = files
	} else {
		root, _, _ = strings.Cut(wh.root, "/")
		root += "/"
	}
	if len(allowed) == 0 {
		if bucket.store == nil {
			return nil, nil
		}
		bucket.allowed = []string{root}
		return areas{bucket}, nil
	}
	for _, p := range allowed {
		if rel, ok := files.path(p); ok {
			files.allowed = append(files.allowed, strings.TrimSuffix(rel, "/")+"/")
			continue
		}
		rel, ok := bucket.path(p)
		if !ok || !strings.HasPrefix(rel+"/", root) {
			return nil, fmt.Errorf("allowed location %q: neither file:///dir nor in the warehouse's %s", p, strings.TrimSuffix(wh.scheme+"://"+root, "/"))
		}
		bucket.allowed = append(bucket.allowed, strings.TrimSuffix(rel, "/")+"/")
	}
	var as areas
	for _, a := range []*area{files, bucket} {
		if len(a.allowed) > 0 && a.store != nil && (len(as) == 0 || as[0] != a) {
			as = append(as, a)
		}
	}
	return as, nil
}

// key returns the store and key of loc when it is under an allowed prefix
// of one of the areas.
func (as areas) key(loc string) (objstore.Store, string, bool) {
	for _, a := range as {
		if k, ok := a.key(loc); ok {
			return a.store, k, true
		}
	}
	return nil, "", false
}

// within reports whether loc is below the directory location dir, both
// in one area.
func (as areas) within(loc, dir string) bool {
	for _, a := range as {
		if a.within(loc, dir) {
			return true
		}
	}
	return false
}

// path returns loc without its scheme ("/abs/path" or "bucket/key"), or
// false when loc is not of the area's scheme.
func (a *area) path(loc string) (string, bool) {
	if a.scheme == "file" {
		p, ok := localPath(loc)
		if !ok {
			return "", false
		}
		return path.Clean(p), true
	}
	scheme, after, ok := strings.Cut(loc, "://")
	if !ok || normScheme(scheme) != a.scheme {
		return "", false
	}
	return path.Clean(after), true
}

// key returns the key of loc in the area's store when loc is under an
// allowed prefix.
func (a *area) key(loc string) (string, bool) {
	if a == nil {
		return "", false
	}
	p, ok := a.path(loc)
	if !ok || strings.Contains("/"+p+"/", "/../") {
		return "", false
	}
	for _, pre := range a.allowed {
		if strings.HasPrefix(p+"/", pre) && p+"/" != pre {
			if a.scheme == "file" {
				return strings.TrimPrefix(p, "/"), true
			}
			_, k, _ := strings.Cut(p, "/")
			return k, k != ""
		}
	}
	return "", false
}

// within reports whether loc is below the directory location dir.
func (a *area) within(loc, dir string) bool {
	if a == nil || dir == "" {
		return false
	}
	p, ok := a.path(loc)
	d, dok := a.path(dir)
	return ok && dok && strings.HasPrefix(p, strings.TrimSuffix(d, "/")+"/")
}

// osFiles is the node's file system as a store rooted at "/": keys are
// absolute paths without their leading slash. A file is written to a
// temporary file beside it, synced and renamed into place.
type osFiles struct{}

var _ objstore.Store = osFiles{}

func (osFiles) file(key string) string { return "/" + filepath.FromSlash(key) }

func (o osFiles) Put(_ context.Context, key string, data []byte) error {
	dst := o.file(key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("put %s: %w", dst, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".tmp-*")
	if err != nil {
		return fmt.Errorf("put %s: %w", dst, err)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		_ = os.Remove(tmp.Name()) // the write error is the one to report
		return fmt.Errorf("put %s: %w", dst, err)
	}
	return nil
}

func (o osFiles) Get(_ context.Context, key string) ([]byte, error) {
	b, err := os.ReadFile(o.file(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("get %s: %w", o.file(key), objstore.ErrNotFound)
	}
	return b, err
}

func (o osFiles) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	b, err := o.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	return b[off:min(int64(len(b)), off+n)], nil
}

func (o osFiles) Delete(_ context.Context, key string) error {
	if err := os.Remove(o.file(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// List returns the files whose keys start with prefix, below the
// directory prefix names (or is in).
func (o osFiles) List(_ context.Context, prefix string) ([]objstore.ObjectInfo, error) {
	dir := o.file(prefix)
	if !strings.HasSuffix(prefix, "/") {
		dir = filepath.Dir(dir)
	}
	var out []objstore.ObjectInfo
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		key := strings.TrimPrefix(filepath.ToSlash(p), "/")
		if d.IsDir() || !strings.HasPrefix(key, prefix) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, objstore.ObjectInfo{Key: key, Size: info.Size(), Modified: info.ModTime()})
		return nil
	})
	return out, err
}

func (osFiles) Close() error { return nil }
