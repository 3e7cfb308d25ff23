package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/sr"
)

// registryFlags adds --registry-url to fs, and for a registry under
// http_auth or TLS --http-user (the password in $TRIBUTARY_HTTP_PASSWORD,
// never on the command line) and --registry-ca-file; the returned function
// makes the client.
func registryFlags(fs *flag.FlagSet) func() (*sr.Client, error) {
	url := fs.String("registry-url", "http://127.0.0.1:8081", "the schema registry's URL (the built-in one, or any Confluent-compatible)")
	user := fs.String("http-user", "", "user for HTTP basic auth (the password in $TRIBUTARY_HTTP_PASSWORD)")
	caFile := fs.String("registry-ca-file", "", "PEM file of the CA that signed an https registry's certificate (default: the system's)")
	return func() (*sr.Client, error) {
		opts := []sr.ClientOpt{sr.URLs(*url)}
		if *user != "" {
			opts = append(opts, sr.BasicAuth(*user, os.Getenv("TRIBUTARY_HTTP_PASSWORD")))
		}
		if *caFile != "" {
			cfg, err := adminTLS(*caFile)
			if err != nil {
				return nil, err
			}
			opts = append(opts, sr.HTTPClient(&http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: adminTimeout}))
		}
		cl, err := sr.NewClient(opts...)
		if err != nil {
			return nil, fmt.Errorf("registry client for %s: %w", *url, err)
		}
		return cl, nil
	}
}

func adminSchemaRegister(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin schema register", "SUBJECT --file F [--type PROTOBUF|AVRO|JSON] [--registry-url URL]\n\nregisters a schema under a subject (a new version, or the existing one if the same) and prints its id and version")
	connect := registryFlags(fs)
	file := fs.String("file", "", "the schema `F` (.proto text for PROTOBUF); - for stdin")
	typ := fs.String("type", "PROTOBUF", "the schema type")
	pos, err := parseAdmin(fs, args, 1, 1, stdout, stderr)
	if err != nil {
		return err
	}
	text, err := readSchema(*file)
	if err != nil {
		return err
	}
	var st sr.SchemaType
	if err := st.UnmarshalText([]byte(strings.ToUpper(*typ))); err != nil {
		return fmt.Errorf("--type %q: %w", *typ, err)
	}
	cl, err := connect()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	ss, err := cl.CreateSchema(ctx, pos[0], sr.Schema{Schema: text, Type: st})
	if err != nil {
		return fmt.Errorf("register schema under %s: %w", pos[0], err)
	}
	_, err = fmt.Fprintf(stdout, "subject %s version %d id %d\n", ss.Subject, ss.Version, ss.ID)
	return err
}

func readSchema(file string) (string, error) {
	var b []byte
	var err error
	switch file {
	case "":
		return "", fmt.Errorf("admin schema register: --file is required")
	case "-":
		b, err = io.ReadAll(os.Stdin)
	default:
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return "", fmt.Errorf("read schema: %w", err)
	}
	return string(b), nil
}

func adminSchemaList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin schema list", "[SUBJECT] [--registry-url URL]\n\nlists the subjects, or one subject's versions with their ids")
	connect := registryFlags(fs)
	pos, err := parseAdmin(fs, args, 0, 1, stdout, stderr)
	if err != nil {
		return err
	}
	cl, err := connect()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	if len(pos) == 0 {
		subs, err := cl.Subjects(ctx)
		if err != nil {
			return fmt.Errorf("list subjects: %w", err)
		}
		for _, s := range subs {
			_, _ = fmt.Fprintln(stdout, s) // a failed stdout write shows in the last
		}
		return nil
	}
	ss, err := cl.Schemas(ctx, pos[0])
	if err != nil {
		return fmt.Errorf("list versions of %s: %w", pos[0], err)
	}
	for _, s := range ss {
		_, _ = fmt.Fprintf(stdout, "%s version %d id %d type %s\n", s.Subject, s.Version, s.ID, s.Type) // as above
	}
	return nil
}

func adminSchemaGet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin schema get", "SUBJECT [--version N|latest] | --id N [--registry-url URL]\n\nprints a schema's text")
	connect := registryFlags(fs)
	version := fs.String("version", "latest", "the subject's version `N`, or latest")
	id := fs.Int("id", 0, "the schema with global id `N` (instead of SUBJECT)")
	pos, err := parseAdmin(fs, args, 0, 1, stdout, stderr)
	if err != nil {
		return err
	}
	if (len(pos) == 1) == (*id > 0) {
		return fmt.Errorf("admin schema get: give SUBJECT or --id, one of them")
	}
	cl, err := connect()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, adminTimeout)
	defer cancel()
	if *id > 0 {
		s, err := cl.SchemaByID(ctx, *id)
		if err != nil {
			return fmt.Errorf("get schema id %d: %w", *id, err)
		}
		_, err = fmt.Fprintln(stdout, s.Schema)
		return err
	}
	v := -1
	if *version != "latest" {
		if v, err = strconv.Atoi(*version); err != nil || v < 1 {
			return fmt.Errorf("--version %q: want a version number or latest", *version)
		}
	}
	s, err := cl.SchemaByVersion(ctx, pos[0], v)
	if err != nil {
		return fmt.Errorf("get %s version %s: %w", pos[0], *version, err)
	}
	_, err = fmt.Fprintf(stdout, "# subject %s version %d id %d type %s\n%s\n", s.Subject, s.Version, s.ID, s.Type, s.Schema.Schema)
	return err
}
