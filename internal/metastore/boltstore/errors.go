package boltstore

import "errors"

// errCorrupt marks a stored value that does not decode or a bucket that is
// missing. It reaches callers wrapped in metastore.ErrUnavailable.
var errCorrupt = errors.New("boltstore: corrupt database")

// errSchema marks a database written by a newer, unknown schema version.
var errSchema = errors.New("boltstore: unsupported schema version")
