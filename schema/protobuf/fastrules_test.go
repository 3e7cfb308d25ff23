package protobuf

import (
	"regexp"
	"strings"
	"testing"

	"buf.build/go/protovalidate"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// fastRulesProto has a field of each kind fastRuleOf must tell apart: the
// ones whose only rule is string.email or string.uuid (with or without an
// ignore setting, with presence or not, nested, in a oneof) and the ones
// that carry more, or another rule, or sit in a list.
const fastRulesProto = `import "buf/validate/validate.proto";
message F {
  string email = 1 [(buf.validate.field).string.email = true];
  string id = 2 [(buf.validate.field).string.uuid = true];
  string email_ignored_empty = 3 [(buf.validate.field).ignore = IGNORE_IF_ZERO_VALUE, (buf.validate.field).string.email = true];
  optional string email_opt = 4 [(buf.validate.field).string.email = true];
  string email_short = 5 [(buf.validate.field).string = {email: true, max_len: 12}];
  string email_required = 6 [(buf.validate.field).required = true, (buf.validate.field).string.email = true];
  string host = 7 [(buf.validate.field).string.hostname = true];
  repeated string emails = 8 [(buf.validate.field).repeated.items.string.email = true];
  Inner inner = 9;
  oneof contact {
    string contact_email = 10 [(buf.validate.field).string.email = true];
    string contact_phone = 11;
  }
  string email_cel = 12 [(buf.validate.field).string.email = true, (buf.validate.field).cel = {id: "no_x", message: "no x", expression: "!this.startsWith('x')"}];
}
message Inner {
  string id = 1 [(buf.validate.field).string.uuid = true];
}
`

func TestFastRulesFindTheirFields(t *testing.T) {
	c := codecOf(t, NewSchema(mustCompile(t, p3+fastRulesProto, nil)), "F")
	if c.fast == nil || len(c.vopts) != 1 {
		t.Fatalf("fast rules %v, options %d: want the fast rules' filter", c.fast, len(c.vopts))
	}
	var got []string
	for _, ff := range c.fast.fields {
		got = append(got, strings.TrimPrefix(string(ff.fd.FullName()), "shop.v1."))
	}
	want := "F.email F.id F.email_ignored_empty F.email_opt Inner.id F.contact_email"
	if strings.Join(got, " ") != want {
		t.Errorf("fast fields %q, want %q", strings.Join(got, " "), want)
	}
}

// TestFastRulesAgree validates messages whose string fields take every
// kind of value (valid, empty, malformed, on the edge of the expressions)
// with the fast rules and with protovalidate alone: the verdicts and
// violations must be the same, and the fast rules must have skipped
// protovalidate's check of the valid ones.
func TestFastRulesAgree(t *testing.T) {
	c := codecOf(t, NewSchema(mustCompile(t, p3+fastRulesProto, nil)), "F")
	values := []string{
		"", "a@b", "a@b.c", "buyer42@example.com", "x@example.com", "a.b+c@sub-domain.example.org",
		"@example.com", "a@", "a@@b", "a@-b.com", "a@b-.com", "a@b..com", "a@.b", "a@b.", "a b@c.d",
		"é@example.com", "a@exämple.com", "a@" + strings.Repeat("x", 63) + ".com", "a@" + strings.Repeat("x", 64) + ".com",
		"123e4567-e89b-12d3-a456-426614174000", "123E4567-E89B-12D3-A456-426614174000", "123e4567e89b12d3a456426614174000",
		"123e4567-e89b-12d3-a456-42661417400", "123e4567-e89b-12d3-a456-4266141740000", "g23e4567-e89b-12d3-a456-426614174000",
		"123e4567-e89b-12d3-a456_426614174000", "a@b\n", "\na@b",
	}
	full, err := protovalidate.New()
	if err != nil {
		t.Fatal(err)
	}
	skipped := 0
	for _, v := range values {
		for _, u := range values {
			m := c.New()
			r := m.ProtoReflect()
			for _, name := range []string{"email", "email_ignored_empty", "email_opt", "email_short", "email_required", "contact_email", "email_cel"} {
				r.Set(fieldOf(c.Desc, name), protoreflect.ValueOfString(v))
			}
			r.Set(fieldOf(c.Desc, "id"), protoreflect.ValueOfString(u))
			r.Set(fieldOf(c.Desc, "host"), protoreflect.ValueOfString(v))
			inner := r.Mutable(fieldOf(c.Desc, "inner")).Message()
			inner.Set(fieldOf(inner.Descriptor(), "id"), protoreflect.ValueOfString(u))
			want := full.Validate(m)
			got := c.validator.Validate(m, c.vopts...)
			if errText(got) != errText(want) {
				t.Errorf("email-ish %q, uuid-ish %q:\n fast %v\n full %v", v, u, got, want)
			}
			if !c.fast.ShouldValidate(r, fieldOf(c.Desc, "email")) {
				skipped++
			}
		}
	}
	if skipped == 0 {
		t.Error("no value took the fast path")
	}
	// And the codec's own Validate, on a payload the flat decoder reads.
	order, payload := orderPayload(t)
	if len(order.vopts) == 0 {
		t.Fatal("the order's uuid and e-mail fields are not on the fast path")
	}
	if err := order.Check(payload); err != nil {
		t.Fatal(err)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func FuzzEmailUUID(f *testing.F) {
	for _, s := range []string{"", "a@b", "a@b.c", "@", "a@-b", "a@b-", "a@b..c", "é@x", "a@" + strings.Repeat("x", 64),
		"123e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-42661417400g", "a@b\n",
		"a@b-c.d", ".a.@b", "a@1.2.3", "a@b.c.d.e", "a@" + strings.Repeat("x", 63), "a@x-" + strings.Repeat("y", 61) + "z.com", "a@@b", "a@b@c",
		"123e4567-e89b-12d3-a456-4266141740000", "123e4567_e89b-12d3-a456-426614174000"} {
		f.Add(s)
	}
	email, uuid := regexp.MustCompile(emailPattern), regexp.MustCompile(uuidPattern)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isEmail(s), email.MatchString(s); got != want {
			t.Errorf("isEmail(%q) = %v, the expression says %v", s, got, want)
		}
		if got, want := isUUID(s), uuid.MatchString(s); got != want {
			t.Errorf("isUUID(%q) = %v, the expression says %v", s, got, want)
		}
	})
}
