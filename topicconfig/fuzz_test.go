package topicconfig

import (
	"strconv"
	"testing"
)

// FuzzParse: Validate and Parse never panic on any key and value, and
// Parse uses exactly the values Validate accepts: a valid retention.ms is
// the setting, an invalid one leaves the default.
func FuzzParse(f *testing.F) {
	for name, c := range valueCases {
		for _, v := range append(c.good, c.bad...) {
			f.Add(name, v)
		}
	}
	f.Fuzz(func(t *testing.T, name, value string) {
		_ = Validate(name, value)
		_ = Options{Catalogs: []string{"ext"}}.Check(map[string]string{name: value})
		_ = Parse(map[string]string{name: value})

		st := Parse(map[string]string{RetentionMs: value})
		want := int64(604800000)
		if Validate(RetentionMs, value) == nil {
			want, _ = strconv.ParseInt(value, 10, 64)
		}
		if st.RetentionMs != want {
			t.Fatalf("retention.ms=%q parsed to %d, want %d", value, st.RetentionMs, want)
		}
		if a := Parse(map[string]string{ArchiveKind: "ICEBERG", ArchiveTable: value}).Archive; (a.Err == nil) != (Validate(ArchiveTable, value) == nil) {
			t.Fatalf("table %q: Parse error %v, Validate %v", value, a.Err, Validate(ArchiveTable, value))
		}
	})
}
