package enforce

import (
	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/topicconfig"
)

// action is what a failed check does to its record, ordered by strength:
// when a record's key and value both fail, the stronger action wins.
type action uint8

const (
	actPass   action = iota // PASS_THROUGH: count it, keep the record
	actFilter               // FILTER_RECORD: drop the record
	actDLQ                  // bufstream.validate.mode=dlq: drop it, write it to the DLQ topic
	actReject               // REJECT_BATCH: refuse the whole batch
)

func (a action) String() string {
	return [...]string{"passed_through", "filtered", "dead_lettered", "rejected"}[a]
}

// side is produce or fetch: their defaults and their allowed actions
// differ.
type side uint8

const (
	sideProduce side = iota
	sideFetch
)

func (s side) String() string {
	if s == sideFetch {
		return "fetch"
	}
	return "produce"
}

// actionOf maps a configured action to ours. On fetch REJECT_BATCH acts as
// FILTER_RECORD: Bufstream advises against it (a rejected fetch would stall
// its consumer for good), and dropping the bad records is what a consumer
// can live with.
func actionOf(a config.Action, def config.Action, s side) action {
	switch a.Or(def) {
	case config.RejectBatch:
		if s == sideFetch {
			return actFilter
		}
		return actReject
	case config.FilterRecord:
		return actFilter
	}
	return actPass
}

// modeAction is the action of a topic's bufstream.validate.mode; ok is
// false for a topic without a valid one.
func modeAction(m topicconfig.Mode) (action, bool) {
	switch m {
	case topicconfig.ModeReject:
		return actReject, true
	case topicconfig.ModeDLQ:
		return actDLQ, true
	}
	return actPass, false
}

// element is the check of a record's key or value, resolved from a policy
// Element with the side's defaults and the topic's mode.
type element struct {
	isKey bool
	// message, when set, is the fully qualified message the element must
	// hold (the policy's name); otherwise the schema id must be a version
	// of the topic's subject, <topic>-key or <topic>-value.
	message   string
	subject   string
	skipParse bool
	validate  bool

	onNoSchema, onParse, onInvalid, onInternal action
}

func (el *element) what() string {
	if el.isKey {
		return "key"
	}
	return "value"
}

// active reports whether a policy Element asks for any check: an element
// left out of the policy checks nothing.
func active(e config.Element) bool {
	return e != (config.Element{})
}

// newElement resolves a policy Element for topic on side s.
func newElement(e config.Element, topic string, isKey bool, s side) *element {
	internal := config.RejectBatch
	if s == sideFetch {
		internal = config.PassThrough
	}
	el := &element{
		isKey: isKey, message: e.Name, skipParse: e.SkipParse,
		onNoSchema: actionOf(e.OnNoSchema, config.PassThrough, s),
		onParse:    actionOf(e.OnParseError, config.PassThrough, s),
		onInternal: actionOf(e.OnInternalError, internal, s),
		onInvalid:  actPass,
	}
	if e.Validation != nil && !e.SkipParse {
		el.validate = true
		el.onInvalid = actionOf(e.Validation.OnError, config.PassThrough, s)
	}
	el.subject = topic + "-value"
	if isKey {
		el.subject = topic + "-key"
	}
	return el
}

// withMode applies a topic's bufstream.validate.mode: validation on, and
// the mode's action for every data failure — no schema id, a parse error,
// a broken rule — whatever the policy says for them (the topic's owner
// asked for valid data only, as a topic config overrides a broker default
// in Kafka). on_internal_error keeps the policy's action.
func (el *element) withMode(mode action) *element {
	out := *el
	out.onNoSchema, out.onParse, out.onInvalid = mode, mode, mode
	if !out.skipParse {
		out.validate = true
	}
	return &out
}

// modeElement is the value check a mode gets on a topic no produce policy
// matches: validation on, the mode's action for data failures, the
// default (REJECT_BATCH) for internal ones.
func modeElement(topic string, mode action) *element {
	return newElement(config.Element{}, topic, false, sideProduce).withMode(mode)
}

// firstMatch is the first policy whose topics match topic, or nil.
func firstMatch(ps []config.Policy, topic string) *config.Policy {
	for i := range ps {
		if ps[i].Topics.Matches(topic) {
			return &ps[i]
		}
	}
	return nil
}
