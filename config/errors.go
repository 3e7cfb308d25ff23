package config

import "errors"

var (
	// ErrUnknownKey: the file has a key no supported form defines.
	ErrUnknownKey = errors.New("config: unknown key")
	// ErrUnsupportedKey: a Bufstream key for a feature Tributary does not
	// have yet.
	ErrUnsupportedKey = errors.New("config: unsupported key")
	// ErrInvalidValue: a value of the wrong type or out of range.
	ErrInvalidValue = errors.New("config: invalid value for")
	// ErrVersion: a version other than v1beta1.
	ErrVersion = errors.New("config: unsupported version")
	// ErrDataSource: a data source that is malformed or cannot be resolved.
	ErrDataSource = errors.New("config: data source")
)
