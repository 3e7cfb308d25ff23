package enforce

import (
	"context"
	"errors"
	"fmt"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/schema/protobuf"
	"github.com/tributary-io/tributary/schema/registryclient"
)

// registryClient is one registry as enforcement sees it: the shared
// registryclient.Client (compiled schemas by id, each loaded once; which
// subjects an id is in), its errors turned into ErrParse (the registry's
// answer is about the record) or ErrInternal (the check could not be
// made). Safe for concurrent use.
type registryClient struct {
	c *registryclient.Client
}

// clientConfig is how Config tunes every registry client enforcement
// builds.
func (c Config) clientConfig() registryclient.Config {
	return registryclient.Config{Timeout: c.Timeout, ErrorTTL: c.ErrorTTL, MaxSchemas: c.MaxSchemas}
}

func newRegistryClient(name string, rc *config.ConfluentRegistry, cfg Config) (*registryClient, error) {
	src, err := registryclient.NewHTTP(rc, cfg.Timeout)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", name, err)
	}
	return &registryClient{registryclient.New(name, src, cfg.clientConfig())}, nil
}

// codec returns the codec for a record framed with schema id and a
// message-index path. Failures wrap ErrParse or ErrInternal.
func (r *registryClient) codec(ctx context.Context, id int, indexes []int) (*protobuf.Codec, error) {
	s, err := r.c.Schema(ctx, id)
	if err != nil {
		return nil, classify(err)
	}
	c, err := s.Codec(indexes)
	switch {
	case errors.Is(err, protobuf.ErrNoMessage):
		return nil, fmt.Errorf("%w: message indexes %v name no message of schema id %d", ErrParse, indexes, id)
	case err != nil:
		return nil, fmt.Errorf("%w: schema id %d: %v", ErrInternal, id, err)
	}
	return c, nil
}

// inSubject reports whether schema id is a version of subject; failures
// wrap ErrInternal.
func (r *registryClient) inSubject(ctx context.Context, id int, subject string) (bool, error) {
	ok, err := r.c.InSubject(ctx, id, subject)
	if err != nil {
		return false, classify(err)
	}
	return ok, nil
}

// classify maps registryclient's sentinels onto enforcement's: an id or
// reference the registry does not know, or a schema that is not
// Protobuf, is the record's (ErrParse); a registry that does not answer
// or a schema that does not compile here is ErrInternal. The cause is
// kept as text.
func classify(err error) error {
	if errors.Is(err, registryclient.ErrNotFound) || errors.Is(err, registryclient.ErrNotProtobuf) {
		return fmt.Errorf("%w: %v", ErrParse, err)
	}
	return fmt.Errorf("%w: %v", ErrInternal, err)
}
