package e2e

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/tributary-io/tributary/config"
	"github.com/tributary-io/tributary/node"
)

// securityCheck runs interop/java's SecurityCheck against addr with the
// client properties props, expecting "ok", "auth-failure" or
// "login-failure"; it returns the check's OK line and fails t otherwise.
type securityCheck func(t *testing.T, addr, props, topic, expect string) string

// javaSecurityCheck builds interop/java once for the test and its subtests.
func javaSecurityCheck(t *testing.T) securityCheck {
	t.Helper()
	mvn, java := javaTools(t)
	project, err := filepath.Abs(filepath.Join("..", "interop", "java"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxTimeout(t, 5*time.Minute)
	build := t.TempDir()
	runLogged(t, ctx, "mvn compile", exec.CommandContext(ctx, mvn,
		"-B", "-ntp", "-q", "-f", filepath.Join(project, "pom.xml"), "-Dinterop.buildDir="+build, "compile"))
	cp, err := os.ReadFile(filepath.Join(build, "classpath.txt"))
	if err != nil {
		t.Fatalf("maven wrote no classpath: %v", err)
	}
	classpath := filepath.Join(build, "classes") + string(os.PathListSeparator) + strings.TrimSpace(string(cp))
	return func(t *testing.T, addr, props, topic, expect string) string {
		t.Helper()
		out := runLogged(t, ctx, "java SecurityCheck "+expect, exec.CommandContext(ctx, java, "-cp", classpath,
			"io.tributary.interop.SecurityCheck", addr, props, topic, "--expect", expect))
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "OK ") {
				return line
			}
		}
		t.Fatalf("SecurityCheck exited 0 without its OK line:\n%s", out)
		return ""
	}
}

// writeProps writes a Java client properties file.
func writeProps(t *testing.T, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "client.properties")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestJavaOAuthBearerAndMTLS (one Maven build for all): Kafka's Java
// client (kafka-clients 4.4)
// over SASL_SSL with OAUTHBEARER, its token a JWT the test signs and the
// broker checks against a JWKS file (handed to the client by a login
// callback handler compiled with the check), produces and consumes as
// User:carol, the one principal ACLs allow besides admin; with an expired
// token it gets SaslAuthenticationException. Over SSL with a client
// certificate (mTLS, no SASL) it does the same as User:<certificate CN>.
// Then javaCatalogTokens: Java's own token-endpoint login against the
// catalog.
func TestJavaOAuthBearerAndMTLS(t *testing.T) {
	check := javaSecurityCheck(t)
	t.Run("CatalogTokens", func(t *testing.T) { javaCatalogTokens(t, check) })
	idp := newTestIdP(t, "k1")
	ca := newTestCA(t, "java-ca")
	chain, key := ca.issue(t, "tributary-broker", true)
	dir := t.TempDir()
	caFile := writePEM(t, dir, "ca.pem", ca.pem)
	serverTLS := &config.ListenerTLS{
		CertChain: config.FileSource(writePEM(t, dir, "s.crt", chain)), PrivateKey: config.FileSource(writePEM(t, dir, "s.key", key))}

	cfg := oauthConfig(t, idp, true)
	cfg.Kafka.Authorization.SuperUsers = append(cfg.Kafka.Authorization.SuperUsers, "User:carol")
	cfg.Kafka.Listeners[0].TLS = serverTLS
	oauthNode := startNode(t, cfg, node.Hooks{})
	tokenFile := writePEM(t, dir, "token.jwt", []byte(idp.token(t, "carol", testAudience, testIssuer, time.Hour)))
	expiredFile := writePEM(t, dir, "expired.jwt", []byte(idp.token(t, "carol", testAudience, testIssuer, -time.Minute)))
	oauthProps := func(file string) string {
		return writeProps(t, "security.protocol=SASL_SSL", "sasl.mechanism=OAUTHBEARER",
			"sasl.login.callback.handler.class=io.tributary.interop.SecurityCheck$StaticTokenLogin",
			fmt.Sprintf(`sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required tokenFile="%s";`, file),
			"ssl.truststore.type=PEM", "ssl.truststore.location="+caFile)
	}
	t.Log(check(t, oauthNode.KafkaAddr(), oauthProps(tokenFile), "java-oauth", "ok"))
	t.Log(check(t, oauthNode.KafkaAddr(), oauthProps(expiredFile), "java-oauth", "auth-failure"))

	mcfg := testConfig(t, t.TempDir())
	mcfg.Kafka.Listeners[0].TLS = &config.ListenerTLS{CertChain: serverTLS.CertChain, PrivateKey: serverTLS.PrivateKey,
		ClientCA: config.FileSource(caFile)}
	mcfg.Kafka.Listeners[0].Authentication = &config.Authentication{MTLS: &config.MTLS{PrincipalSource: config.PrincipalSubjectCN}}
	mcfg.Kafka.Authorization = &config.Authorization{SuperUsers: []string{"User:java-client"}}
	mtlsNode := startNode(t, mcfg, node.Hooks{})
	cchain, ckey := ca.issue(t, "java-client", false)
	t.Log(check(t, mtlsNode.KafkaAddr(), writeProps(t, "security.protocol=SSL",
		"ssl.truststore.type=PEM", "ssl.truststore.location="+caFile,
		"ssl.keystore.type=PEM", "ssl.keystore.location="+writePEM(t, dir, "client.pem", append(pkcs8(t, ckey), cchain...))),
		"java-mtls", "ok"))
}

// pkcs8 re-encodes an EC key as PKCS#8 ("PRIVATE KEY"), the form Java's
// PEM key store reads.
func pkcs8(t *testing.T, ecPEM []byte) []byte {
	t.Helper()
	b, _ := pem.Decode(ecPEM)
	k, err := x509.ParseECPrivateKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// javaCatalogTokens: with http_auth on, the catalog's OAuth2 token endpoint
// issues JWTs the Kafka listener accepts for OAUTHBEARER, so Kafka's own
// OAuthBearerLoginCallbackHandler, given the endpoint and a SCRAM user's
// name and password as client credentials, logs in, produces and consumes
// as that user (User:writer, the one principal ACLs allow besides admin);
// a wrong secret fails the login.
func javaCatalogTokens(t *testing.T, check securityCheck) {
	idp := newTestIdP(t, "k1")
	cfg := oauthConfig(t, idp, true)
	cfg.Kafka.Authorization.SuperUsers = append(cfg.Kafka.Authorization.SuperUsers, "User:writer")
	cfg.HTTPAuth.Required = true
	n := startNode(t, cfg, node.Hooks{})
	addScramUser(t, kadm.NewClient(authClient(t, n.KafkaAddr(), plainOpt("admin", adminPassword))), "writer", writerPassword, kadm.ScramSha512)
	tokens := "http://" + n.CatalogAddr() + "/v1/oauth/tokens"
	props := func(secret string) string {
		return writeProps(t, "security.protocol=SASL_PLAINTEXT", "sasl.mechanism=OAUTHBEARER",
			"sasl.login.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
			"sasl.oauthbearer.token.endpoint.url="+tokens, "tributary.oauth.allowed.urls="+tokens,
			"sasl.oauthbearer.client.credentials.client.id=writer", "sasl.oauthbearer.client.credentials.client.secret="+secret,
			"sasl.oauthbearer.scope=kafka",
			"sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ;")
	}
	t.Log(check(t, n.KafkaAddr(), props(writerPassword), "java-catalog-token", "ok"))
	t.Log(check(t, n.KafkaAddr(), props("wrong"), "java-catalog-token", "login-failure"))
}
