package objstore

import (
	"context"
	"sync"
	"time"

	"github.com/tributary-io/tributary/internal/wait"
)

// Op names one Store operation, for fault injection and metrics labels.
type Op string

const (
	OpPut      Op = "put"
	OpGet      Op = "get"
	OpGetRange Op = "get_range"
	OpDelete   Op = "delete"
	OpList     Op = "list"
)

// Ops lists every Op, in interface order.
var Ops = []Op{OpPut, OpGet, OpGetRange, OpDelete, OpList}

// Faulty wraps a Store and injects faults for tests: failing calls before
// (or after) they reach the inner store, slowing them, or hanging them until
// their context ends. It counts the calls of each Op. With no fault set it
// is a transparent pass-through. Safe for concurrent use; one mutex guards
// the fault plan and counters and is never held across an inner call.
type Faulty struct {
	inner Store

	mu     sync.Mutex
	faults map[Op]*faultPlan
	calls  map[Op]int
}

// faultPlan is what to do to the calls of one Op. Checked in this order:
// hang, latency, failBefore, always, then the inner call, then failAfter.
type faultPlan struct {
	hang       bool
	latency    time.Duration
	always     error
	failBefore []error // the next calls fail with these, one each, in order
	failAfter  []error // the next calls reach the store, then fail
}

var _ Store = (*Faulty)(nil)

// NewFaulty wraps inner with no faults set.
func NewFaulty(inner Store) *Faulty {
	return &Faulty{inner: inner, faults: map[Op]*faultPlan{}, calls: map[Op]int{}}
}

// plan returns op's plan, creating it. Expects f.mu held.
func (f *Faulty) plan(op Op) *faultPlan {
	p := f.faults[op]
	if p == nil {
		p = &faultPlan{}
		f.faults[op] = p
	}
	return p
}

// FailNext makes the next n calls of op fail with err (ErrInjected if nil)
// without reaching the inner store.
func (f *Faulty) FailNext(op Op, n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.plan(op)
	for range n {
		p.failBefore = append(p.failBefore, orInjected(err))
	}
}

// FailNextAfter makes the next n calls of op reach the inner store and then
// report err (ErrInjected if nil): the outcome a caller sees when a request
// succeeded but its response was lost. A Put so failed did store the object.
func (f *Faulty) FailNextAfter(op Op, n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.plan(op)
	for range n {
		p.failAfter = append(p.failAfter, orInjected(err))
	}
}

// FailAlways makes every call of op fail with err (ErrInjected if nil)
// until Clear.
func (f *Faulty) FailAlways(op Op, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plan(op).always = orInjected(err)
}

// SetLatency delays every call of op by d (or until its context ends).
func (f *Faulty) SetLatency(op Op, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plan(op).latency = d
}

// Hang makes every call of op block until its context ends, then return
// the context's error, until Clear.
func (f *Faulty) Hang(op Op) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plan(op).hang = true
}

// Clear removes every fault set for op (calls already hanging stay hung
// until their context ends).
func (f *Faulty) Clear(op Op) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.faults, op)
}

// ClearAll removes every fault of every op.
func (f *Faulty) ClearAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.faults)
}

// Calls reports how many calls of op were made, failed ones included.
func (f *Faulty) Calls(op Op) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func orInjected(err error) error {
	if err == nil {
		return ErrInjected
	}
	return err
}

// before counts a call of op and applies the faults that come before the
// inner call. A non-nil error means the call fails without reaching it.
func (f *Faulty) before(ctx context.Context, op Op) error {
	f.mu.Lock()
	f.calls[op]++
	var p faultPlan
	if fp := f.faults[op]; fp != nil {
		p = *fp
		if !fp.hang && len(fp.failBefore) > 0 {
			fp.failBefore = fp.failBefore[1:]
		}
	}
	f.mu.Unlock()

	if p.hang {
		<-ctx.Done()
		return ctx.Err()
	}
	if err := sleep(ctx, p.latency); err != nil {
		return err
	}
	if len(p.failBefore) > 0 {
		return p.failBefore[0]
	}
	return p.always
}

// after applies a pending fail-after fault of op to err, the inner result.
func (f *Faulty) after(op Op, err error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	fp := f.faults[op]
	if err != nil || fp == nil || len(fp.failAfter) == 0 {
		return err
	}
	err = fp.failAfter[0]
	fp.failAfter = fp.failAfter[1:]
	return err
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	return wait.Sleep(ctx, d)
}

func (f *Faulty) Put(ctx context.Context, key string, data []byte) error {
	if err := f.before(ctx, OpPut); err != nil {
		return err
	}
	return f.after(OpPut, f.inner.Put(ctx, key, data))
}

func (f *Faulty) Get(ctx context.Context, key string) ([]byte, error) {
	if err := f.before(ctx, OpGet); err != nil {
		return nil, err
	}
	data, err := f.inner.Get(ctx, key)
	if err = f.after(OpGet, err); err != nil {
		return nil, err
	}
	return data, nil
}

func (f *Faulty) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	if err := f.before(ctx, OpGetRange); err != nil {
		return nil, err
	}
	data, err := f.inner.GetRange(ctx, key, off, n)
	if err = f.after(OpGetRange, err); err != nil {
		return nil, err
	}
	return data, nil
}

func (f *Faulty) Delete(ctx context.Context, key string) error {
	if err := f.before(ctx, OpDelete); err != nil {
		return err
	}
	return f.after(OpDelete, f.inner.Delete(ctx, key))
}

func (f *Faulty) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	if err := f.before(ctx, OpList); err != nil {
		return nil, err
	}
	infos, err := f.inner.List(ctx, prefix)
	if err = f.after(OpList, err); err != nil {
		return nil, err
	}
	return infos, nil
}

// Close closes the inner store; it is not subject to faults.
func (f *Faulty) Close() error { return f.inner.Close() }
