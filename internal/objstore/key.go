package objstore

import (
	"fmt"
	"strings"
)

// ValidateKey checks that key is a store-relative, slash-separated path:
// not empty, no leading or trailing slash, no empty segment, no segment
// starting with a dot (which rules out "." and ".." and leaves dot names to
// backends for their own bookkeeping), no backslash and no NUL byte. Every
// backend applies it, so a key valid on one is valid on all.
func ValidateKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	}
	if strings.ContainsAny(key, "\\\x00") {
		return fmt.Errorf("%w %q: backslash or NUL", ErrInvalidKey, key)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" {
			return fmt.Errorf("%w %q: empty segment or leading/trailing slash", ErrInvalidKey, key)
		}
		if seg[0] == '.' {
			return fmt.Errorf("%w %q: segment starts with a dot", ErrInvalidKey, key)
		}
	}
	return nil
}

// ValidatePrefix checks a List prefix: empty (everything), or a string that
// could begin a valid key. A prefix may end in a slash or stop mid-segment.
func ValidatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if err := ValidateKey(strings.TrimSuffix(prefix, "/")); err != nil {
		return fmt.Errorf("prefix %q: %w", prefix, err)
	}
	return nil
}
