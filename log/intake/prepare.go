package intake

import (
	"context"
	"time"
)

// preparedAhead is how many prepared keys the preparer keeps ready: one
// for the next flush and one for the flush after, when flushes overlap.
// A crash leaves at most this many empty objects, orphans housekeeping
// deletes.
const preparedAhead = 2

// startPreparer starts the preparer goroutine when the store can prepare
// keys (objstore.Preparer): it keeps preparedAhead keys prepared, so that
// a flush's object write is one fsync and the flusher never waits for a
// Prepare's own fsyncs (file and directory) between two flushes.
func (w *Writer) startPreparer() {
	if w.prep == nil {
		return
	}
	w.ready = make(chan string, preparedAhead)
	w.stopPrep = make(chan struct{})
	w.prepExited = make(chan struct{})
	go w.runPreparer()
}

// runPreparer prepares keys and hands them over on ready until stopped. A
// failed Prepare hands over "" (that flush writes the usual way, and if
// the store is failing that write fails and is logged) and the next try
// waits a backoff, so a broken store is not hammered.
func (w *Writer) runPreparer() {
	defer close(w.prepExited)
	backoff := firstBackoff
	for {
		key := w.prepareOne()
		select {
		case w.ready <- key:
		case <-w.stopPrep:
			w.deletePrepared(key)
			return
		}
		if key != "" {
			backoff = firstBackoff
			continue
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-w.stopPrep:
			t.Stop()
			return
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// prepareOne prepares a new key and returns it, or "" if that failed.
func (w *Writer) prepareOne() string {
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.FlushTimeout)
	defer cancel()
	key := w.objectKey()
	if err := w.prep.Prepare(ctx, key); err != nil {
		w.log.Debug("prepare intake object", "object", key, "err", err)
		return ""
	}
	return key
}

// takeKey returns the key for the next object: a prepared one (waiting
// for the Prepare in progress, which costs no more than writing the
// object the usual way), or a new one when the store cannot prepare or
// the last Prepare failed.
func (w *Writer) takeKey() string {
	if w.prep != nil {
		select {
		case key := <-w.ready:
			if key != "" {
				return key
			}
		case <-w.prepExited:
		}
	}
	return w.objectKey()
}

// stopPreparer stops the preparer as the flusher exits and deletes the
// prepared keys no flush will use.
func (w *Writer) stopPreparer() {
	if w.prep == nil {
		return
	}
	close(w.stopPrep)
	<-w.prepExited
	for {
		select {
		case key := <-w.ready:
			w.deletePrepared(key)
		default:
			return
		}
	}
}

// deletePrepared deletes a prepared key no flush will use ("" is none).
func (w *Writer) deletePrepared(key string) {
	if key == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.FlushTimeout)
	defer cancel()
	if err := w.obj.Delete(ctx, key); err != nil {
		w.log.Warn("delete unused prepared intake object; housekeeping deletes it later", "object", key, "err", err)
	}
}
