package broker

import "testing"

func TestValidateBufstreamTopicConfigs(t *testing.T) {
	str := func(s string) *string { return &s }
	for _, c := range []struct {
		name, value string
		ok          bool
	}{
		{"bufstream.validate.mode", "reject", true},
		{"bufstream.validate.mode", "dlq", true},
		{"bufstream.validate.mode", "sometimes", false},
		{"bufstream.validate.dlq.topic", "orders.dlq", true},
		{"bufstream.validate.dlq.topic", "no spaces", false},
		{"bufstream.archive.kind", "ICEBERG", true},
		{"bufstream.anything.else", "kept as given", true},
		{"retention.ms", "-1", true},
		{"retention.ms", "soon", false},
	} {
		err := validateTopicConfig(c.name, str(c.value))
		if (err == nil) != c.ok {
			t.Errorf("%s=%q: err %v, want ok=%v", c.name, c.value, err, c.ok)
		}
	}
	if err := validateTopicConfig("bufstream.validate.mode", nil); err != nil {
		t.Errorf("deleting bufstream.validate.mode: %v", err)
	}
}
