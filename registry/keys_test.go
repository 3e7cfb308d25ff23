package registry

import (
	"strings"
	"testing"
)

// FuzzSubjectKey: escaping a subject name for a key never panics, leaves
// no '/' (so no subject reaches into another's keys), and unescapes back
// to the name; a use key parses back to its subject and version.
func FuzzSubjectKey(f *testing.F) {
	for _, s := range []string{"a-value", "a/b", "%2F", "a%/b/%25", "", "ü/€"} {
		f.Add(s, 7)
	}
	f.Fuzz(func(t *testing.T, subject string, version int) {
		esc := escSubject(subject)
		if strings.Contains(esc, "/") {
			t.Fatalf("escaped %q has a slash: %q", subject, esc)
		}
		if got := unescSubject(esc); got != subject {
			t.Fatalf("unescape(escape(%q)) = %q", subject, got)
		}
		if version < 0 {
			version = -version
		}
		version %= 1_000_000_000
		key := keyUse(12, subject, version)
		s, v, ok := parseUseKey(key[len(keyUses(12)):])
		if !ok || s != subject || v != version {
			t.Fatalf("use key %q parsed as %q %d %v", key, s, v, ok)
		}
	})
}
