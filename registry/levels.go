package registry

import "strings"

// compatLevel is a compatibility level as the API spells it.
type compatLevel string

const (
	compatNone               compatLevel = "NONE"
	compatBackward           compatLevel = "BACKWARD"
	compatBackwardTransitive compatLevel = "BACKWARD_TRANSITIVE"
	compatForward            compatLevel = "FORWARD"
	compatForwardTransitive  compatLevel = "FORWARD_TRANSITIVE"
	compatFull               compatLevel = "FULL"
	compatFullTransitive     compatLevel = "FULL_TRANSITIVE"
)

var compatLevels = []compatLevel{
	compatNone, compatBackward, compatBackwardTransitive, compatForward,
	compatForwardTransitive, compatFull, compatFullTransitive,
}

// parseCompat accepts a level in any letter case, as Confluent does.
func parseCompat(s string) (compatLevel, bool) {
	l := compatLevel(strings.ToUpper(strings.TrimSpace(s)))
	for _, c := range compatLevels {
		if c == l {
			return l, true
		}
	}
	return "", false
}

func compatNames() string {
	names := make([]string, len(compatLevels))
	for i, c := range compatLevels {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}

// transitive: the new schema is checked against every live version, not
// only the latest.
func (c compatLevel) transitive() bool { return strings.HasSuffix(string(c), "_TRANSITIVE") }

// backward: the new schema must read data written with the old ones.
func (c compatLevel) backward() bool {
	return c == compatBackward || c == compatBackwardTransitive || c == compatFull || c == compatFullTransitive
}

// forward: the old schemas must read data written with the new one.
func (c compatLevel) forward() bool {
	return c == compatForward || c == compatForwardTransitive || c == compatFull || c == compatFullTransitive
}

// mode is a registry or subject mode.
type mode string

const (
	modeReadWrite mode = "READWRITE"
	modeReadOnly  mode = "READONLY"
	// modeImport lets clients choose ids and versions (for migrations);
	// compatibility is not checked in it.
	modeImport mode = "IMPORT"
)

func parseMode(s string) (mode, bool) {
	switch m := mode(strings.ToUpper(strings.TrimSpace(s))); m {
	case modeReadWrite, modeReadOnly, modeImport:
		return m, true
	}
	return "", false
}
