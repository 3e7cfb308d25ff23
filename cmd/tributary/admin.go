package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tributary-io/tributary/ingest"
)

const adminUsage = `usage: tributary admin <command> [flags]

commands:
  tables [--admin-addr HOST:PORT] [--json]
           show each Iceberg topic: table, committed offsets, lag, last error

tributary admin <command> --help prints a command's flags.
`

// adminCmd runs `tributary admin <what>` against a running broker's admin
// server. Only `tables` for now: GET /-/tables, printed as a table (or the
// JSON with --json).
func adminCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "tables":
			return adminTables(ctx, args[1:], stdout, stderr)
		case "help", "-h", "-help", "--help":
			_, err := fmt.Fprint(stdout, adminUsage)
			return err
		}
	}
	_, _ = fmt.Fprint(stderr, adminUsage) // the error is returned; a failed write to stderr has nowhere to go
	return errors.New("usage: tributary admin tables [--admin-addr HOST:PORT] [--json]")
}

func adminTables(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin tables", "[--admin-addr HOST:PORT] [--json]\n\nshows each Iceberg topic of a running broker: table, committed offsets, lag, last error")
	addr := fs.String("admin-addr", "127.0.0.1:9089", "the broker's admin address")
	asJSON := fs.Bool("json", false, "print the JSON as served")
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("admin tables: unexpected argument %q", fs.Arg(0))
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+*addr+"/-/tables", nil)
	if err != nil {
		return err
	}
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("get /-/tables: %w", err)
	}
	defer func() { _ = rsp.Body.Close() }() // read to the end below; a close error adds nothing
	body, err := io.ReadAll(rsp.Body)
	if err != nil {
		return err
	}
	if rsp.StatusCode != http.StatusOK {
		return fmt.Errorf("get /-/tables: %s: %s", rsp.Status, body)
	}
	if *asJSON {
		_, err := stdout.Write(body)
		return err
	}
	var out struct {
		Tables []ingest.TableStatus `json:"tables"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return fmt.Errorf("decode /-/tables: %w", err)
	}
	return printTables(stdout, out.Tables)
}

func printTables(w io.Writer, ts []ingest.TableStatus) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	// Every line has tab-separated cells, so tabwriter only buffers them
	// (it writes through to w early only after a line with no tab); the
	// one write to w is Flush's, whose error is returned.
	_, _ = fmt.Fprintln(tw, "TOPIC\tCATALOG\tTABLE\tCOMMITTER\tCOMMITTED OFFSETS\tLAG RECORDS\tLAG SECONDS\tLAST COMMIT\tLAST ERROR")
	for _, t := range ts {
		parts := make([]int, 0, len(t.Committed))
		for p := range t.Committed {
			parts = append(parts, int(p))
		}
		sort.Ints(parts)
		offs := make([]string, len(parts))
		for i, p := range parts {
			offs[i] = fmt.Sprintf("%d:%d", p, t.Committed[int32(p)])
		}
		last := "-"
		if !t.LastCommit.IsZero() {
			last = t.LastCommit.Format(time.RFC3339)
		}
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\t%d\t%.1f\t%s\t%s\n", t.Topic, t.Catalog, t.Table, t.HoldsLease,
			strings.Join(offs, ","), t.LagRecords, t.LagSeconds, last, t.LastError)
	}
	return tw.Flush()
}
