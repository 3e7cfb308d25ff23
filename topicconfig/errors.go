package topicconfig

import (
	"errors"
	"fmt"
)

// ErrInvalid matches every validation error: the key is unknown, its
// value is malformed, or the set of configs does not hold together.
// The error's own text is the message for the client.
var ErrInvalid = errors.New("invalid topic config")

// invalid is a validation error whose text is exactly the client's
// message, and which matches ErrInvalid.
type invalid struct{ msg string }

func (e *invalid) Error() string        { return e.msg }
func (e *invalid) Is(target error) bool { return target == ErrInvalid }

func invalidf(format string, args ...any) error {
	return &invalid{msg: fmt.Sprintf(format, args...)}
}
