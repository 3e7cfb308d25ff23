package enforce

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/registry"
	"github.com/tributary-io/tributary/topicconfig"
)

func TestSchemasCachedByID(t *testing.T) {
	e := newEnv(t).register()
	enf := e.enforcer([]config.Policy{policy(all, strict)}, nil, nil)
	p := enf.Produce("orders", topicconfig.Validation{})
	data, batches := produced(t, kgo.NoCompression(), -1, 0, rec{value: e.cartValue(goodCart)}, rec{value: e.cartValue(goodCart)})
	e.requests.Store(0)
	if res, _ := p.Check(ctx, 0, data, batches); res.Rejected {
		t.Fatalf("%+v", res.RecordErrors)
	}
	// The schema, its reference, and the id's subjects: three requests.
	if n := e.requests.Load(); n != 3 {
		t.Fatalf("first batch made %d registry requests, want 3", n)
	}
	for range 5 {
		p.Check(ctx, 0, data, batches)
	}
	enf.Produce("orders", topicconfig.Validation{}).Check(ctx, 1, data, batches)
	if n := e.requests.Load(); n != 3 {
		t.Fatalf("cached schema looked up again: %d requests", n)
	}
}

func TestUnknownIDsRememberedBriefly(t *testing.T) {
	e := newEnv(t).register()
	enf := e.enforcer([]config.Policy{policy(all, strict)}, nil, func(c *Config) { c.ErrorTTL = 300 * time.Millisecond })
	p := enf.Produce("orders", topicconfig.Validation{})
	unknown := framed(4242, nil, e.msg("Cart", goodCart))
	data, batches := produced(t, kgo.NoCompression(), -1, 0, rec{value: unknown}, rec{value: unknown}, rec{value: unknown})
	e.requests.Store(0)
	for range 3 {
		if res, _ := p.Check(ctx, 0, data, batches); !res.Rejected || !strings.Contains(res.Message, "schema id 4242 not found in registry") {
			t.Fatalf("unknown id: %+v", res)
		}
	}
	if n := e.requests.Load(); n != 1 {
		t.Fatalf("an unknown id was asked for %d times within its TTL, want once", n)
	}
	time.Sleep(350 * time.Millisecond)
	p.Check(ctx, 0, data, batches)
	if n := e.requests.Load(); n != 2 {
		t.Fatalf("after the TTL: %d requests, want 2", n)
	}
}

// A subject that gains the id later is seen once the negative answer
// expires.
func TestSubjectMembershipRefreshed(t *testing.T) {
	e := newEnv(t).register()
	enf := e.enforcer([]config.Policy{policy(all, strict)}, nil, func(c *Config) { c.ErrorTTL = 200 * time.Millisecond })
	data, batches := produced(t, kgo.NoCompression(), -1, 0, rec{value: e.cartValue(goodCart)})
	if res, _ := enf.Produce("late", topicconfig.Validation{}).Check(ctx, 0, data, batches); !res.Rejected || !strings.Contains(res.Message, "not a version of subject late-value") {
		t.Fatalf("late-value before registration: %+v", res)
	}
	// Register the same schema under late-value: same id.
	sch, err := e.cl.SchemaByID(ctx, e.cartID)
	if err != nil {
		t.Fatal(err)
	}
	if ss, err := e.cl.CreateSchema(ctx, "late-value", sch); err != nil || ss.ID != e.cartID {
		t.Fatalf("register late-value: %v %+v", err, ss)
	}
	time.Sleep(250 * time.Millisecond)
	if res, _ := enf.Produce("late", topicconfig.Validation{}).Check(ctx, 0, data, batches); res.Rejected {
		t.Fatalf("late-value after registration: %+v", res)
	}
}

func TestRegistryDown(t *testing.T) {
	e := newEnv(t).register()
	value := e.cartValue(goodCart)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	for _, c := range []struct {
		name     string
		onError  config.Action
		rejected bool
		kept     int
	}{
		{"default rejects", "", true, 0},
		{"pass through", config.PassThrough, false, 1},
		{"filter", config.FilterRecord, false, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			enf := e.enforcer([]config.Policy{policy(all, config.Element{OnParseError: config.RejectBatch, OnInternalError: c.onError})}, nil,
				func(cfg *Config) { cfg.Registries[0].Confluent.URL = down })
			data, batches := produced(t, kgo.NoCompression(), -1, 0, rec{value: value})
			res, err := enf.Produce("orders", topicconfig.Validation{}).Check(ctx, 0, data, batches)
			if err != nil || res.Rejected != c.rejected {
				t.Fatalf("%v %+v", err, res)
			}
			if c.rejected && !strings.Contains(res.Message, "internal error: registry csr") {
				t.Fatalf("message %q does not say the registry failed", res.Message)
			}
			if !c.rejected && len(values(t, res.Data)) != c.kept {
				t.Fatalf("kept %d records, want %d", len(values(t, res.Data)), c.kept)
			}
		})
	}
}

