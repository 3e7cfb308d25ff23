package registryclient

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/tributary-io/tributary/config"
)

// httpSource reads a registry over its REST API.
type httpSource struct{ cl *sr.Client }

// NewHTTP is the Source of an external registry: its URL, basic auth or
// bearer token (resolved here) and TLS settings, every request bounded by
// timeout (0: none beyond the caller's context).
func NewHTTP(rc *config.ConfluentRegistry, timeout time.Duration) (Source, error) {
	if rc == nil || rc.URL == "" {
		return nil, errors.New("registry client: a url is required")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if rc.TLS != nil && rc.TLS.InsecureSkipVerify {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	opts := []sr.ClientOpt{sr.URLs(rc.URL), sr.UserAgent("tributary"), sr.HTTPClient(&http.Client{Transport: tr, Timeout: timeout})}
	if ba := rc.BasicAuth; ba != nil {
		user, err := ba.Username.Resolve()
		if err != nil {
			return nil, fmt.Errorf("basic_auth.username: %w", err)
		}
		pass, err := ba.Password.Resolve()
		if err != nil {
			return nil, fmt.Errorf("basic_auth.password: %w", err)
		}
		opts = append(opts, sr.BasicAuth(string(user), string(pass)))
	}
	if !rc.BearerToken.IsZero() {
		tok, err := rc.BearerToken.Resolve()
		if err != nil {
			return nil, fmt.Errorf("bearer_token: %w", err)
		}
		opts = append(opts, sr.BearerToken(string(tok)))
	}
	cl, err := sr.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("registry client for %s: %w", rc.URL, err)
	}
	return httpSource{cl}, nil
}

func (h httpSource) SchemaByID(ctx context.Context, id int) (Schema, error) {
	s, err := h.cl.SchemaByID(ctx, id)
	if err != nil {
		return Schema{}, notFound(err)
	}
	return fromSR(s), nil
}

func (h httpSource) SchemaByVersion(ctx context.Context, subject string, version int) (Schema, error) {
	ss, err := h.cl.SchemaByVersion(ctx, subject, version)
	if err != nil {
		return Schema{}, notFound(err)
	}
	return fromSR(ss.Schema), nil
}

func (h httpSource) SubjectsOfID(ctx context.Context, id int) ([]string, error) {
	vs, err := h.cl.SchemaVersionsByID(ctx, id)
	if err != nil {
		return nil, notFound(err)
	}
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, v.Subject)
	}
	return out, nil
}

func (h httpSource) SubjectVersions(ctx context.Context, subject string) ([]int, error) {
	vs, err := h.cl.SubjectVersions(ctx, subject)
	if err != nil {
		return nil, notFound(err)
	}
	return vs, nil
}

func fromSR(s sr.Schema) Schema {
	out := Schema{Type: s.Type.String(), Text: s.Schema}
	for _, r := range s.References {
		out.References = append(out.References, Reference{Name: r.Name, Subject: r.Subject, Version: r.Version})
	}
	return out
}

// notFound marks the registry's 404 answers (Confluent's 40401 subject,
// 40402 version, 40403 schema, or a bare 404) with ErrNotFound.
func notFound(err error) error {
	var re *sr.ResponseError
	if errors.As(err, &re) && (re.StatusCode == http.StatusNotFound || re.ErrorCode == sr.ErrSchemaNotFound.Code ||
		re.ErrorCode == sr.ErrSubjectNotFound.Code || re.ErrorCode == sr.ErrVersionNotFound.Code) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}
