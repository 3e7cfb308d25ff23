package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	icecatalog "github.com/apache/iceberg-go/catalog"
	icetable "github.com/apache/iceberg-go/table"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/iceberg"
	"github.com/tributary-io/tributary/ingest"
	"github.com/tributary-io/tributary/maintenance"
	"github.com/tributary-io/tributary/topicconfig"
)

// compactFlags are compact's flags.
type compactFlags struct {
	config, catalog, catalogURL string
	tables                      []string
	all                         bool
	targetSize                  config.ByteSize
	dryRun, removeOrphans       bool
	noExpire                    bool
	expireOlderThan             time.Duration
	thinAfter, thinInterval     time.Duration
	noThin                      bool
	orphansOlderThan            time.Duration
	retention                   time.Duration
}

func parseCompactFlags(args []string, stdout, stderr io.Writer) (compactFlags, error) {
	f := compactFlags{catalog: config.LocalCatalogName}
	fs := newFlagSet("compact", "(--table NS.TABLE ... | --all) [flags]\n\none maintenance pass over Iceberg tables: retention, compaction, snapshot expiry, orphan removal")
	fs.StringVar(&f.config, "config", "", "config file: its iceberg catalogs, and catalog.listen_address / catalog.clients for the built-in one")
	fs.StringVar(&f.catalog, "catalog", f.catalog, `catalog name: "local" (the built-in one) or one of the config's iceberg list`)
	fs.StringVar(&f.catalogURL, "catalog-url", "", "URL of the built-in catalog (default http://<catalog.listen_address>, else http://127.0.0.1:8181)")
	fs.Func("table", "namespace.table to maintain (repeat, or comma-separate)", func(s string) error {
		for _, t := range strings.Split(s, ",") {
			if t = strings.TrimSpace(t); t != "" {
				f.tables = append(f.tables, t)
			}
		}
		return nil
	})
	fs.BoolVar(&f.all, "all", false, "every table of the catalog laid out as Tributary writes topics")
	fs.Func("target-file-size", "output file size (e.g. 512MiB; default: the table's write.target-file-size-bytes)", func(s string) error {
		b, err := config.ParseByteSize(s)
		f.targetSize = b
		return err
	})
	fs.BoolVar(&f.dryRun, "dry-run", false, "print the plan; change nothing")
	fs.BoolVar(&f.noExpire, "no-expire", false, "skip snapshot expiry")
	fs.DurationVar(&f.expireOlderThan, "expire-older-than", 0, "expire snapshots older than this (default: the table's history.expire.max-snapshot-age-ms, else 24h)")
	fs.DurationVar(&f.thinAfter, "thin-after", 0, "keep every snapshot younger than this, thin older ones (default: the table's tributary.history.thin-after-ms, else 5m)")
	fs.DurationVar(&f.thinInterval, "thin-interval", 0, "before --thin-after, keep the newest snapshot of each such interval (default: the table's tributary.history.thin-interval-ms, else 15m)")
	fs.BoolVar(&f.noThin, "no-thin", false, "keep every snapshot expiry keeps (no history thinning)")
	fs.DurationVar(&f.retention, "retention", 0, "also drop the table partitions whose rows are all older than this (default: off)")
	fs.BoolVar(&f.removeOrphans, "remove-orphans", false, "also delete files under the table no metadata references")
	fs.DurationVar(&f.orphansOlderThan, "orphans-older-than", maintenance.DefaultOrphanAge, "only orphans older than this are deleted (a younger file may belong to a commit in flight)")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("compact: unexpected argument %q", fs.Arg(0))
	}
	if len(f.tables) == 0 && !f.all {
		return f, errors.New("compact: give --table (one or more) or --all")
	}
	if f.noThin && (f.thinAfter != 0 || f.thinInterval != 0) {
		return f, errors.New("compact: --no-thin with --thin-after or --thin-interval")
	}
	if f.orphansOlderThan < 0 || f.expireOlderThan < 0 || f.targetSize < 0 || f.retention < 0 || f.thinAfter < 0 || f.thinInterval < 0 {
		return f, errors.New("compact: durations and sizes must not be negative")
	}
	return f, nil
}

