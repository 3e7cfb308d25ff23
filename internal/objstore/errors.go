package objstore

import "errors"

var (
	// ErrNotFound: the key names no object.
	ErrNotFound = errors.New("objstore: object not found")
	// ErrRangeInvalid: a ranged read outside the object's bytes.
	ErrRangeInvalid = errors.New("objstore: range outside object")
	// ErrInvalidKey: a key that is empty, absolute, or escapes the store.
	ErrInvalidKey = errors.New("objstore: invalid key")
	// ErrUnavailable: a failure that may pass by itself (the server could
	// not be reached, timed out, answered 5xx or throttled). A Put so
	// failed may or may not have stored the object; putting the same
	// data under the same key again is safe. Backends that talk to a
	// server wrap it (s3store); the local store never returns it.
	ErrUnavailable = errors.New("objstore: unavailable")
)

// ErrInjected is the error Faulty returns for an injected failure when the
// test gave none of its own.
var ErrInjected = errors.New("objstore: injected fault")
