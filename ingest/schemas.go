package ingest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/tributary-io/tributary/schema/protobuf"
	"github.com/tributary-io/tributary/schema/registryclient"
)

// schemas resolves schema ids to message descriptors through the
// registry client the broker shares with enforcement (each id compiled
// once), keeping the message of each id and index path. Safe for
// concurrent use: every pipeline shares one.
type schemas struct {
	cl *registryclient.Client

	mu   sync.Mutex
	msgs map[string]protoreflect.MessageDescriptor // "id/indexes"
}

func newSchemas(cl *registryclient.Client) *schemas {
	return &schemas{cl: cl, msgs: map[string]protoreflect.MessageDescriptor{}}
}

// message returns the message designated by a schema id and a Confluent
// message-index path. A registry that did not answer is errRegistry (the
// pipeline retries); any other error is the record's.
func (s *schemas) message(ctx context.Context, id int, indexes []int) (protoreflect.MessageDescriptor, error) {
	key := msgKey(id, indexes)
	s.mu.Lock()
	md, ok := s.msgs[key]
	s.mu.Unlock()
	if ok {
		return md, nil
	}
	sc, err := s.cl.Schema(ctx, id)
	if err != nil {
		return nil, registryErr(err)
	}
	md, err = protobuf.MessageByIndexes(sc.File, indexes)
	if err != nil {
		return nil, fmt.Errorf("schema id %d message indexes %v: %w", id, indexes, err)
	}
	s.mu.Lock()
	if len(s.msgs) > 10000 {
		clear(s.msgs)
	}
	s.msgs[key] = md
	s.mu.Unlock()
	return md, nil
}

func msgKey(id int, indexes []int) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(id))
	for _, i := range indexes {
		b.WriteByte('/')
		b.WriteString(strconv.Itoa(i))
	}
	return b.String()
}

// hasSchema reports whether subject has a live version (Confluent's
// TopicNameStrategy names a topic's subjects <topic>-key and
// <topic>-value), an answer trusted for 10s. A registry that fails is
// errRegistry: the answer decides whether a row gets __err__, so it is
// not guessed.
func (s *schemas) hasSchema(ctx context.Context, subject string) (bool, error) {
	has, err := s.cl.HasVersions(ctx, subject)
	if err != nil {
		return false, registryErr(err)
	}
	return has, nil
}

// registryErr marks the registry's failures (registryclient.ErrUnavailable)
// as errRegistry; the rest (not found, not Protobuf, does not compile) are
// answers about the record and go to its __err__ as they are.
func registryErr(err error) error {
	if errors.Is(err, registryclient.ErrUnavailable) {
		return fmt.Errorf("%w: %w", errRegistry, err)
	}
	return err
}
