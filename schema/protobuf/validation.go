package protobuf

import (
	"strings"

	"buf.build/go/protovalidate"
)

// ValidationError is a payload that breaks its schema's protovalidate
// rules: one Violation per broken rule. It wraps ErrInvalid.
type ValidationError struct {
	Violations []Violation
}

// Violation is one broken rule.
type Violation struct {
	// Field is the path of the offending field, e.g. "line_items[0].quantity";
	// empty for a rule on the whole message.
	Field string
	// Rule is the rule's id, e.g. "uint64.gt", or a custom CEL rule's id
	// ("line_items.unique_line_item_id").
	Rule string
	// Message is the rule's explanation, e.g. "must be greater than 0".
	Message string
}

// String formats the violation as "field: message [rule]".
func (v Violation) String() string {
	var b strings.Builder
	if v.Field != "" {
		b.WriteString(v.Field)
		b.WriteString(": ")
	}
	b.WriteString(v.Message)
	if v.Rule != "" {
		b.WriteString(" [")
		b.WriteString(v.Rule)
		b.WriteString("]")
	}
	return b.String()
}

// Error joins the violations with "; ".
func (e *ValidationError) Error() string {
	s := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		s[i] = v.String()
	}
	return strings.Join(s, "; ")
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

func validationError(ve *protovalidate.ValidationError) *ValidationError {
	out := &ValidationError{Violations: make([]Violation, len(ve.Violations))}
	for i, v := range ve.Violations {
		p := v.Proto
		rule := p.GetRuleId()
		if rule == "" {
			rule = protovalidate.FieldPathString(p.GetRule())
		}
		msg := p.GetMessage()
		if msg == "" {
			msg = "rule " + rule + " not satisfied"
		}
		// Copies: a rule's message (a CEL expression's result) may be a
		// string of the message validated, which Check's flat message
		// reads from the record's bytes without copying them.
		out.Violations[i] = Violation{
			Field:   strings.Clone(protovalidate.FieldPathString(p.GetField())),
			Rule:    strings.Clone(rule),
			Message: strings.Clone(msg),
		}
	}
	return out
}
