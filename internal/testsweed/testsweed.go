// Package testsweed runs SeaweedFS (weed server: master, volume, filer and
// its S3 gateway) for tests that need an S3 service with STS: its S3 port
// answers STS AssumeRole too, minting session credentials that the S3
// gateway accepts (with X-Amz-Security-Token) and limits to the role's
// policies and the session policy. versitygw (internal/tests3) has no STS.
//
// Every port is a free 127.0.0.1 port picked at start (weed binds each one
// itself, gRPC ones included); telemetry, the Iceberg and Lance endpoints
// of the gateway are off, so nothing leaves the machine.
package testsweed

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tributary-io/tributary/internal/freeport"
)

// Version is the SeaweedFS commit these tests run (its Go module has no
// release tags); .ci/run builds it.
const Version = "v0.0.0-20261109003541-7506e5f91cd6"

// EnvBinary names the weed binary to run; default BinaryPath.
const EnvBinary = "TESTSWEED_WEED"

// BinaryPath is where .ci/run builds weed: ~/.cache/tributary/seaweedfs/weed.
func BinaryPath() string {
	if p := os.Getenv(EnvBinary); p != "" {
		return p
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "tributary", "seaweedfs", "weed")
}

// Server is a running SeaweedFS S3 gateway with STS.
type Server struct {
	// Endpoint is the S3 (and STS) URL, http://127.0.0.1:port.
	Endpoint, Region string
	// AccessKey and SecretKey are the admin identity's static keys.
	AccessKey, SecretKey string
	// RoleARN is a role the admin identity may assume; its policy allows
	// every S3 action, so a session's rights are its session policy's.
	RoleARN string
}

// Start runs weed server in a temporary directory until the test ends.
// Without the binary the test skips, or fails when CI=true.
func Start(t testing.TB) Server {
	t.Helper()
	bin := BinaryPath()
	if _, err := os.Stat(bin); err != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatalf("testsweed: no weed binary at %s (CI=true): .ci/run builds it", bin)
		}
		t.Skipf("testsweed: no weed binary at %s: build SeaweedFS %s there (see .ci/run)", bin, Version)
	}
	dir := t.TempDir()
	srv := Server{Region: "us-east-1", AccessKey: "tributary" + randHex(4), SecretKey: randHex(16),
		RoleARN: "arn:aws:iam::111122223333:role/TributaryTables"}
	s3cfg, iamcfg := filepath.Join(dir, "s3.json"), filepath.Join(dir, "iam.json")
	writeJSON(t, s3cfg, map[string]any{"identities": []any{map[string]any{
		"name": "tributary", "credentials": []any{map[string]any{"accessKey": srv.AccessKey, "secretKey": srv.SecretKey}},
		"actions": []string{"Admin", "Read", "Write", "List", "Tagging"},
	}}})
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	allowAll := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": []string{"s3:*"}, "Resource": []string{"*"}}}}
	writeJSON(t, iamcfg, map[string]any{
		"sts":      map[string]any{"tokenDuration": "1h", "maxSessionLength": "12h", "issuer": "seaweedfs-sts", "signingKey": base64.StdEncoding.EncodeToString(key)},
		"policy":   map[string]any{"defaultEffect": "Deny"},
		"policies": []any{map[string]any{"name": "TablesAll", "document": allowAll}},
		"roles": []any{map[string]any{"roleName": "TributaryTables", "roleArn": srv.RoleARN, "attachedPolicies": []string{"TablesAll"},
			"trustPolicy": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
				"Effect": "Allow", "Principal": map[string]any{"AWS": "*"}, "Action": []string{"sts:AssumeRole"}}}}}},
	})
	nums, err := freeport.Ports(8)
	if err != nil {
		t.Fatal(err)
	}
	ports := make([]string, len(nums))
	for i, p := range nums {
		ports[i] = strconv.Itoa(p)
	}
	s3port := ports[6]
	args := []string{"server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-dir=" + filepath.Join(dir, "data"),
		"-master.port=" + ports[0], "-master.port.grpc=" + ports[1], "-master.telemetry=false", "-master.volumeSizeLimitMB=64",
		"-volume.port=" + ports[2], "-volume.port.grpc=" + ports[3], "-volume.max=16",
		"-filer", "-filer.port=" + ports[4], "-filer.port.grpc=" + ports[5],
		"-s3", "-s3.port=" + s3port, "-s3.port.grpc=" + ports[7], "-s3.port.iceberg=0", "-s3.port.lance=0",
		"-s3.config=" + s3cfg, "-s3.iam.config=" + iamcfg}
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "weed.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("testsweed: start weed: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		_ = logf.Close()
		// weed makes a unix socket per server in /tmp, named by its port
		for _, p := range ports {
			socks, _ := filepath.Glob("/tmp/seaweedfs-*-" + p + ".sock")
			for _, s := range socks {
				_ = os.Remove(s)
			}
		}
	})
	srv.Endpoint = "http://127.0.0.1:" + s3port
	if err := srv.waitReady(exited); err != nil {
		b, _ := os.ReadFile(logf.Name())
		t.Fatalf("testsweed: %v\nweed log:\n%s", err, tail(string(b), 4000))
	}
	return srv
}

// NewBucket creates a bucket and returns its name.
func (s Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := "b" + randHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("testsweed: create bucket %s: %v", name, err)
	}
	return name
}

func (s Server) client() *s3.Client {
	return s3.New(s3.Options{Region: s.Region, BaseEndpoint: aws.String(s.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, "")})
}

// waitReady waits until the gateway lists buckets for the admin keys (the
// filer and a volume are up behind it), for two minutes at most.
func (s Server) waitReady(exited <-chan struct{}) error {
	deadline := time.Now().Add(2 * time.Minute)
	hc := &http.Client{Timeout: time.Second}
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("weed exited before its S3 gateway answered")
		default:
		}
		if _, err := hc.Get(s.Endpoint + "/"); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, last = s.client().ListBuckets(ctx, &s3.ListBucketsInput{})
			cancel()
			if last == nil {
				return nil
			}
		} else {
			last = err
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("S3 gateway %s not ready after 2m: %v", s.Endpoint, last)
}

func writeJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return strings.TrimSpace(s)
}
