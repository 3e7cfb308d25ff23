package catalog

import (
	"encoding/json"
	"fmt"
	"testing"
)

// TestSTSPolicyScopedToLocation: the session policy the catalog sends
// with AssumeRole allows the objects under the table's location only
// (and listing below it), never the bucket's other keys; a location that
// is not s3:// is an error, not a policy for everything. (e2e
// TestVendedSTS checks SeaweedFS enforces it.)
func TestSTSPolicyScopedToLocation(t *testing.T) {
	doc, err := stsPolicy("s3://bkt/wh/ns/t-1234/")
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Statement []struct {
			Resource  []string
			Condition map[string]map[string][]string
		}
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatalf("policy %s: %v", doc, err)
	}
	got := fmt.Sprint(p.Statement[0].Resource, p.Statement[1].Resource, p.Statement[1].Condition["StringLike"]["s3:prefix"])
	if want := "[arn:aws:s3:::bkt/wh/ns/t-1234/*] [arn:aws:s3:::bkt] [wh/ns/t-1234 wh/ns/t-1234/*]"; len(p.Statement) != 2 || got != want {
		t.Errorf("policy for s3://bkt/wh/ns/t-1234/: %s\ngot %s, want %s", doc, got, want)
	}
	for _, loc := range []string{"file:///tmp/t", "s3:///nokey", "bkt/wh"} {
		if _, err := stsPolicy(loc); err == nil {
			t.Errorf("policy for %q: no error", loc)
		}
	}
}
