package objstore

import "errors"

var (
	// ErrNotFound: the key names no object.
	ErrNotFound = errors.New("objstore: object not found")
	// ErrRangeInvalid: a ranged read outside the object's bytes.
	ErrRangeInvalid = errors.New("objstore: range outside object")
	// ErrInvalidKey: a key that is empty, absolute, or escapes the store.
	ErrInvalidKey = errors.New("objstore: invalid key")
)

// ErrInjected is the error Faulty returns for an injected failure when the
// test gave none of its own.
var ErrInjected = errors.New("objstore: injected fault")
