package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

const adminUsage = `usage: tributary admin <command> <subcommand> [flags]

commands (over the Kafka protocol at --bootstrap, default 127.0.0.1:9092; with
--sasl-mechanism PLAIN|SCRAM-SHA-256|SCRAM-SHA-512 --sasl-user U and the
password in $TRIBUTARY_SASL_PASSWORD, and --tls [--tls-ca-file F], on a
secured listener):
  topic create NAME [--partitions N] [--config k=v ...] [--iceberg NS.TABLE [--catalog NAME]]
  topic alter NAME [--config k=v ...] [--delete-config k ...] [--partitions N] [--iceberg NS.TABLE [--catalog NAME]]
  topic describe NAME       partitions, offsets and the configs set on the topic
  topic list                every topic with its partition count
  topic delete NAME ...
  group list                every group with its state and protocol type
  group describe NAME       members, assignments, committed offsets and lag
  group reset-offsets NAME (--to-earliest | --to-latest | --to-offset N) [--topic T ...] [--dry-run]

  (over the schema registry's HTTP API at --registry-url, default http://127.0.0.1:8081)
  schema register SUBJECT --file F [--type PROTOBUF|AVRO|JSON]
  schema list [SUBJECT]     subjects, or one subject's versions
  schema get SUBJECT [--version N|latest] | schema get --id N

  (over the admin server's /-/tables at --admin-addr, default 127.0.0.1:9089)
  table list [--json]       each Iceberg topic: table, committed offsets, lag, last commit, last error
  table describe NS.TABLE [--json]
  tables                    the same as table list

--iceberg NS.TABLE sets bufstream.archive.kind=ICEBERG and
bufstream.archive.iceberg.table (and .catalog with --catalog): the topic
becomes an Iceberg table.
tributary admin <command> <subcommand> --help prints its flags.
`

// adminCmd runs `tributary admin <what>`: topics and groups through kadm
// on any broker, schemas through the registry's REST API, Iceberg tables
// through the admin server's /-/tables.
func adminCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		rest := args[1:]
		switch args[0] {
		case "topic":
			return subcommand(ctx, "topic", rest, topicCmds, stdout, stderr)
		case "group":
			return subcommand(ctx, "group", rest, groupCmds, stdout, stderr)
		case "schema":
			return subcommand(ctx, "schema", rest, schemaCmds, stdout, stderr)
		case "table":
			return subcommand(ctx, "table", rest, tableCmds, stdout, stderr)
		case "tables":
			return adminTableList(ctx, rest, stdout, stderr)
		case "help", "-h", "-help", "--help":
			_, err := fmt.Fprint(stdout, adminUsage)
			return err
		}
	}
	_, _ = fmt.Fprint(stderr, adminUsage) // the error is returned; a failed write to stderr has nowhere to go
	return errors.New("usage: tributary admin topic|group|schema|table <subcommand> [flags]")
}

// adminFunc is one `tributary admin <command> <subcommand>`.
type adminFunc func(ctx context.Context, args []string, stdout, stderr io.Writer) error

var (
	topicCmds = map[string]adminFunc{
		"create": adminTopicCreate, "alter": adminTopicAlter, "describe": adminTopicDescribe,
		"list": adminTopicList, "delete": adminTopicDelete,
	}
	groupCmds = map[string]adminFunc{
		"list": adminGroupList, "describe": adminGroupDescribe, "reset-offsets": adminGroupReset,
	}
	schemaCmds = map[string]adminFunc{
		"register": adminSchemaRegister, "list": adminSchemaList, "get": adminSchemaGet,
	}
	tableCmds = map[string]adminFunc{
		"list": adminTableList, "describe": adminTableDescribe,
	}
)

func subcommand(ctx context.Context, cmd string, args []string, cmds map[string]adminFunc, stdout, stderr io.Writer) error {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(args) > 0 {
		if f, ok := cmds[args[0]]; ok {
			return f(ctx, args[1:], stdout, stderr)
		}
		if isHelp(args[0]) {
			_, err := fmt.Fprint(stdout, adminUsage)
			return err
		}
	}
	_, _ = fmt.Fprint(stderr, adminUsage) // as in adminCmd
	return fmt.Errorf("usage: tributary admin %s %s", cmd, strings.Join(names, "|"))
}

