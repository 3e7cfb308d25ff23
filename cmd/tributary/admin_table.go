package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tributary-io/tributary/ingest"
)

// adminTable is one entry of /-/tables: ingest's status with the table's
// maintenance status, kept as raw JSON (printed with --json only).
type adminTable struct {
	ingest.TableStatus
	Maintenance json.RawMessage `json:"maintenance,omitempty"`
}

// adminTableList runs `tributary admin table list` (and `admin tables`):
// GET /-/tables, printed as a table (or the JSON with --json).
func adminTableList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin table list", "[--admin-addr HOST:PORT] [--json]\n\nshows each Iceberg topic of a running broker: table, committed offsets, lag, last commit, last error")
	addr := fs.String("admin-addr", "127.0.0.1:9089", "the broker's admin address")
	asJSON := fs.Bool("json", false, "print the JSON as served")
	if _, err := parseAdmin(fs, args, 0, 0, stdout, stderr); err != nil {
		return err
	}
	body, ts, err := getTables(ctx, *addr)
	if err != nil {
		return err
	}
	if *asJSON {
		_, err := stdout.Write(body)
		return err
	}
	return printTables(stdout, ts)
}

// adminTableDescribe runs `tributary admin table describe NS.TABLE`: every
// field of the table's status, one per line, maintenance included.
func adminTableDescribe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin table describe", "NS.TABLE [--admin-addr HOST:PORT] [--json]\n\nshows one Iceberg table's ingest and maintenance status")
	addr := fs.String("admin-addr", "127.0.0.1:9089", "the broker's admin address")
	asJSON := fs.Bool("json", false, "print the table's JSON")
	pos, err := parseAdmin(fs, args, 1, 1, stdout, stderr)
	if err != nil {
		return err
	}
	_, ts, err := getTables(ctx, *addr)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if t.Table != pos[0] && t.Topic != pos[0] {
			continue
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(t)
		}
		return describeTable(stdout, t)
	}
	return fmt.Errorf("admin table describe: no Iceberg table or topic %q on this broker", pos[0])
}

func getTables(ctx context.Context, addr string) ([]byte, []adminTable, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	body, err := httpGet(ctx, "http://"+addr+"/-/tables")
	if err != nil {
		return nil, nil, err
	}
	var out struct {
		Tables []adminTable `json:"tables"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, nil, fmt.Errorf("decode /-/tables: %w", err)
	}
	return body, out.Tables, nil
}

// httpGet returns the body of a 200 answer to GET url.
func httpGet(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", url, err)
	}
	defer func() { _ = rsp.Body.Close() }() // read to the end below; a close error adds nothing
	body, err := io.ReadAll(rsp.Body)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", url, err)
	}
	if rsp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get %s: %s: %s", url, rsp.Status, body)
	}
	return body, nil
}

func printTables(w io.Writer, ts []adminTable) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	// Every line has tab-separated cells, so tabwriter only buffers them
	// (it writes through to w early only after a line with no tab); the
	// one write to w is Flush's, whose error is returned.
	_, _ = fmt.Fprintln(tw, "TOPIC\tCATALOG\tTABLE\tCOMMITTER\tCOMMITTED OFFSETS\tLAG RECORDS\tLAG SECONDS\tLAST COMMIT\tLAST ERROR")
	for _, t := range ts {
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\t%d\t%.1f\t%s\t%s\n", t.Topic, t.Catalog, t.Table, t.HoldsLease,
			offsetList(t.Committed), t.LagRecords, t.LagSeconds, lastCommit(t.LastCommit), t.LastError)
	}
	return tw.Flush()
}

func describeTable(w io.Writer, t adminTable) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	rows := [][2]string{
		{"topic", t.Topic}, {"catalog", t.Catalog}, {"table", t.Table},
		{"committer", fmt.Sprint(t.HoldsLease)},
		{"committed offsets", offsetList(t.Committed)},
		{"high watermarks", offsetList(t.HighWater)},
		{"lag records", fmt.Sprint(t.LagRecords)},
		{"lag seconds", fmt.Sprintf("%.1f", t.LagSeconds)},
		{"buffered records", fmt.Sprint(t.Buffered)},
		{"rows committed", fmt.Sprint(t.RowsCommitted)},
		{"commits", fmt.Sprint(t.Commits)},
		{"last commit", lastCommit(t.LastCommit)},
		{"last error", orDash(t.LastError)},
		{"maintenance", orDash(string(t.Maintenance))},
	}
	for _, r := range rows {
		_, _ = fmt.Fprintf(tw, "%s:\t%s\n", r[0], r[1]) // buffered, as in printTables
	}
	return tw.Flush()
}

func offsetList(m map[int32]int64) string {
	parts := make([]int, 0, len(m))
	for p := range m {
		parts = append(parts, int(p))
	}
	sort.Ints(parts)
	offs := make([]string, len(parts))
	for i, p := range parts {
		offs[i] = fmt.Sprintf("%d:%d", p, m[int32(p)])
	}
	return orDash(strings.Join(offs, ","))
}

func lastCommit(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
