package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// sampleEvery is how often a tool run's CPU is sampled: fine enough for a
// measured window of a second or two.
const sampleEvery = 50 * time.Millisecond

// sample is the CPU seconds, at one instant, of the tool JVM (all
// threads, and each thread by id) and of the broker.
type sample struct {
	at      time.Time
	client  float64
	threads map[int]float64
	broker  float64
}

// windowCPU is the CPU of a run's measured window only (the tool's own
// timing: fetch.time.ms for ConsumerPerformance, records/rate for
// ProducerPerformance), leaving out JVM start-up, metadata and the group
// join. Busiest is the CPU of the tool's busiest thread over the window:
// near Seconds it means one client thread was the limit.
type windowCPU struct {
	Seconds float64 // the window's length
	Client  float64 // CPU seconds of the tool JVM in it
	Busiest float64 // CPU seconds of its busiest thread in it
	Broker  float64 // CPU seconds of the broker in it
}

// sampler samples a tool's and a broker's CPU until stopped.
type sampler struct {
	mu      sync.Mutex
	samples []sample
	stop    chan struct{}
	done    chan struct{}
}

// startSampler samples client and broker every sampleEvery; a failed read
// (the tool gone) skips that sample.
func startSampler(client, broker int) *sampler {
	s := &sampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(sampleEvery)
		defer t.Stop()
		for {
			if sm, err := takeSample(client, broker); err == nil {
				s.mu.Lock()
				s.samples = append(s.samples, sm)
				s.mu.Unlock()
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// finish stops sampling and returns the samples.
func (s *sampler) finish() []sample {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.samples
}

func takeSample(client, broker int) (sample, error) {
	sm := sample{at: time.Now(), threads: map[int]float64{}}
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", client))
	if err != nil || len(tasks) == 0 {
		return sample{}, fmt.Errorf("listing threads of %d: %w", client, errProcFormat)
	}
	for _, path := range tasks {
		raw, err := os.ReadFile(path)
		if err != nil {
			continue // a thread that ended between the listing and the read
		}
		cpu, err := parseStatCPU(string(raw))
		if err != nil {
			return sample{}, err
		}
		tid, err := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		if err != nil {
			return sample{}, fmt.Errorf("thread id in %s: %w", path, err)
		}
		sm.threads[tid] = cpu
	}
	if sm.client, err = cpuSeconds(client); err != nil {
		return sample{}, err
	}
	if sm.broker, err = cpuSeconds(broker); err != nil {
		return sample{}, err
	}
	return sm, nil
}

// inWindow is the CPU between the last sample at or before from and the
// first at or after to (the window widened to the samples around it, so
// at most sampleEvery on either side; or narrowed by at most
// 2×sampleEvery at the end when the tool exited right after printing);
// false when the samples do not cover the window.
func inWindow(samples []sample, from, to time.Time) (windowCPU, bool) {
	first, last := -1, -1
	for i, sm := range samples {
		if !sm.at.After(from) {
			first = i
		}
		if last < 0 && !sm.at.Before(to) {
			last = i
		}
	}
	// A tool that prints its result and exits within a sampling period
	// leaves no sample after the print: the last one, that close to the
	// end, stands for it.
	if n := len(samples); last < 0 && n > 0 && to.Sub(samples[n-1].at) <= 2*sampleEvery {
		last = n - 1
	}
	if first < 0 || last < 0 || !samples[last].at.After(samples[first].at) {
		return windowCPU{}, false
	}
	a, b := samples[first], samples[last]
	w := windowCPU{Seconds: b.at.Sub(a.at).Seconds(), Client: b.client - a.client, Broker: b.broker - a.broker}
	// A thread's CPU at the end is its last reading up to b: one that
	// ended in the window (or as the JVM exits, before b) is gone from b.
	latest := map[int]float64{}
	for _, sm := range samples[first : last+1] {
		for tid, cpu := range sm.threads {
			latest[tid] = cpu
		}
	}
	for tid, end := range latest {
		w.Busiest = max(w.Busiest, end-a.threads[tid]) // a thread born in the window started at 0
	}
	return w, true
}

// stampedWriter keeps a tool's output and the time each write arrived, so
// the time a result line was printed is known.
type stampedWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	stamps []stamp
}

type stamp struct {
	end int // offset just past the write
	at  time.Time
}

func (w *stampedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, _ := w.buf.Write(p) // bytes.Buffer's Write never fails
	w.stamps = append(w.stamps, stamp{end: w.buf.Len(), at: time.Now()})
	return n, nil
}

func (w *stampedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// printedAt is when the byte at offset off arrived; false if it has not.
func (w *stampedWriter) printedAt(off int) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.stamps {
		if off < s.end {
			return s.at, true
		}
	}
	return time.Time{}, false
}
