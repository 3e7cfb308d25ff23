package e2e

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/internal/testpy"
	"github.com/tributary-io/tributary/node"
)

const writerPassword = "writer-secret-pw"

// httpsNode starts a node whose Kafka listener takes PLAIN (admin, a super
// user; plainbob), SCRAM and OAUTHBEARER, with http_auth required (readers
// "*", writers User:writer, a SCRAM user it adds) and TLS on the
// registry, catalog and admin (client certificates of ca verified when
// given). It returns the node, the CA and the CA's client trust.
func httpsNode(t *testing.T, idp *testIdP) (*node.Node, *testCA) {
	t.Helper()
	ca := newTestCA(t, "http-ca")
	chain, key := ca.issue(t, "tributary-http", true)
	dir := t.TempDir()
	tlsCfg := &config.ListenerTLS{
		CertChain: config.FileSource(writePEM(t, dir, "s.crt", chain)), PrivateKey: config.FileSource(writePEM(t, dir, "s.key", key)),
		ClientCA: config.FileSource(writePEM(t, dir, "ca.crt", ca.pem)),
	}
	cfg := oauthConfig(t, idp, true)
	cfg.Admin.TLS, cfg.Registry.TLS, cfg.Catalog.TLS = tlsCfg, tlsCfg, tlsCfg
	cfg.HTTPAuth.Required = true
	cfg.HTTPAuth.Writers = []string{"User:writer"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	n := startNode(t, cfg, node.Hooks{})
	addScramUser(t, kadm.NewClient(authClient(t, n.KafkaAddr(), plainOpt("admin", adminPassword))), "writer", writerPassword, kadm.ScramSha512)
	return n, ca
}

// httpCall is one request; auth sets the Authorization header ("" none).
type httpCall struct {
	method, url, auth, body string
}

func (c httpCall) do(t *testing.T, cl *http.Client) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctxTimeout(t, 20*time.Second), c.method, c.url, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func basic(user, pass string) string {
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}

// catalogToken gets a token from the catalog's OAuth2 endpoint with client
// credentials; "" and the status when refused.
func catalogToken(t *testing.T, cl *http.Client, catURL, id, secret string) (string, int) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "scope": {"catalog"}}
	resp, err := cl.PostForm(catURL+"/v1/oauth/tokens", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		return "", resp.StatusCode
	}
	return out.AccessToken, resp.StatusCode
}

