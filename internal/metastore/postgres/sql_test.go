package postgres

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// stripSQL removes comments and quoted text, which may hold semicolons.
var stripSQL = regexp.MustCompile(`--[^\n]*|'(?:[^']|'')*'|"[^"]*"`)

// TestOneStatementPerFile checks STYLE #10: each file of sql/ and
// migrations/ is one statement, and every file of sql/ is used.
func TestOneStatementPerFile(t *testing.T) {
	check := func(name, text string) {
		body := strings.TrimSpace(stripSQL.ReplaceAllString(text, ""))
		if body == "" || strings.Contains(body, ";") {
			t.Errorf("%s: want exactly one statement, without a semicolon inside", name)
		}
	}
	entries, err := fs.ReadDir(sqlFiles, "sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".sql")
		if !loaded[name] {
			t.Errorf("sql/%s is not used", e.Name())
		}
		check("sql/"+e.Name(), query(name))
	}
	for _, m := range migrations {
		check(m.name, m.sql)
	}
}