// A registry that accepts connections and never answers costs one
// Timeout, then its failure is remembered: the next batch does not wait.
func TestRegistryHangs(t *testing.T) {
	e := newEnv(t).register()
	value := e.cartValue(goodCart)
	stall := make(chan struct{})
	t.Cleanup(func() { close(stall) })
	slow := newEnvWith(t, registry.Options{}, func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-stall:
			case <-r.Context().Done():
			}
		})
	})
	enf := e.enforcer([]config.Policy{policy(all, config.Element{OnParseError: config.RejectBatch})}, nil, func(cfg *Config) {
		cfg.Registries[0].Confluent.URL = slow.url
		cfg.Timeout = 300 * time.Millisecond
	})
	p := enf.Produce("orders", topicconfig.Validation{})
	data, batches := produced(t, kgo.NoCompression(), -1, 0, rec{value: value}, rec{value: value}, rec{value: value})
	start := time.Now()
	res, _ := p.Check(ctx, 0, data, batches)
	if took := time.Since(start); took > 2*time.Second || took < 250*time.Millisecond {
		t.Fatalf("first check took %v with a 300ms timeout", took)
	}
	if !res.Rejected || !strings.Contains(res.Message, "did not answer") {
		t.Fatalf("hung registry: %+v", res)
	}
	start = time.Now()
	if res, _ := p.Check(ctx, 0, data, batches); !res.Rejected || time.Since(start) > 100*time.Millisecond {
		t.Fatalf("second check took %v: the failure was not remembered", time.Since(start))
	}
}

// Buf's BSR serves the Confluent API under a path prefix with basic auth;
// other registries take a bearer token.
func TestRegistryAuthAndPrefix(t *testing.T) {
	const prefix = "/integrations/confluent/demo"
	basic := newEnvWith(t, registry.Options{BasicAuth: map[string]string{"bot": "s3cret"}}, func(h http.Handler) http.Handler {
		return http.StripPrefix(prefix, h)
	})
	basic.url += prefix
	basic.cl = newSRClient(t, basic.url, "bot", "s3cret", "")
	basic.register()
	value := basic.cartValue(goodCart)
	data, batches := produced(t, kgo.NoCompression(), -1, 0, rec{value: value})
	for _, c := range []struct {
		pass string
		ok   bool
	}{{"s3cret", true}, {"wrong", false}} {
		enf := basic.enforcer([]config.Policy{policy(all, strict)}, nil, func(cfg *Config) {
			cfg.Registries[0].Confluent.BasicAuth = &config.BasicAuth{Username: config.InlineSource("bot"), Password: config.InlineSource(c.pass)}
		})
		res, _ := enf.Produce("orders", topicconfig.Validation{}).Check(ctx, 0, data, batches)
		if res.Rejected == c.ok {
			t.Fatalf("basic auth with password %q: %+v", c.pass, res)
		}
	}

	bearer := newEnvWith(t, registry.Options{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer tok-1" {
				http.Error(w, `{"error_code":40101,"message":"unauthorized"}`, http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	bearer.cl = newSRClient(t, bearer.url, "", "", "tok-1")
	bearer.register()
	data, batches = produced(t, kgo.NoCompression(), -1, 0, rec{value: bearer.cartValue(goodCart)})
	for _, c := range []struct {
		tok string
		ok  bool
	}{{"tok-1", true}, {"tok-2", false}} {
		enf := bearer.enforcer([]config.Policy{policy(all, strict)}, nil, func(cfg *Config) {
			cfg.Registries[0].Confluent.BearerToken = config.InlineSource(c.tok)
		})
		res, _ := enf.Produce("orders", topicconfig.Validation{}).Check(ctx, 0, data, batches)
		if res.Rejected == c.ok {
			t.Fatalf("bearer %q: %+v", c.tok, res)
		}
		if !c.ok && !strings.Contains(res.Message, "internal error") {
			t.Fatalf("refused credentials should be an internal error: %q", res.Message)
		}
	}
}

// FromConfig guesses no default registry: before, it dialled the
// built-in registry at registry.listen_address, or 127.0.0.1:8081 (a port
// another process may hold); the node now hands its client over in
// process (SetDefaultRegistry), the external schema_registry included.
func TestFromConfigGuessesNoRegistryAddress(t *testing.T) {
	c := config.Default()
	c.Registry.ListenAddress = "0.0.0.0:18081"
	if got := FromConfig(c, nil).Default; got != nil {
		t.Fatalf("default registry %+v, want none", got)
	}
	c.Registry.ListenAddress = ""
	if got := FromConfig(c, nil).Default; got != nil {
		t.Fatalf("default registry %+v, want none (not the default port)", got)
	}
}

// Regression: an id's subjects loaded for one topic were taken as the
// answer for another topic's subject the id had joined since (the demo
// registers one schema under three subjects, producing between).
func TestSubjectJoinedAfterAnotherTopicsLookup(t *testing.T) {
	e := newEnv(t).register()
	enf := e.enforcer([]config.Policy{policy(all, strict)}, nil, nil) // default ErrorTTL: 5s
	data, batches := produced(t, kgo.NoCompression(), -1, 0, rec{value: e.cartValue(goodCart)})
	if res, _ := enf.Produce("orders", topicconfig.Validation{}).Check(ctx, 0, data, batches); res.Rejected {
		t.Fatalf("orders: %+v", res)
	}
	sch, err := e.cl.SchemaByID(ctx, e.cartID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.cl.CreateSchema(ctx, "newer-value", sch); err != nil {
		t.Fatal(err)
	}
	if res, _ := enf.Produce("newer", topicconfig.Validation{}).Check(ctx, 0, data, batches); res.Rejected {
		t.Fatalf("a subject joined after the id's subjects were cached: %+v", res)
	}
	// A real miss is remembered: no request for the second check.
	enf.Produce("never", topicconfig.Validation{}).Check(ctx, 0, data, batches)
	n := e.requests.Load()
	if res, _ := enf.Produce("never", topicconfig.Validation{}).Check(ctx, 0, data, batches); !res.Rejected || e.requests.Load() != n {
		t.Fatalf("a known miss asked again (%d requests) or passed: %+v", e.requests.Load()-n, res)
	}
}
