package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"
)

func main() {
	o := defaultOptions()
	flag.IntVar(&o.Records, "records", o.Records, "records per full-speed produce run (and per consume run)")
	flag.IntVar(&o.Size, "size", o.Size, "record size in bytes")
	flag.IntVar(&o.Partitions, "partitions", o.Partitions, "partitions of each topic")
	flag.IntVar(&o.Warmup, "warmup", o.Warmup, "records produced to each target before the rounds, not measured (JIT, page cache)")
	flag.IntVar(&o.Rounds, "rounds", o.Rounds, "interleaved rounds (each target once per round)")
	flag.IntVar(&o.PacedRate, "paced-rate", o.PacedRate, "records/s of the paced latency run (0 skips it)")
	flag.DurationVar(&o.PacedFor, "paced-for", o.PacedFor, "length of the paced latency run")
	flag.DurationVar(&o.RunTimeout, "run-timeout", o.RunTimeout, "bound on each tool run")
	flag.DurationVar(&o.MaxTime, "max-time", o.MaxTime, "bound on the whole comparison")
	flag.StringVar(&o.Tributary, "tributary-bin", "", "tributary binary to start (empty: go build ./cmd/tributary)")
	flag.BoolVar(&o.Verbose, "v", false, "print each tool's output")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.MaxTime)
	defer cancel()
	res, err := compare(ctx, o, os.Stderr)
	if res != nil {
		if err != nil {
			fmt.Printf("STOPPED EARLY after %d complete round(s): %v\n", res.Completed, err)
		}
		res.print(os.Stdout)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "comparebench: %v\n", err)
		os.Exit(1)
	}
}

// options are the knobs of one comparison.
type options struct {
	Records    int
	Size       int
	Partitions int
	Rounds     int
	Warmup     int
	PacedRate  int
	PacedFor   time.Duration
	RunTimeout time.Duration
	MaxTime    time.Duration
	Tributary  string // binary; empty builds one
	Verbose    bool
}

// defaultOptions fit about ten minutes on this 2-core machine.
func defaultOptions() options {
	return options{
		Records:    100_000,
		Size:       1024,
		Partitions: 6,
		Rounds:     2,
		Warmup:     20_000,
		PacedRate:  20_000,
		PacedFor:   5 * time.Second,
		RunTimeout: 3 * time.Minute,
		MaxTime:    15 * time.Minute,
	}
}