func isHelp(s string) bool {
	return s == "help" || s == "-h" || s == "-help" || s == "--help"
}

// parseAdmin parses a subcommand's flags, which may come before or after
// its positional arguments (`topic create t1 --partitions 3`), and checks
// the count of positional arguments is within [min, max] (max < 0: any).
func parseAdmin(fs *flag.FlagSet, args []string, min, max int, stdout, stderr io.Writer) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args, stdout, stderr); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) < min || (max >= 0 && len(pos) > max) {
		fs.SetOutput(stderr)
		fs.Usage()
		return nil, fmt.Errorf("%s: want %s, got %q", fs.Name(), argCount(min, max), pos)
	}
	return pos, nil
}

func argCount(min, max int) string {
	switch {
	case min == max:
		return fmt.Sprintf("%d argument(s)", min)
	case max < 0:
		return fmt.Sprintf("at least %d argument(s)", min)
	}
	return fmt.Sprintf("%d to %d arguments", min, max)
}

// kafkaFlags adds the flags that say how to reach the brokers (address,
// SASL, TLS) to fs, and returns how to connect once fs is parsed: a client
// and ctx bounded by adminTimeout, and done, which closes both. The
// password is read from an environment variable (--sasl-password-env) so
// that it never shows in a process list.
func kafkaFlags(fs *flag.FlagSet) func(ctx context.Context) (*kadm.Client, context.Context, func(), error) {
	bootstrap := fs.String("bootstrap", "127.0.0.1:9092", "a broker's Kafka address (comma-separated for several)")
	mech := fs.String("sasl-mechanism", "", "SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (default: none)")
	user := fs.String("sasl-user", "", "SASL user name")
	passEnv := fs.String("sasl-password-env", "TRIBUTARY_SASL_PASSWORD", "environment variable holding the SASL password")
	useTLS := fs.Bool("tls", false, "connect over TLS")
	caFile := fs.String("tls-ca-file", "", "PEM file of the CA that signed the brokers' certificates (default: the system's; implies --tls)")
	return func(ctx context.Context) (*kadm.Client, context.Context, func(), error) {
		opts := []kgo.Opt{kgo.SeedBrokers(strings.Split(*bootstrap, ",")...)}
		if *mech != "" {
			m, err := saslMechanism(*mech, *user, os.Getenv(*passEnv))
			if err != nil {
				return nil, nil, nil, err
			}
			opts = append(opts, kgo.SASL(m))
		}
		if *useTLS || *caFile != "" {
			cfg, err := adminTLS(*caFile)
			if err != nil {
				return nil, nil, nil, err
			}
			opts = append(opts, kgo.DialTLSConfig(cfg))
		}
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("connect to %s: %w", *bootstrap, err)
		}
		adm := kadm.NewClient(cl)
		ctx, cancel := context.WithTimeout(ctx, adminTimeout)
		return adm, ctx, func() { cancel(); adm.Close() }, nil
	}
}

// saslMechanism is franz-go's mechanism for name, authenticating as user.
func saslMechanism(name, user, pass string) (sasl.Mechanism, error) {
	if user == "" {
		return nil, fmt.Errorf("--sasl-mechanism %s needs --sasl-user", name)
	}
	switch strings.ToUpper(name) {
	case "PLAIN":
		return plain.Auth{User: user, Pass: pass}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		return scram.Auth{User: user, Pass: pass}.AsSha256Mechanism(), nil
	case "SCRAM-SHA-512":
		return scram.Auth{User: user, Pass: pass}.AsSha512Mechanism(), nil
	}
	return nil, fmt.Errorf("--sasl-mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", name)
}

// adminTLS trusts caFile's certificates, or the system's when it is "".
func adminTLS(caFile string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-ca-file: %w", err)
	}
	cfg.RootCAs = x509.NewCertPool()
	if !cfg.RootCAs.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--tls-ca-file %s: no PEM certificate in it", caFile)
	}
	return cfg, nil
}

// adminTimeout bounds one admin command's requests.
const adminTimeout = 30 * time.Second

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }
