package enforce

import (
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/topicconfig"
)

// Enforcer applies the data-enforcement policies and topic validation
// modes of one broker. Safe for concurrent use; a nil *Enforcer enforces
// nothing.
//
// Concurrency: the registries and their caches lock themselves (see
// registryClient); the policy caches are sync.Maps filled on first use
// and emptied when the default registry changes; the fetch cache has its
// own mutex. No lock is held across a registry call.
type Enforcer struct {
	cfg  Config
	log  *slog.Logger
	m    *metrics
	regs map[string]*registryClient
	def  atomic.Pointer[registryClient]

	produce sync.Map // produceKey → *ProducePolicy (nil: nothing applies)
	fetch   sync.Map // topic → *FetchPolicy (nil: nothing applies)
	fcache  *fetchCache

	lastWarn atomic.Int64 // unix nanos of the last internal-error warning
}

// produceKey is what a topic's produce policy depends on: its name (the
// policies' matchers) and its validation configs.
type produceKey struct {
	topic string
	v     topicconfig.Validation
}

// New builds an enforcer: one registry client per configured registry
// (nothing is dialled until a record needs a schema). A nil log discards.
func New(cfg Config, log *slog.Logger) (*Enforcer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("enforce: register metrics: %w", err)
	}
	e := &Enforcer{cfg: cfg, log: log, m: m, regs: map[string]*registryClient{}, fcache: newFetchCache(cfg.FetchCacheBytes)}
	for _, r := range cfg.Registries {
		rc, err := newRegistryClient(r.Name, r.Confluent, cfg, nil)
		if err != nil {
			return nil, err
		}
		e.regs[r.Name] = rc
	}
	if cfg.Default != nil {
		if err := e.SetDefaultRegistry(cfg.Default); err != nil {
			return nil, err
		}
	}
	for side, ps := range map[string][]config.Policy{"produce": cfg.Produce, "fetch": cfg.Fetch} {
		for i, p := range ps {
			if p.Keys.Coerce || p.Values.Coerce {
				log.Warn("data_enforcement: coerce is not supported; records without a schema id get on_no_schema", "policy", fmt.Sprintf("%s[%d]", side, i))
			}
		}
	}
	return e, nil
}

// SetDefaultRegistry sets the registry topic validation modes use when no
// produce policy matches their topic: the node calls it once the built-in
// registry is bound (its port may be chosen then).
func (e *Enforcer) SetDefaultRegistry(rc *config.ConfluentRegistry) error {
	return e.SetBuiltinRegistry(rc, nil)
}

// SetBuiltinRegistry is SetDefaultRegistry for the node's own registry,
// reached through rt (httpauth.InProcess: no network, no credentials).
func (e *Enforcer) SetBuiltinRegistry(rc *config.ConfluentRegistry, rt http.RoundTripper) error {
	r, err := newRegistryClient("default", rc, e.cfg, rt)
	if err != nil {
		return err
	}
	e.def.Store(r)
	e.produce.Clear() // policies built without it
	return nil
}

// Produce returns the enforcement for a produce to topic, whose parsed
// bufstream.validate.* configs are v, or nil when none applies: no produce
// policy matches the topic and it has no bufstream.validate.mode. Cheap:
// after the first call for a topic, one map lookup.
func (e *Enforcer) Produce(topic string, v topicconfig.Validation) *ProducePolicy {
	if e == nil {
		return nil
	}
	if len(e.cfg.Produce) == 0 && v.Mode == topicconfig.ModeNone {
		return nil
	}
	k := produceKey{topic, v}
	if p, ok := e.produce.Load(k); ok {
		return p.(*ProducePolicy)
	}
	p := e.newProducePolicy(k)
	e.produce.Store(k, p)
	return p
}

// newProducePolicy resolves the first matching policy and the topic's
// mode into the checks of its keys and values.
func (e *Enforcer) newProducePolicy(k produceKey) *ProducePolicy {
	mode, hasMode := modeAction(k.v.Mode)
	if k.v.Mode == topicconfig.ModeInvalid {
		e.log.Warn("topic config ignored: "+topicconfig.ValidateMode+" must be reject or dlq", "topic", k.topic)
	}
	p := &ProducePolicy{e: e, topic: k.topic}
	if pol := firstMatch(e.cfg.Produce, k.topic); pol != nil {
		p.reg = e.regs[pol.SchemaRegistry]
		if active(pol.Keys) {
			p.keys = newElement(pol.Keys, k.topic, true, sideProduce)
		}
		if active(pol.Values) {
			p.values = newElement(pol.Values, k.topic, false, sideProduce)
		}
		if hasMode {
			if p.values == nil {
				p.values = modeElement(k.topic, mode)
			} else {
				p.values = p.values.withMode(mode)
			}
		}
	} else if hasMode {
		if p.reg = e.def.Load(); p.reg == nil {
			e.log.Warn("topic config ignored: "+topicconfig.ValidateMode+" needs a schema registry and none is known yet", "topic", k.topic)
			return nil
		}
		p.values = modeElement(k.topic, mode)
	}
	if p.keys == nil && p.values == nil {
		return nil
	}
	if hasMode && mode == actDLQ {
		p.dlqTopic = k.v.DeadLetterTopic(k.topic)
		if p.dlqTopic == k.topic { // a loop: refuse instead
			e.log.Warn("dead-letter topic is the topic itself: dlq mode rejects instead", "topic", k.topic)
			p.values = p.values.withMode(actReject)
			p.dlqTopic = ""
		}
	}
	return p
}

// Fetch returns the enforcement for fetches from topic, or nil when no
// fetch policy matches it.
func (e *Enforcer) Fetch(topic string) *FetchPolicy {
	if e == nil || len(e.cfg.Fetch) == 0 {
		return nil
	}
	if p, ok := e.fetch.Load(topic); ok {
		return p.(*FetchPolicy)
	}
	var p *FetchPolicy
	if pol := firstMatch(e.cfg.Fetch, topic); pol != nil {
		p = &FetchPolicy{e: e, topic: topic, reg: e.regs[pol.SchemaRegistry]}
		if active(pol.Keys) {
			p.keys = newElement(pol.Keys, topic, true, sideFetch)
		}
		if active(pol.Values) {
			p.values = newElement(pol.Values, topic, false, sideFetch)
		}
		if p.keys == nil && p.values == nil {
			p = nil
		}
	}
	e.fetch.Store(topic, p)
	return p
}

// warnInternal logs an internal failure (a registry down, say) at most
// once every ten seconds: every record would otherwise log it.
func (e *Enforcer) warnInternal(topic string, err error) {
	now := time.Now().UnixNano()
	last := e.lastWarn.Load()
	if now-last < int64(10*time.Second) || !e.lastWarn.CompareAndSwap(last, now) {
		return
	}
	e.log.Warn("schema enforcement could not check records (on_internal_error applies)", "topic", topic, "err", err)
}