// options are the maintenance options the flags ask for.
func (f compactFlags) options(log *slog.Logger) maintenance.Options {
	opts := maintenance.Options{
		TargetFileSize: int64(f.targetSize), DryRun: f.dryRun, NoExpire: f.noExpire, ExpireOlderThan: f.expireOlderThan,
		ThinAfter: f.thinAfter, ThinInterval: f.thinInterval,
		RemoveOrphans: f.removeOrphans, OrphanOlderThan: f.orphansOlderThan, Retention: f.retention, Logger: log,
	}
	if f.noThin {
		opts.ThinInterval = -1 // maintenance: a negative interval turns thinning off
	}
	if f.orphansOlderThan == 0 {
		opts.OrphanOlderThan = -1 // no window, as asked
	}
	return opts
}

func compactCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseCompactFlags(args, stdout, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cat, err := openCatalog(ctx, f)
	if err != nil {
		return err
	}
	idents, err := compactTables(ctx, cat, f)
	if err != nil {
		return err
	}
	opts := f.options(log)
	if isTerminal(stderr) {
		opts.Progress = progressBar(stderr)
	}
	start := time.Now()
	var total maintenance.Report
	var failed []string
	for _, ident := range idents {
		name := strings.Join(ident, ".")
		log.Info("compact: table", "table", name, "dry_run", f.dryRun)
		rep, err := maintenance.Run(ctx, cat, ident, opts)
		if f.dryRun {
			if perr := printPlan(stdout, rep); perr != nil {
				return fmt.Errorf("compact: write plan: %w", perr)
			}
		}
		if err != nil {
			log.Error("compact: table failed", "table", name, "err", err)
			failed = append(failed, name)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		if _, err := fmt.Fprintln(stdout, rep.String()); err != nil {
			return fmt.Errorf("compact: write report: %w", err)
		}
		addReport(&total, rep)
	}
	_, err = fmt.Fprintf(stdout, "summary: %d tables, files %d→%d, bytes %d→%d, %d files rewritten into %d, %d dropped by retention, snapshots expired %d, orphans removed %d (%d B), %d failed, took %s\n",
		len(idents)-len(failed), total.Before.DataFiles, total.After.DataFiles, total.Before.DataBytes, total.After.DataBytes,
		total.FilesRewritten, total.FilesWritten, total.FilesDropped, total.SnapshotsExpired, total.OrphansRemoved, total.OrphanBytes, len(failed),
		time.Since(start).Round(time.Millisecond))
	if err != nil {
		return fmt.Errorf("compact: write summary: %w", err)
	}
	if len(failed) > 0 {
		return fmt.Errorf("compact: %d of %d tables failed: %s", len(failed), len(idents), strings.Join(failed, ", "))
	}
	return nil
}

func addReport(total *maintenance.Report, r maintenance.Report) {
	total.Before.DataFiles += r.Before.DataFiles
	total.Before.DataBytes += r.Before.DataBytes
	total.After.DataFiles += r.After.DataFiles
	total.After.DataBytes += r.After.DataBytes
	total.FilesRewritten += r.FilesRewritten
	total.FilesWritten += r.FilesWritten
	total.FilesDropped += r.FilesDropped
	total.SnapshotsExpired += r.SnapshotsExpired + r.SnapshotsThinned
	total.OrphansRemoved += r.OrphansRemoved
	total.OrphanBytes += r.OrphanBytes
}

// printPlan writes a dry run's plan; the error is the first write's.
func printPlan(w io.Writer, r maintenance.Report) error {
	if _, err := fmt.Fprintf(w, "plan %s: %d data files (%d B), %d snapshots\n", r.Table, r.Before.DataFiles, r.Before.DataBytes, r.Before.Snapshots); err != nil {
		return err
	}
	for _, g := range r.Plan {
		if _, err := fmt.Fprintf(w, "  rewrite partition %s: %d files, %d B → ~%d files\n", g.Partition, g.Files, g.Bytes, g.EstOutput); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "  drop %d files by retention; expire %d snapshots (%d of them thinned); %d orphan files (%d B) found\n", r.FilesDropped, r.SnapshotsExpired+r.SnapshotsThinned, r.SnapshotsThinned, r.OrphansFound, r.OrphanBytes)
	return err
}

// openCatalog opens the catalog --catalog names, as ingest does.
func openCatalog(ctx context.Context, f compactFlags) (icecatalog.Catalog, error) {
	cfg := config.Default()
	if f.config != "" {
		var err error
		if cfg, err = config.Load(f.config); err != nil {
			return nil, err
		}
	}
	u := f.catalogURL
	if u == "" {
		addr := cfg.Catalog.ListenAddress
		if addr == "" {
			addr = config.DefaultCatalogAddr
		}
		u = "http://" + addr
	}
	cats := &ingest.Catalogs{LocalURL: strings.TrimSuffix(u, "/"), External: cfg.Iceberg}
	if len(cfg.Catalog.Clients) > 0 {
		c := cfg.Catalog.Clients[0]
		sec, err := c.ClientSecret.Resolve()
		if err != nil {
			return nil, fmt.Errorf("catalog.clients[0].client_secret: %w", err)
		}
		cats.LocalCredential = c.ClientID + ":" + string(sec)
	}
	return cats.Catalog(ctx, f.catalog)
}

// compactTables resolves --table and --all into identifiers.
func compactTables(ctx context.Context, cat icecatalog.Catalog, f compactFlags) ([]icetable.Identifier, error) {
	var out []icetable.Identifier
	for _, s := range f.tables {
		id, err := topicconfig.ParseTable(s)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	if !f.all {
		return out, nil
	}
	all, err := tributaryTables(ctx, cat, nil)
	if err != nil {
		return nil, err
	}
	return append(out, all...), nil
}

// tributaryTables lists the tables under namespace parent (recursively)
// that have the layout ingest writes.
func tributaryTables(ctx context.Context, cat icecatalog.Catalog, parent icetable.Identifier) ([]icetable.Identifier, error) {
	nss, err := cat.ListNamespaces(ctx, parent)
	if err != nil {
		return nil, fmt.Errorf("list namespaces: %w", err)
	}
	var out []icetable.Identifier
	for _, ns := range nss {
		for id, err := range cat.ListTables(ctx, ns) {
			if err != nil {
				return nil, fmt.Errorf("list tables of %s: %w", strings.Join(ns, "."), err)
			}
			tbl, err := cat.LoadTable(ctx, id)
			if err != nil {
				return nil, fmt.Errorf("load %s: %w", strings.Join(id, "."), err)
			}
			if _, ok := tbl.Schema().FindFieldByName(iceberg.ColKafka + "." + iceberg.ColOffset); ok {
				out = append(out, id)
			}
		}
		sub, err := tributaryTables(ctx, cat, ns)
		if err != nil {
			return nil, err
		}
		out = append(out, sub...)
	}
	return out, nil
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressBar draws files and bytes done, the rate and the time left on
// one terminal line.
func progressBar(w io.Writer) func(maintenance.Progress) {
	start := time.Now()
	return func(p maintenance.Progress) {
		el := time.Since(start).Seconds()
		rate := float64(p.BytesDone) / max(el, 1e-3)
		left := time.Duration(float64(p.BytesTotal-p.BytesDone) / max(rate, 1) * float64(time.Second))
		frac := float64(p.BytesDone) / float64(max(p.BytesTotal, 1))
		const width = 30
		bar := strings.Repeat("=", int(frac*width)) + strings.Repeat(" ", width-int(frac*width))
		// The bar is decoration on a terminal's stderr: a failed write
		// loses a frame of it and nothing else, so it is not checked.
		_, _ = fmt.Fprintf(w, "\r%s [%s] %d/%d files %.1f/%.1f MiB %.1f MiB/s %s left ", p.Table, bar, p.FilesDone, p.FilesTotal,
			float64(p.BytesDone)/(1<<20), float64(p.BytesTotal)/(1<<20), rate/(1<<20), left.Round(time.Second))
		if p.BytesDone >= p.BytesTotal {
			_, _ = fmt.Fprintln(w) // as above
		}
	}
}
