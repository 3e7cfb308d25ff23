// Command tributary is the one binary: `tributary serve` runs a broker.
// Flags are parsed here and nowhere else; a flag overrides the config file.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/tributary-io/tributary/internal/logging"
)

const usage = `usage: tributary <command> [flags]

commands:
  serve    run a broker (Kafka on 127.0.0.1:9092, admin on 127.0.0.1:9089)
  version  print the version, commit and Go version (also: --version)
  admin    topic create|alter|describe|list|delete, group list|describe|reset-offsets,
           schema register|list|get, table list|describe (tributary admin --help)
  compact  (--table NS.TABLE ... | --all) [--config FILE] [--catalog NAME] [--catalog-url URL]
           [--target-file-size SIZE] [--dry-run] [--expire-older-than DUR] [--no-expire]
           [--remove-orphans [--orphans-older-than DUR]] [--retention DUR]
           one maintenance pass over Iceberg tables: retention, compaction, snapshot
           expiry, orphan removal (what serve runs on its own), then a summary

tributary <command> --help prints a command's flags.
`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tributary:", err)
		os.Exit(1)
	}
}

// run runs the command args name. Help asked for (help, -h, --help, on
// any command) prints usage to stdout and succeeds.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, stdout, stderr)
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		_, _ = fmt.Fprint(stderr, usage) // stderr: nowhere better to report a failure to write to it
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return serveCmd(ctx, args[1:], stdout, stderr)
	case "admin":
		return adminCmd(ctx, args[1:], stdout, stderr)
	case "compact":
		return compactCmd(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		return versionCmd(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		_, err := fmt.Fprint(stdout, usage)
		return err
	default:
		_, _ = fmt.Fprint(stderr, usage) // as above
		return fmt.Errorf("unknown command %q", args[0])
	}
}

// serveFlags are serve's flags; empty means "not given, keep the file's".
type serveFlags struct {
	config, dataDir, kafkaAddr, adminAddr, registryAddr, catalogAddr string
}

func parseServeFlags(args []string, stdout, stderr io.Writer) (serveFlags, error) {
	var f serveFlags
	fs := newFlagSet("serve", "[flags]\n\nruns a broker; a flag overrides the config file's value")
	fs.StringVar(&f.config, "config", "", "bufstream.yaml-style config file (optional)")
	fs.StringVar(&f.dataDir, "data-dir", "", "directory for the embedded stores (default ./data)")
	fs.StringVar(&f.kafkaAddr, "kafka-addr", "", "Kafka listen address, also advertised (default 127.0.0.1:9092)")
	fs.StringVar(&f.adminAddr, "admin-addr", "", "admin HTTP address: /-/status, /metrics (default 127.0.0.1:9089)")
	fs.StringVar(&f.registryAddr, "registry-addr", "", "built-in schema registry (Confluent API) address (default 127.0.0.1:8081)")
	fs.StringVar(&f.catalogAddr, "catalog-addr", "", "built-in Iceberg REST catalog address (default 127.0.0.1:8181)")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	return f, nil
}

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseServeFlags(args, stdout, stderr)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(f)
	if err != nil {
		return err
	}
	log, err := logging.New(cfg.Logging, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, cfg, log)
}
