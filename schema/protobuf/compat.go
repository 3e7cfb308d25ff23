package protobuf

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Level is a Confluent compatibility level.
type Level int

const (
	None Level = iota
	Backward
	BackwardTransitive
	Forward
	ForwardTransitive
	Full
	FullTransitive
)

var levelNames = [...]string{
	None:               "NONE",
	Backward:           "BACKWARD",
	BackwardTransitive: "BACKWARD_TRANSITIVE",
	Forward:            "FORWARD",
	ForwardTransitive:  "FORWARD_TRANSITIVE",
	Full:               "FULL",
	FullTransitive:     "FULL_TRANSITIVE",
}

// String returns the level's Confluent name, e.g. "BACKWARD_TRANSITIVE".
func (l Level) String() string {
	if l < 0 || int(l) >= len(levelNames) {
		return fmt.Sprintf("Level(%d)", int(l))
	}
	return levelNames[l]
}

// ParseLevel parses a Confluent level name, case-insensitively.
func ParseLevel(s string) (Level, error) {
	for l, n := range levelNames {
		if strings.EqualFold(s, n) {
			return Level(l), nil
		}
	}
	return None, fmt.Errorf("unknown compatibility level %q", s)
}

// backward reports whether the level has the new schema read old data.
func (l Level) backward() bool {
	return l == Backward || l == BackwardTransitive || l == Full || l == FullTransitive
}

// forward reports whether the level has old schemas read new data.
func (l Level) forward() bool {
	return l == Forward || l == ForwardTransitive || l == Full || l == FullTransitive
}

func (l Level) transitive() bool {
	return l == BackwardTransitive || l == ForwardTransitive || l == FullTransitive
}

// Incompatibility is one reason a schema may not follow another.
type Incompatibility struct {
	// Type is Confluent's errorType name, e.g. "FIELD_SCALAR_KIND_CHANGED".
	Type string
	// Path locates the change as Confluent does: "#/" then message names
	// relative to the package, then a field number or oneof name, e.g.
	// "#/Cart/2" or "#/Outer/Inner/oneof_x".
	Path string
	// Message says what changed in words, naming the message and field.
	Message string
	// Previous is the index, in the previous slice given to Check, of the
	// version the new schema conflicts with.
	Previous int
	// Reader is "new" when the new schema cannot read data written with the
	// previous one (BACKWARD), "old" when the previous one cannot read data
	// written with the new (FORWARD).
	Reader string
}

// String is the Message with the path and type, for logs and REST answers.
func (i Incompatibility) String() string {
	return fmt.Sprintf("%s: %s (%s)", i.Path, i.Message, i.Type)
}

// Check returns why schema next may not be registered after the versions
// in previous (oldest first) under level; none means it may. NONE and an
// empty history accept everything. The non-transitive levels compare with
// the last of previous only.
func Check(level Level, next protoreflect.FileDescriptor, previous []protoreflect.FileDescriptor) []Incompatibility {
	if level == None || len(previous) == 0 {
		return nil
	}
	from := len(previous) - 1
	if level.transitive() {
		from = 0
	}
	var out []Incompatibility
	for i := len(previous) - 1; i >= from; i-- {
		if level.backward() {
			out = append(out, tagged(diff(previous[i], next, false), i, "new")...)
		}
		if level.forward() {
			out = append(out, tagged(diff(next, previous[i], true), i, "old")...)
		}
	}
	return out
}

func tagged(in []Incompatibility, prev int, reader string) []Incompatibility {
	for j := range in {
		in[j].Previous, in[j].Reader = prev, reader
	}
	return in
}
