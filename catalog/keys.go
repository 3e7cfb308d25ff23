package catalog

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// The catalog's keys in the metadata store's KV space:
//
//	catalog/ns/<depth>/<level>\x1f<level>...   → nsRecord (JSON)
//	catalog/tbl/<level>\x1f<level>...\x1e<name> → tableRecord (JSON)
//
// <depth> is the namespace's number of levels in two digits, so the direct
// children of a namespace are exactly the keys under one prefix and list
// in order, page by page. A table key's namespace ends at \x1e, so the
// tables of a.b never share a prefix with those of a. Names may hold any
// text but these two separators (the spec's own namespace separator is
// \x1f) and NUL.
const (
	keyNamespaces = "catalog/ns/"
	keyTables     = "catalog/tbl/"
	nsSep         = "\x1f"
	tblSep        = "\x1e"
	// maxDepth bounds namespace levels (the key holds two digits).
	maxDepth = 32
	// maxNameLen bounds one namespace level or table name, in bytes.
	maxNameLen = 255
	// maxKeyLen is the KV's key limit.
	maxKeyLen = 1024
)

// nsRecord is a namespace's value.
type nsRecord struct {
	Properties map[string]string `json:"properties"`
}

// tableRecord is a table's value: where its current metadata file is.
type tableRecord struct {
	MetadataLocation string `json:"metadata-location"`
}

// ident names a table: its namespace and its name.
type ident struct {
	ns   []string
	name string
}

func (id ident) String() string {
	return strings.Join(append(append([]string{}, id.ns...), id.name), ".")
}

// checkName checks one namespace level or table name.
func checkName(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: empty %s", ErrBadRequest, what)
	case len(s) > maxNameLen:
		return fmt.Errorf("%w: %s longer than %d bytes", ErrBadRequest, what, maxNameLen)
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: %s %q is not UTF-8", ErrBadRequest, what, s)
	case strings.ContainsAny(s, nsSep+tblSep+"\x00"):
		return fmt.Errorf("%w: %s %q holds a control character (0x00, 0x1e or 0x1f)", ErrBadRequest, what, s)
	}
	return nil
}

// checkNamespace checks a namespace identifier (at least one level).
func checkNamespace(ns []string) error {
	if len(ns) == 0 {
		return fmt.Errorf("%w: empty namespace", ErrBadRequest)
	}
	if len(ns) > maxDepth {
		return fmt.Errorf("%w: namespace deeper than %d levels", ErrBadRequest, maxDepth)
	}
	for _, l := range ns {
		if err := checkName("namespace level", l); err != nil {
			return err
		}
	}
	if len(nsKey(ns)) > maxKeyLen || len(tablesPrefix(ns))+maxNameLen > maxKeyLen {
		return fmt.Errorf("%w: namespace %s too long", ErrBadRequest, strings.Join(ns, "."))
	}
	return nil
}

// checkIdent checks a table identifier.
func checkIdent(id ident) error {
	if err := checkNamespace(id.ns); err != nil {
		return err
	}
	return checkName("table name", id.name)
}

func nsKey(ns []string) string {
	return fmt.Sprintf("%s%02d/%s", keyNamespaces, len(ns), strings.Join(ns, nsSep))
}

// childPrefix is the prefix of the keys of parent's direct children (the
// top-level namespaces when parent is empty).
func childPrefix(parent []string) string {
	p := fmt.Sprintf("%s%02d/", keyNamespaces, len(parent)+1)
	if len(parent) > 0 {
		p += strings.Join(parent, nsSep) + nsSep
	}
	return p
}

// nsFromKey returns the namespace a namespace key names.
func nsFromKey(key string) []string {
	rest := strings.TrimPrefix(key, keyNamespaces)
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[i+1:]
	}
	return strings.Split(rest, nsSep)
}

func tableKey(id ident) string { return tablesPrefix(id.ns) + id.name }

func tablesPrefix(ns []string) string { return keyTables + strings.Join(ns, nsSep) + tblSep }

// parentOf returns ns without its last level.
func parentOf(ns []string) []string { return ns[:len(ns)-1] }

// joinNS names a namespace in messages.
func joinNS(ns []string) string { return strings.Join(ns, ".") }
