package registryclient

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// InSubject reports whether schema id is a version of subject. Subjects
// an id was seen in are kept; an id not (yet) seen in the subject is
// asked again after ErrorTTL, as are failures, which wrap ErrUnavailable.
// An id the registry does not know is in no subject.
func (c *Client) InSubject(ctx context.Context, id int, subject string) (bool, error) {
	e, loader := c.ids.lookup(id, subject, c.now(), c.cfg.ErrorTTL)
	if e == nil {
		return true, nil // seen in the subject before
	}
	if loader {
		c.fillSubjects(ctx, e)
	}
	select {
	case <-e.done:
	case <-ctx.Done():
		return false, failure(ErrUnavailable, "subjects of schema id %d: %v", id, ctx.Err())
	}
	if e.err != nil {
		return false, e.err
	}
	return e.subjects[subject], nil
}

func (c *Client) fillSubjects(ctx context.Context, e *subjEntry) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.Timeout)
	defer cancel()
	subs, err := c.src.SubjectsOfID(ctx, e.id)
	subjects := make(map[string]bool, len(subs))
	for _, s := range subs {
		subjects[s] = true
	}
	if err != nil {
		err = c.classify(err, fmt.Sprintf("subjects of schema id %d", e.id))
		if errors.Is(err, ErrNotFound) {
			err, subjects = nil, map[string]bool{} // an unknown id is in no subject
		}
	}
	c.ids.finish(e, subjects, err, c.now())
}

// HasVersions reports whether subject has a live version (Confluent's
// TopicNameStrategy names a topic's subjects <topic>-key and
// <topic>-value). An answer is trusted for SubjectTTL; a failure wraps
// ErrUnavailable and is not remembered.
func (c *Client) HasVersions(ctx context.Context, subject string) (bool, error) {
	if has, ok := c.subs.get(subject, c.now(), c.cfg.SubjectTTL); ok {
		return has, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	vs, err := c.src.SubjectVersions(ctx, subject)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return false, c.classify(err, "versions of subject "+subject)
	}
	has := err == nil && len(vs) > 0
	c.subs.put(subject, has, c.now())
	return has, nil
}

// versionsCache remembers HasVersions' answers.
type versionsCache struct {
	mu      sync.Mutex
	entries map[string]versionsEntry
	max     int
}

type versionsEntry struct {
	has bool
	at  time.Time
}

func (v *versionsCache) get(subject string, now time.Time, ttl time.Duration) (bool, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	e, ok := v.entries[subject]
	if !ok || now.Sub(e.at) >= ttl {
		return false, false
	}
	return e.has, true
}

func (v *versionsCache) put(subject string, has bool, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.entries) >= v.max {
		clear(v.entries)
	}
	v.entries[subject] = versionsEntry{has: has, at: now}
}

// subjectCache maps schema ids to the subjects they are versions of.
// mu guards entries; a loading entry's fields are written before its done
// channel closes and read only after.
type subjectCache struct {
	mu      sync.Mutex
	entries map[int]*subjEntry
	max     int
}

type subjEntry struct {
	id       int
	done     chan struct{}
	subjects map[string]bool
	err      error
	at       time.Time
	// asked are the subjects a lookup wanted when this entry (or one it
	// replaced) was loaded: for them a miss is an answer until the entry
	// is ttl old; any other subject missing from a fresh entry is asked
	// again, as the id may have joined it since.
	asked map[string]bool
}

// lookup returns nil when id is known to be in subject; otherwise the
// entry to wait on, and loader true when the caller must fill it.
func (c *subjectCache) lookup(id int, subject string, now time.Time, ttl time.Duration) (*subjEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.entries[id]
	asked := map[string]bool{subject: true}
	if old != nil {
		select {
		case <-old.done:
			if old.err == nil && old.subjects[subject] {
				return nil, false
			}
			if now.Sub(old.at) < ttl && (old.err != nil || old.asked[subject]) {
				return old, false
			}
			if now.Sub(old.at) < ttl {
				for s := range old.asked {
					asked[s] = true
				}
			}
		default:
			return old, false // loading
		}
	} else if len(c.entries) >= c.max {
		for k := range c.entries { // drop one at random: ids are cheap to reload
			delete(c.entries, k)
			break
		}
	}
	e := &subjEntry{id: id, done: make(chan struct{}), asked: asked}
	c.entries[id] = e
	return e, true
}

func (c *subjectCache) finish(e *subjEntry, subjects map[string]bool, err error, now time.Time) {
	c.mu.Lock()
	e.subjects, e.err, e.at = subjects, err, now
	close(e.done)
	c.mu.Unlock()
}
