package enforce

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributary-io/tributary/config"
)

// Config is what an Enforcer enforces and how it reaches its registries.
// Every field has a documented default; the zero value enforces nothing.
type Config struct {
	// Registries are data_enforcement.schema_registries: the registries
	// policies name.
	Registries []config.NamedRegistry
	// Produce and Fetch are data_enforcement.produce and .fetch; the first
	// policy whose topics match a topic applies to it.
	Produce, Fetch []config.Policy

	// Default is the registry a topic's bufstream.validate.mode uses when
	// no produce policy matches the topic, reached over HTTP. The node
	// leaves it nil and hands its shared client to SetDefaultRegistry.
	// Nil: such a mode does nothing until one is set.
	Default *config.ConfluentRegistry

	// Timeout bounds one registry lookup (a schema and its references, or
	// a schema's subjects): a registry that is down or hangs costs a
	// produce at most this, then the policy's on_internal_error applies.
	// Default 2s.
	Timeout time.Duration
	// ErrorTTL is how long a failed lookup (an unknown id, a registry that
	// is down) is remembered before it is tried again, and how long an id
	// found not to belong to a topic's subject stays so. Default 5s.
	ErrorTTL time.Duration
	// MaxSchemas bounds each registry's cache of compiled schemas (least
	// recently used out). Default 1000.
	MaxSchemas int
	// FetchCacheBytes bounds the cache of fetched batches already checked
	// (the filtered copy, or a note that nothing was filtered). Default
	// 32 MiB; negative disables it.
	FetchCacheBytes int

	// Registerer, when set, gets the enforcement metrics (see metrics.go).
	Registerer prometheus.Registerer
}

const (
	defaultTimeout         = 2 * time.Second
	defaultErrorTTL        = 5 * time.Second
	defaultFetchCacheBytes = 32 << 20
)

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = defaultTimeout
	}
	if c.ErrorTTL <= 0 {
		c.ErrorTTL = defaultErrorTTL
	}
	if c.FetchCacheBytes == 0 {
		c.FetchCacheBytes = defaultFetchCacheBytes
	}
	return c
}

// Validate reports a config that cannot work: a policy naming a registry
// that is not listed, a registry without a URL. config.Config.Validate
// checks the same for configs loaded from a file.
func (c Config) Validate() error {
	names := map[string]bool{}
	for i, r := range c.Registries {
		if r.Name == "" || r.Confluent == nil || r.Confluent.URL == "" {
			return fmt.Errorf("%w: registry %d needs a name and confluent.url", ErrConfig, i)
		}
		names[r.Name] = true
	}
	for side, ps := range map[string][]config.Policy{"produce": c.Produce, "fetch": c.Fetch} {
		for i, p := range ps {
			if !names[p.SchemaRegistry] {
				return fmt.Errorf("%w: %s policy %d names registry %q, which is not listed", ErrConfig, side, i, p.SchemaRegistry)
			}
		}
	}
	return nil
}

// FromConfig is the enforcement a config file asks for: its
// data_enforcement block. The default registry of topic validation modes
// (the top-level schema_registry, else the built-in registry in process)
// is the node's, handed over with SetDefaultRegistry: one client for
// enforcement and ingest, and no guessed address.
func FromConfig(c config.Config, reg prometheus.Registerer) Config {
	return Config{
		Registries: c.DataEnforcement.SchemaRegistries,
		Produce:    c.DataEnforcement.Produce, Fetch: c.DataEnforcement.Fetch,
		Registerer: reg,
	}
}