// TestHTTPAuthRolesOverTLS: the registry, catalog and admin over HTTPS
// with http_auth. Without credentials 401; with wrong ones 401; readers
// (PLAIN plainbob by basic, carol by a JWT from the OAUTHBEARER key set,
// a client certificate's CN) may read and get 403 on writes; the SCRAM
// user writer (basic, or a catalog token from client credentials)
// registers schemas and creates namespaces but gets 403 on compatibility
// changes, deletes and drops, which the PLAIN super user admin may do;
// /-/status and /metrics stay open; a plaintext client on the HTTPS port
// gets no answer.
func TestHTTPAuthRolesOverTLS(t *testing.T) {
	idp := newTestIdP(t, "k1")
	n, ca := httpsNode(t, idp)
	reg, cat, adm := "https://"+n.RegistryAddr(), "https://"+n.CatalogAddr(), "https://"+n.AdminAddr()
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: clientTLS(t, ca, nil, nil)}}
	certChain, certKey := ca.issue(t, "plainbob", false)
	certCl := &http.Client{Transport: &http.Transport{TLSClientConfig: clientTLS(t, ca, certChain, certKey)}}

	bob, writer, admin := basic("plainbob", "bob-secret-pw"), basic("writer", writerPassword), basic("admin", adminPassword)
	carol := "Bearer " + idp.token(t, "carol", testAudience, testIssuer, time.Hour)
	expired := "Bearer " + idp.token(t, "carol", testAudience, testIssuer, -time.Minute)
	schema := `{"schemaType":"PROTOBUF","schema":"syntax = \"proto3\"; message A { int32 x = 1; }"}`
	writerTok, code := catalogToken(t, cl, cat, "writer", writerPassword)
	if writerTok == "" {
		t.Fatalf("catalog token for writer's password: %d", code)
	}
	bobTok, _ := catalogToken(t, cl, cat, "plainbob", "bob-secret-pw")
	if _, code := catalogToken(t, cl, cat, "writer", "wrong"); code != http.StatusUnauthorized {
		t.Errorf("catalog token with a wrong secret: %d, want 401", code)
	}

	for _, c := range []struct {
		call httpCall
		cl   *http.Client
		want int
	}{
		{httpCall{"GET", reg + "/subjects", "", ""}, cl, 401},
		{httpCall{"GET", reg + "/subjects", basic("plainbob", "wrong"), ""}, cl, 401},
		{httpCall{"GET", reg + "/subjects", basic("nobody", "x"), ""}, cl, 401},
		{httpCall{"GET", reg + "/subjects", expired, ""}, cl, 401},
		{httpCall{"GET", reg + "/subjects", bob, ""}, cl, 200},
		{httpCall{"GET", reg + "/subjects", carol, ""}, cl, 200},
		{httpCall{"GET", reg + "/subjects", "", ""}, certCl, 200},
		{httpCall{"POST", reg + "/subjects/orders-value/versions", bob, schema}, cl, 403},
		{httpCall{"POST", reg + "/subjects/orders-value/versions", carol, schema}, cl, 403},
		{httpCall{"POST", reg + "/subjects/orders-value/versions", writer, schema}, cl, 200},
		{httpCall{"POST", reg + "/subjects/orders-value", bob, schema}, cl, 200}, // a lookup is a read
		{httpCall{"PUT", reg + "/config/orders-value", writer, `{"compatibility":"NONE"}`}, cl, 403},
		{httpCall{"PUT", reg + "/config/orders-value", admin, `{"compatibility":"NONE"}`}, cl, 200},
		{httpCall{"DELETE", reg + "/subjects/orders-value", writer, ""}, cl, 403},
		{httpCall{"DELETE", reg + "/subjects/orders-value", admin, ""}, cl, 200},

		{httpCall{"GET", cat + "/v1/namespaces", "", ""}, cl, 401},
		{httpCall{"GET", cat + "/v1/namespaces", "Bearer tbc1.forged.sig", ""}, cl, 401},
		{httpCall{"GET", cat + "/v1/namespaces", "Bearer " + bobTok, ""}, cl, 200},
		{httpCall{"GET", cat + "/v1/namespaces", carol, ""}, cl, 200},
		{httpCall{"POST", cat + "/v1/namespaces", "Bearer " + bobTok, `{"namespace":["shop"]}`}, cl, 403},
		{httpCall{"POST", cat + "/v1/namespaces", "Bearer " + writerTok, `{"namespace":["shop"]}`}, cl, 200},
		{httpCall{"DELETE", cat + "/v1/namespaces/shop", "Bearer " + writerTok, ""}, cl, 403},
		{httpCall{"DELETE", cat + "/v1/namespaces/shop", admin, ""}, cl, 204},

		{httpCall{"GET", adm + "/-/status", "", ""}, cl, 200},
		{httpCall{"GET", adm + "/metrics", "", ""}, cl, 200},
		{httpCall{"GET", adm + "/-/tables", "", ""}, cl, 401},
		{httpCall{"GET", adm + "/-/tables", bob, ""}, cl, 200},
		{httpCall{"GET", adm + "/-/tables", "", ""}, certCl, 200},
	} {
		if got, body := c.call.do(t, c.cl); got != c.want {
			t.Errorf("%s %s (auth %.12q): %d %s, want %d", c.call.method, c.call.url, c.call.auth, got, body, c.want)
		}
	}

	// Nothing secret in the answers or /metrics.
	_, metrics := httpCall{"GET", adm + "/metrics", "", ""}.do(t, cl)
	for _, s := range []string{adminPassword, writerPassword, "bob-secret-pw", writerTok} {
		if strings.Contains(metrics, s) {
			t.Errorf("/metrics shows a secret")
		}
	}

	// A plaintext client on the HTTPS port gets an error, not an answer.
	if resp, err := http.Get("http://" + n.RegistryAddr() + "/subjects"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest { // Go's TLS server answers a plaintext request "400 Client sent an HTTP request to an HTTPS server"
			t.Errorf("plaintext GET on the HTTPS registry: %d", resp.StatusCode)
		}
	}
	// A certificate from another CA fails the handshake.
	other := newTestCA(t, "other-ca")
	oc, ok := other.issue(t, "plainbob", false)
	otherTLS := clientTLS(t, ca, oc, ok)
	forced := otherTLS.Certificates[0]
	otherTLS.Certificates = nil // Go sends only certificates of the CAs the server names; send it anyway
	otherTLS.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &forced, nil }
	otherCl := &http.Client{Transport: &http.Transport{TLSClientConfig: otherTLS}}
	req, _ := http.NewRequest(http.MethodGet, adm+"/-/tables", nil)
	if resp, err := otherCl.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("client certificate from another CA: %d, want a failed handshake", resp.StatusCode)
	} else if !strings.Contains(err.Error(), "certificate") && !errors.Is(err, io.EOF) {
		t.Errorf("client certificate from another CA: %v, want a bad-certificate alert", err)
	}
	if got, _ := (httpCall{"GET", adm + "/-/tables", bob, ""}).do(t, cl); got != 200 {
		t.Errorf("after the refused handshakes, a reader gets %d", got)
	}
}

