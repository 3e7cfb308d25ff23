//go:build unix

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// PlaywrightCoreVersion is the playwright-core (npm) the browser check
// drives Debian's chromium with.
const PlaywrightCoreVersion = "1.65.1"

// statusPageScript loads a page in headless chromium, prints its title,
// section headings and table cells as JSON, and saves a full-page
// screenshot. Arguments: playwright-core's directory, chromium, the URL,
// the screenshot's path.
const statusPageScript = `
const { chromium } = require(process.argv[2]);
(async () => {
  const browser = await chromium.launch({ executablePath: process.argv[3], headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  const resp = await page.goto(process.argv[4], { waitUntil: 'load' });
  const out = {
    status: resp.status(),
    title: await page.title(),
    sections: await page.$$eval('h2', hs => hs.map(h => h.textContent.trim())),
    rows: await page.$$eval('table tr', trs => trs.map(tr => Array.from(tr.cells).map(c => c.textContent.trim()))),
  };
  await page.screenshot({ path: process.argv[5], fullPage: true });
  console.log(JSON.stringify(out));
  await browser.close();
})().catch(e => { console.error(e); process.exit(1); });
`

// chromiumTools finds Debian's chromium and node with npm, skipping
// (failing under CI) without them, and returns chromium, node and the
// directory of playwright-core, installed from npm into the user cache
// dir when missing.
func chromiumTools(t *testing.T) (chromium, node, playwright string) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the browser check installs playwright-core from npm")
	}
	var missing []string
	for _, name := range []string{"chromium", "node", "npm"} {
		if _, err := exec.LookPath(name); err != nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		msg := strings.Join(missing, ", ") + " not found (Debian: apt-get install chromium nodejs npm)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	chromium, _ = exec.LookPath("chromium")
	node, _ = exec.LookPath("node")
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "tributary", "playwright-core-"+PlaywrightCoreVersion)
	playwright = filepath.Join(dir, "node_modules", "playwright-core")
	if _, err := os.Stat(filepath.Join(playwright, "package.json")); err == nil {
		return chromium, node, playwright
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--prefix", dir, "playwright-core@"+PlaywrightCoreVersion)
	cmd.Env = append(os.Environ(), "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install playwright-core@%s: %v\n%s", PlaywrightCoreVersion, err, out)
	}
	return chromium, node, playwright
}

// artifactsDir is where browser checks keep their screenshots:
// $TRIBUTARY_ARTIFACTS, else artifacts/ at the module root (gitignored).
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("TRIBUTARY_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "artifacts")
	}
	dir = filepath.Join(dir, "statuspage")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// TestStatusPageInChromium renders the status page in headless chromium
// (Debian's, driven by playwright-core from npm) and checks what a person
// would see: the five sections with their counts and the rows of the
// broker, topics, group (member and lag), Iceberg table and subject; the
// full-page screenshot is kept in artifacts/statuspage/.
func TestStatusPageInChromium(t *testing.T) {
	chromium, node, playwright := chromiumTools(t)
	n := statusPageNode(t)
	shot := filepath.Join(artifactsDir(t), "status.png")
	script := filepath.Join(t.TempDir(), "page.js")
	if err := os.WriteFile(script, []byte(statusPageScript), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := ctxTimeout(t, 2*time.Minute)
	var out struct {
		Status   int
		Title    string
		Sections []string
		Rows     [][]string
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var stdout, stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, node, script, playwright, chromium, "http://"+n.AdminAddr()+"/", shot)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium: %v\n%s%s", err, stdout.String(), stderr.String())
		}
		if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
			t.Fatalf("page script output: %v\n%s", err, stdout.String())
		}
		// Maintenance counts the table's files within its check interval.
		if r := rowOf(out.Rows, "shop.orders"); len(r) > 6 && r[6] != "-" || time.Now().After(deadline) {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	if out.Status != 200 || !strings.HasPrefix(out.Title, "Tributary status-test") {
		t.Errorf("status %d, title %q", out.Status, out.Title)
	}
	want := []string{"Brokers (1)", "Topics (2)", "Consumer groups (1)", "Iceberg tables (1)", "Schemas by subject (1)"}
	if !slices.Equal(out.Sections, want) {
		t.Errorf("sections %q, want %q", out.Sections, want)
	}
	for _, row := range [][]string{
		{"clicks", "1", "7"},
		{"orders", "1", "7"},
		{"dashboards", "classic", "Stable", "1", "3", "clicks: 3"},
		{"orders", "shop.orders", "local"},
		{"orders-value", "1", "1"},
	} {
		if !hasRow(out.Rows, row...) {
			t.Errorf("no row starting %q; rows:\n%q", row, out.Rows)
		}
	}
	table := rowOf(out.Rows, "shop.orders")
	if len(table) < 11 || !strings.HasSuffix(table[3], "s ago") || table[5] != "7" || !strings.Contains(table[6], "small") || table[10] != "" {
		t.Errorf("table row %q: want freshness, 7 rows, files and no error", table)
	}
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 10_000 {
		t.Fatalf("screenshot %s: %v", shot, err)
	}
	png, _ := os.ReadFile(shot)
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("screenshot %s is not a PNG", shot)
	}
	t.Logf("screenshot: %s", shot)
}

// hasRow reports whether a row starts with cells.
func hasRow(rows [][]string, cells ...string) bool {
	for _, r := range rows {
		if len(r) >= len(cells) && slices.Equal(r[:len(cells)], cells) {
			return true
		}
	}
	return false
}

// rowOf is the first row with a cell equal to cell.
func rowOf(rows [][]string, cell string) []string {
	for _, r := range rows {
		if slices.Contains(r, cell) {
			return r
		}
	}
	return nil
}
