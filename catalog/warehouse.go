package catalog

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/tributary-io/tributary/internal/objstore"
)

// warehouse maps the locations engines use (URIs) to the keys of the
// object store rooted at the warehouse, and back. Every file the server
// reads or writes is inside it, or under an allowed location outside it
// (Options.AllowedLocations, outside.go): any other is refused (a table's
// requested location is overridden instead, location.go), so a client can
// never make the server touch files the operator did not allow.
type warehouse struct {
	// uri is the normalised warehouse URI, without a trailing slash.
	uri string
	// scheme is "file", or the object store's scheme ("s3" for s3a too).
	scheme string
	// root is the absolute directory (file) or "bucket/prefix" (others),
	// without a trailing slash.
	root string
}

// schemeAliases are schemes engines use for the same objects.
var schemeAliases = map[string]string{"s3a": "s3", "s3n": "s3"}

func normScheme(s string) string {
	s = strings.ToLower(s)
	if a, ok := schemeAliases[s]; ok {
		return a
	}
	return s
}

// parseWarehouse checks and normalises a warehouse URI.
func parseWarehouse(s string) (warehouse, error) {
	if s == "" {
		return warehouse{}, errors.New("required (file:///dir or s3://bucket/prefix)")
	}
	u, err := url.Parse(s)
	if err != nil {
		return warehouse{}, err
	}
	scheme := normScheme(u.Scheme)
	switch {
	case scheme == "file":
		if u.Host != "" && u.Host != "localhost" {
			return warehouse{}, fmt.Errorf("%q: file URI with a host", s)
		}
		dir := path.Clean(u.Path)
		if !path.IsAbs(dir) || dir == "/" {
			return warehouse{}, fmt.Errorf("%q: want an absolute directory below /", s)
		}
		return warehouse{uri: (&url.URL{Scheme: "file", Path: dir}).String(), scheme: "file", root: dir}, nil
	case scheme == "":
		return warehouse{}, fmt.Errorf("%q: no scheme (file:///dir or s3://bucket/prefix)", s)
	default:
		if u.Host == "" {
			return warehouse{}, fmt.Errorf("%q: no bucket", s)
		}
		root := u.Host + strings.TrimSuffix(u.Path, "/")
		return warehouse{uri: scheme + "://" + root, scheme: scheme, root: root}, nil
	}
}

// key maps a location inside the warehouse to its object key. Locations
// may be written as engines write them: file:///p, file:/p (Hadoop),
// file://localhost/p or a bare /p for local warehouses; s3a:// for s3://.
func (w warehouse) key(loc string) (string, error) {
	rest, err := w.relative(loc)
	if err != nil {
		return "", err
	}
	if err := objstore.ValidateKey(rest); err != nil {
		return "", fmt.Errorf("%w: location %q: %v", ErrBadRequest, loc, err)
	}
	return rest, nil
}

// prefix maps a directory location inside the warehouse (a table's) to a
// key prefix ending in "/".
func (w warehouse) prefix(loc string) (string, error) {
	k, err := w.key(strings.TrimSuffix(loc, "/"))
	if err != nil {
		return "", err
	}
	return k + "/", nil
}

// relative returns loc's path below the warehouse root.
func (w warehouse) relative(loc string) (string, error) {
	outside := fmt.Errorf("%w: location %q is outside the warehouse %s", ErrBadRequest, loc, w.uri)
	var p string
	if w.scheme == "file" {
		var ok bool
		if p, ok = localPath(loc); !ok {
			return "", outside
		}
		p = path.Clean(p)
	} else {
		scheme, after, ok := strings.Cut(loc, "://")
		if !ok || normScheme(scheme) != w.scheme {
			return "", outside
		}
		p = after
	}
	rest, ok := strings.CutPrefix(p, w.root+"/")
	if !ok || rest == "" {
		return "", outside
	}
	return rest, nil
}

// localPath returns the absolute path of a file location, or false when
// loc is not one.
func localPath(loc string) (string, bool) {
	if strings.HasPrefix(loc, "/") {
		return loc, true
	}
	scheme, _, ok := strings.Cut(loc, ":")
	if !ok || !strings.EqualFold(scheme, "file") {
		return "", false
	}
	u, err := url.Parse(loc)
	if err != nil || (u.Host != "" && u.Host != "localhost") || !path.IsAbs(u.Path) {
		return "", false
	}
	return u.Path, true
}

// location maps a key back to the URI engines read it at.
func (w warehouse) location(key string) string {
	if w.scheme == "file" {
		return (&url.URL{Scheme: "file", Path: w.root + "/" + key}).String()
	}
	return w.uri + "/" + key
}

// Compressed metadata files start with these magic numbers.
var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// decompress returns a metadata file's JSON, whatever the codec it was
// written with (none, gzip, zstd).
func decompress(b []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(b, gzipMagic):
		r, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		defer func() { _ = r.Close() }() // a decompressor over memory: nothing to flush
		return io.ReadAll(r)
	case bytes.HasPrefix(b, zstdMagic):
		d, err := zstd.NewReader(nil)
		if err != nil {
			return nil, err
		}
		defer d.Close()
		return d.DecodeAll(b, nil)
	}
	return b, nil
}

// compress encodes a metadata file's JSON with codec (the table property
// write.metadata.compression-codec: none, gzip or zstd).
func compress(raw []byte, codec string) ([]byte, error) {
	switch strings.ToLower(codec) {
	case "", "none":
		return raw, nil
	case "gzip":
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		if _, err := w.Write(raw); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	case "zstd":
		e, err := zstd.NewWriter(nil)
		if err != nil {
			return nil, err
		}
		defer func() { _ = e.Close() }() // EncodeAll needs no Close to finish its output
		return e.EncodeAll(raw, nil), nil
	}
	return nil, fmt.Errorf("%w: metadata compression codec %q", ErrBadRequest, codec)
}

// objError classifies an object-store failure: a missing object is the
// caller's to judge (it stays ErrNotFound), anything else is
// ErrUnavailable.
func objError(op, loc string, err error) error {
	if errors.Is(err, objstore.ErrNotFound) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s %s: %w", op, loc, err)
	}
	return fmt.Errorf("%s %s: %w: %w", op, loc, ErrUnavailable, err)
}
