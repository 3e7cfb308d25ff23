package registry

import "context"

// effectiveConfig is the config a subject runs under: its own settings
// over the global ones over the defaults.
type effectiveConfig struct {
	level     compatLevel
	normalize bool
}

// configInScope reads the subject's config, falling back to the global
// one ("" subject: the global one only).
func (s *Server) configInScope(ctx context.Context, subject string) (effectiveConfig, error) {
	eff := effectiveConfig{level: compatLevel(s.opts.DefaultCompatibility)}
	apply := func(c configRec) {
		if l, ok := parseCompat(c.Compatibility); ok {
			eff.level = l
		}
		if c.Normalize != nil {
			eff.normalize = *c.Normalize
		}
	}
	g, _, err := s.kv.config(ctx, keyGlobalConfig)
	if err != nil {
		return eff, err
	}
	apply(g)
	if subject != "" {
		c, _, err := s.kv.config(ctx, keyConfig(subject))
		if err != nil {
			return eff, err
		}
		apply(c)
	}
	return eff, nil
}

// modeInScope reads the subject's mode, falling back to the global one,
// then READWRITE.
func (s *Server) modeInScope(ctx context.Context, subject string) (mode, error) {
	if subject != "" {
		m, ok, err := s.kv.mode(ctx, keyMode(subject))
		if err != nil || ok {
			return m, err
		}
	}
	m, ok, err := s.kv.mode(ctx, keyGlobalMode)
	if err != nil || ok {
		return m, err
	}
	return modeReadWrite, nil
}

// checkWritable refuses writes to a subject in READONLY mode.
func (s *Server) checkWritable(ctx context.Context, subject string) error {
	m, err := s.modeInScope(ctx, subject)
	if err != nil {
		return err
	}
	if m == modeReadOnly {
		return errNotPermitted("Subject %s in context . is in read-only mode", subject)
	}
	return nil
}
