package protobuf

import (
	"strings"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"buf.build/go/protovalidate"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Fast paths for two common string rules, string.email and string.uuid,
// which protovalidate checks with regular expressions (a third of its
// time on an order event with one of each). A field whose only rule is
// one of them (an ignore setting aside) is checked here first, through
// protovalidate's Filter: a value that passes here is one that passes
// protovalidate's rule, and the field is skipped; any other value (empty,
// malformed, or a field this cannot decide) is left to protovalidate,
// which then reports exactly what it always did. So the verdict and every
// violation's text are protovalidate's own; only the time changes.
// isEmail and isUUID must therefore never accept what protovalidate's
// expressions refuse: FuzzEmailUUID holds them to the same expressions,
// and TestFastRulesAgree to protovalidate itself.

// fastField is a field whose only rule fast can decide for valid values.
type fastField struct {
	fd    protoreflect.Descriptor
	valid func(string) bool
}

// fastRules is the protovalidate Filter of one codec: the fast fields of
// every message type it reaches.
type fastRules struct {
	fields []fastField
}

// ShouldValidate is false, skipping protovalidate's evaluation of the
// field, only for a fast field whose value passes its rule here.
func (f *fastRules) ShouldValidate(m protoreflect.Message, d protoreflect.Descriptor) bool {
	for i := range f.fields {
		if ff := &f.fields[i]; ff.fd == d {
			return !ff.valid(m.Get(d.(protoreflect.FieldDescriptor)).String())
		}
	}
	return true
}

// fastRulesFor returns the fast fields of md and of the types it
// reaches, nil when there are none.
func fastRulesFor(md protoreflect.MessageDescriptor) *fastRules {
	f := &fastRules{}
	seen := map[protoreflect.FullName]bool{}
	var walk func(protoreflect.MessageDescriptor)
	walk = func(md protoreflect.MessageDescriptor) {
		if seen[md.FullName()] {
			return
		}
		seen[md.FullName()] = true
		for i := 0; i < md.Fields().Len(); i++ {
			fd := md.Fields().Get(i)
			if valid := fastRuleOf(fd); valid != nil {
				f.fields = append(f.fields, fastField{fd: fd, valid: valid})
			}
			if fd.Message() != nil {
				walk(fd.Message())
			}
		}
	}
	walk(md)
	if len(f.fields) == 0 {
		return nil
	}
	return f
}

var (
	emailOnly = validate.FieldRules_builder{String: validate.StringRules_builder{Email: proto.Bool(true)}.Build()}.Build()
	uuidOnly  = validate.FieldRules_builder{String: validate.StringRules_builder{Uuid: proto.Bool(true)}.Build()}.Build()
)

// fastRuleOf is the fast check of a singular string field whose rules
// (as protovalidate reads them) are exactly string.email or exactly
// string.uuid, give or take an ignore setting; nil for any other field.
func fastRuleOf(fd protoreflect.FieldDescriptor) func(string) bool {
	if fd.Kind() != protoreflect.StringKind || fd.IsList() || fd.IsMap() {
		return nil
	}
	rules, err := protovalidate.ResolveFieldRules(fd)
	if err != nil || rules == nil {
		return nil
	}
	r := proto.Clone(rules).(*validate.FieldRules)
	r.ClearIgnore()
	switch {
	case proto.Equal(r, emailOnly):
		return isEmail
	case proto.Equal(r, uuidOnly):
		return isUUID
	}
	return nil
}

// emailLocal are the bytes of the part of an address before the @.
var emailLocal = byteSet("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.!#$%&'*+/=?^_`{|}~-")

var alnum = byteSet("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

var hex = byteSet("0123456789abcdefABCDEF")

func byteSet(s string) (set [256]bool) {
	for i := 0; i < len(s); i++ {
		set[s[i]] = true
	}
	return set
}

// emailPattern is protovalidate's (v1.4.0, internal/rules) e-mail
// expression, the HTML standard's valid e-mail address. isEmail decides
// the same without a regular expression.
const emailPattern = "^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"

// isEmail reports whether s matches emailPattern: a non-empty local part
// of emailLocal bytes, an @, and dot-separated labels of 1 to 63
// letters, digits and hyphens that neither start nor end with a hyphen.
func isEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 {
		return false
	}
	for i := 0; i < at; i++ {
		if !emailLocal[s[i]] {
			return false
		}
	}
	for d := s[at+1:]; ; {
		dot := strings.IndexByte(d, '.')
		label := d
		if dot >= 0 {
			label = d[:dot]
		}
		if !isLabel(label) {
			return false
		}
		if dot < 0 {
			return true
		}
		d = d[dot+1:]
	}
}

func isLabel(l string) bool {
	if len(l) == 0 || len(l) > 63 || !alnum[l[0]] || !alnum[l[len(l)-1]] {
		return false
	}
	for i := 1; i < len(l)-1; i++ {
		if !alnum[l[i]] && l[i] != '-' {
			return false
		}
	}
	return true
}

// uuidPattern is protovalidate's (v1.4.0) UUID expression; isUUID decides
// the same.
const uuidPattern = `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !hex[s[i]] {
				return false
			}
		}
	}
	return true
}
