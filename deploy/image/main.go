// Command image builds Tributary's container image without a container
// daemon: one layer on an empty (scratch) base holding the static
// tributary binary, the CA certificates of the build machine (for S3 over
// TLS), a default config and an empty /data owned by the non-root user the
// image runs as; written as a tarball that `docker load`, `podman load`
// and `crane push` take.
//
//	CGO_ENABLED=0 go build -o bin/tributary-linux ./cmd/tributary
//	cd deploy/image && go run . --binary ../../bin/tributary-linux --out ../../bin/tributary-image.tar --tag tributary:dev
//
// It is its own module so go-containerregistry stays out of the broker's
// go.mod.
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// uid is the user the image runs as (distroless' "nonroot").
const uid = 65532

// containerConfig is /etc/tributary/bufstream.yaml in the image: every
// server on all interfaces, data under /data. Deployments mount their own
// (the Helm chart's ConfigMap).
const containerConfig = `version: v1beta1
data_dir: /data
kafka:
  listeners:
    - name: local
      listen_address: 0.0.0.0:9092
admin:
  listen_address: 0.0.0.0:9089
registry:
  listen_address: 0.0.0.0:8081
catalog:
  listen_address: 0.0.0.0:8181
logging:
  format: JSON
`

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	bin := fs.String("binary", "", "the tributary binary (linux, CGO_ENABLED=0)")
	out := fs.String("out", "tributary-image.tar", "the image tarball to write")
	tag := fs.String("tag", "tributary:dev", "the image's name and tag in the tarball")
	version := fs.String("version", "dev", "org.opencontainers.image.version label")
	certs := fs.String("ca-certificates", "/etc/ssl/certs/ca-certificates.crt", "CA bundle to include (empty: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *bin == "" {
		return errors.New("--binary is required")
	}
	img, err := build(*bin, *certs, *version)
	if err != nil {
		return err
	}
	ref, err := name.NewTag(*tag)
	if err != nil {
		return fmt.Errorf("tag %q: %w", *tag, err)
	}
	if err := tarball.WriteToFile(*out, ref, img); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	d, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s: %s %s\n", *out, ref, d)
	return nil
}

func build(bin, certs, version string) (v1.Image, error) {
	layer, err := rootLayer(bin, certs)
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, fmt.Errorf("append layer: %w", err)
	}
	img = mutate.MediaType(img, "application/vnd.oci.image.manifest.v1+json")
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", goarch()
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()} // reproducible
	cf.Config = v1.Config{
		Entrypoint:   []string{"/usr/local/bin/tributary"},
		Cmd:          []string{"serve", "--config", "/etc/tributary/bufstream.yaml"},
		User:         fmt.Sprintf("%d:%d", uid, uid),
		WorkingDir:   "/data",
		Env:          []string{"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
		ExposedPorts: map[string]struct{}{"9092/tcp": {}, "9089/tcp": {}, "8081/tcp": {}, "8181/tcp": {}},
		Volumes:      map[string]struct{}{"/data": {}},
		Labels: map[string]string{
			"org.opencontainers.image.title":    "tributary",
			"org.opencontainers.image.version":  version,
			"org.opencontainers.image.licenses": "Apache-2.0",
			"org.opencontainers.image.source":   "github.com/tributary-io/tributary",
		},
	}
	return mutate.ConfigFile(img, cf)
}

// rootLayer is the image's one layer.
func rootLayer(bin, certs string) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, d := range []string{"usr/", "usr/local/", "usr/local/bin/", "etc/", "etc/ssl/", "etc/ssl/certs/", "etc/tributary/", "tmp/"} {
		if err := writeDir(tw, d, 0, 0o755); err != nil {
			return nil, err
		}
	}
	if err := writeDir(tw, "data/", uid, 0o700); err != nil {
		return nil, err
	}
	if err := writeFile(tw, "usr/local/bin/tributary", bin, nil, 0o755); err != nil {
		return nil, err
	}
	if certs != "" {
		if err := writeFile(tw, "etc/ssl/certs/ca-certificates.crt", certs, nil, 0o644); err != nil {
			return nil, err
		}
	}
	if err := writeFile(tw, "etc/tributary/bufstream.yaml", "", []byte(containerConfig), 0o644); err != nil {
		return nil, err
	}
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/data:/sbin/nologin\n", uid, uid)
	if err := writeFile(tw, "etc/passwd", "", []byte(passwd), 0o644); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
}

func writeDir(tw *tar.Writer, path string, owner, mode int) error {
	return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: path, Mode: int64(mode), Uid: owner, Gid: owner, ModTime: time.Unix(0, 0)})
}

// writeFile adds path with the contents of file src, or data when src is
// empty.
func writeFile(tw *tar.Writer, path, src string, data []byte, mode int) error {
	if src != "" {
		var err error
		if data, err = os.ReadFile(src); err != nil {
			return err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: path, Mode: int64(mode), Size: int64(len(data)), ModTime: time.Unix(0, 0)}); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}