// TestCurlBasicAuthRegistry: curl with basic auth over HTTPS registers a
// schema as the writer and lists it as a reader; without -u it gets 401.
func TestCurlBasicAuthRegistry(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no curl on PATH with CI=%s (.ci/run installs it)", os.Getenv("CI"))
		}
		t.Skip("no curl on PATH (Debian: apt-get install curl); skipped outside CI")
	}
	idp := newTestIdP(t, "k1")
	n, ca := httpsNode(t, idp)
	caFile := writePEM(t, t.TempDir(), "ca.crt", ca.pem)
	reg := "https://" + n.RegistryAddr()
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(curl, append([]string{"-sS", "--cacert", caFile, "-w", "\n%{http_code}"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if out := run(reg + "/subjects"); !strings.HasSuffix(out, "\n401") {
		t.Errorf("curl without -u: %q, want 401", out)
	}
	if out := run("-u", "writer:"+writerPassword, "-XPOST", "-H", "Content-Type: application/vnd.schemaregistry.v1+json",
		"--data", `{"schemaType":"PROTOBUF","schema":"syntax = \"proto3\"; message B { string s = 1; }"}`,
		reg+"/subjects/curl-value/versions"); !strings.HasSuffix(out, "\n200") {
		t.Errorf("curl register as writer: %q", out)
	}
	if out := run("-u", "plainbob:bob-secret-pw", reg+"/subjects"); !strings.HasSuffix(out, "\n200") || !strings.Contains(out, "curl-value") {
		t.Errorf("curl list as plainbob: %q", out)
	}
	if out := run("-u", "plainbob:bob-secret-pw", "-XDELETE", reg+"/subjects/curl-value"); !strings.HasSuffix(out, "\n403") {
		t.Errorf("curl delete as plainbob: %q, want 403", out)
	}
}

// TestPyIcebergOAuth2OverTLS: PyIceberg (from PyPI) gets tokens from the
// catalog's OAuth2 endpoint with the Kafka listener's users as client
// credentials, over HTTPS: the SCRAM writer creates a namespace and a
// table and appends 3 rows it reads back; the PLAIN reader lists the table
// and is refused (403, ForbiddenError) creating a namespace; a wrong
// secret is refused.
func TestPyIcebergOAuth2OverTLS(t *testing.T) {
	python := testpy.PyIceberg(t)
	idp := newTestIdP(t, "k1")
	n, ca := httpsNode(t, idp)
	cmd := exec.Command(python, filepath.Join("testdata", "pyiceberg_oauth.py"),
		"https://"+n.CatalogAddr(), "writer:"+writerPassword, "plainbob:bob-secret-pw")
	cmd.Env = append(os.Environ(), "REQUESTS_CA_BUNDLE="+writePEM(t, t.TempDir(), "ca.crt", ca.pem))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pyiceberg_oauth.py: %v\n%s", err, stderr.String())
	}
	var got struct {
		Rows         int      `json:"rows"`
		ReaderTables []string `json:"reader_tables"`
		ReaderCreate string   `json:"reader_create"`
		BadSecret    string   `json:"bad_secret"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("pyiceberg_oauth.py printed %s: %v", out, err)
	}
	if got.Rows != 3 || len(got.ReaderTables) != 1 || got.ReaderTables[0] != "pyoauth.events" ||
		got.ReaderCreate != "ForbiddenError" || got.BadSecret == "listed" {
		t.Fatalf("PyIceberg over HTTPS with OAuth2: %+v", got)
	}
}
