package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/topicconfig"
)

// topicConfigFlags are the flags that set topic configs: --config k=v and
// the --iceberg/--catalog shorthand.
type topicConfigFlags struct {
	configs listFlag
	iceberg *string
	catalog *string
}

func addTopicConfigFlags(fs *flag.FlagSet) *topicConfigFlags {
	f := &topicConfigFlags{}
	fs.Var(&f.configs, "config", "a topic config `k=v` (repeatable)")
	f.iceberg = fs.String("iceberg", "", "turn the topic into the Iceberg table `NS.TABLE`: sets "+
		topicconfig.ArchiveKind+"=ICEBERG and "+topicconfig.ArchiveTable)
	f.catalog = fs.String("catalog", "", "with --iceberg: the Iceberg catalog `NAME` of the config's iceberg: list (default: the built-in one)")
	return f
}

// values are the configs the flags set, --iceberg's expanded.
func (f *topicConfigFlags) values() (map[string]*string, error) {
	out := map[string]*string{}
	for _, kv := range f.configs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--config %q: want k=v", kv)
		}
		out[k] = &v
	}
	if *f.catalog != "" && *f.iceberg == "" {
		return nil, errors.New("--catalog goes with --iceberg")
	}
	if *f.iceberg != "" {
		if ns, tbl, ok := strings.Cut(*f.iceberg, "."); !ok || ns == "" || tbl == "" {
			return nil, fmt.Errorf("--iceberg %q: want namespace.table", *f.iceberg)
		}
		out[topicconfig.ArchiveKind] = ptr("ICEBERG")
		out[topicconfig.ArchiveTable] = f.iceberg
		if *f.catalog != "" {
			out[topicconfig.ArchiveCatalog] = f.catalog
		}
	}
	return out, nil
}

func ptr[T any](v T) *T { return &v }

func adminTopicCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin topic create", "NAME [--partitions N] [--config k=v ...] [--iceberg NS.TABLE [--catalog NAME]] [--bootstrap HOST:PORT]\n\ncreates a topic")
	connect := kafkaFlags(fs)
	parts := fs.Int("partitions", 1, "partition count")
	cf := addTopicConfigFlags(fs)
	pos, err := parseAdmin(fs, args, 1, 1, stdout, stderr)
	if err != nil {
		return err
	}
	configs, err := cf.values()
	if err != nil {
		return err
	}
	adm, ctx, done, err := connect(ctx)
	if err != nil {
		return err
	}
	defer done()
	rsp, err := adm.CreateTopic(ctx, int32(*parts), -1, configs, pos[0])
	if err == nil {
		err = rsp.Err
	}
	if err != nil {
		return fmt.Errorf("create topic %s: %w%s", pos[0], err, detail(rsp.ErrMessage))
	}
	_, err = fmt.Fprintf(stdout, "created topic %s (%d partitions)\n", rsp.Topic, rsp.NumPartitions)
	return err
}

// detail is a broker's error message, set off for an error's end.
func detail(msg string) string {
	if msg == "" {
		return ""
	}
	return ": " + msg
}

func adminTopicAlter(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin topic alter", "NAME [--config k=v ...] [--delete-config k ...] [--partitions N] [--iceberg NS.TABLE [--catalog NAME]] [--bootstrap HOST:PORT]\n\nchanges a topic's configs (incrementally: the others stay) and grows its partitions")
	connect := kafkaFlags(fs)
	parts := fs.Int("partitions", 0, "grow the topic to N partitions (0: leave as is)")
	var deletes listFlag
	fs.Var(&deletes, "delete-config", "a topic config `k` to remove (back to its default; repeatable)")
	cf := addTopicConfigFlags(fs)
	pos, err := parseAdmin(fs, args, 1, 1, stdout, stderr)
	if err != nil {
		return err
	}
	configs, err := cf.values()
	if err != nil {
		return err
	}
	alters := alterConfigs(configs, deletes)
	if len(alters) == 0 && *parts == 0 {
		return errors.New("admin topic alter: nothing to change (give --config, --delete-config, --iceberg or --partitions)")
	}
	adm, ctx, done, err := connect(ctx)
	if err != nil {
		return err
	}
	defer done()
	if len(alters) > 0 {
		if err := alterTopic(ctx, adm, pos[0], alters); err != nil {
			return err
		}
	}
	if *parts > 0 {
		if err := growTopic(ctx, adm, pos[0], *parts); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(stdout, "altered topic %s\n", pos[0])
	return err
}

func alterConfigs(set map[string]*string, deletes []string) []kadm.AlterConfig {
	var out []kadm.AlterConfig
	for k, v := range set {
		out = append(out, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: v})
	}
	for _, k := range deletes {
		out = append(out, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: k})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func alterTopic(ctx context.Context, adm *kadm.Client, topic string, alters []kadm.AlterConfig) error {
	rsps, err := adm.AlterTopicConfigs(ctx, alters, topic)
	if err != nil {
		return fmt.Errorf("alter topic %s: %w", topic, err)
	}
	for _, r := range rsps {
		if r.Err != nil {
			return fmt.Errorf("alter topic %s: %w%s", topic, r.Err, detail(r.ErrMessage))
		}
	}
	return nil
}

func growTopic(ctx context.Context, adm *kadm.Client, topic string, n int) error {
	rsps, err := adm.UpdatePartitions(ctx, n, topic)
	if err != nil {
		return fmt.Errorf("grow topic %s to %d partitions: %w", topic, n, err)
	}
	for _, r := range rsps {
		if r.Err != nil {
			return fmt.Errorf("grow topic %s to %d partitions: %w%s", topic, n, r.Err, detail(r.ErrMessage))
		}
	}
	return nil
}

func adminTopicList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin topic list", "[--bootstrap HOST:PORT]\n\nlists the topics with their partition counts")
	connect := kafkaFlags(fs)
	if _, err := parseAdmin(fs, args, 0, 0, stdout, stderr); err != nil {
		return err
	}
	adm, ctx, done, err := connect(ctx)
	if err != nil {
		return err
	}
	defer done()
	tds, err := adm.ListTopics(ctx)
	if err != nil {
		return fmt.Errorf("list topics: %w", err)
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "TOPIC\tPARTITIONS") // buffered until Flush, whose error is returned
	for _, td := range tds.Sorted() {
		_, _ = fmt.Fprintf(tw, "%s\t%d\n", td.Topic, len(td.Partitions))
	}
	return tw.Flush()
}

func adminTopicDescribe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin topic describe", "NAME [--bootstrap HOST:PORT]\n\nshows a topic's partitions (leader, start and end offsets) and the configs set on it")
	connect := kafkaFlags(fs)
	pos, err := parseAdmin(fs, args, 1, 1, stdout, stderr)
	if err != nil {
		return err
	}
	adm, ctx, done, err := connect(ctx)
	if err != nil {
		return err
	}
	defer done()
	topic := pos[0]
	tds, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return fmt.Errorf("describe topic %s: %w", topic, err)
	}
	td, ok := tds[topic]
	if !ok || td.Err != nil {
		return fmt.Errorf("describe topic %s: %w", topic, td.Err)
	}
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return fmt.Errorf("describe topic %s: start offsets: %w", topic, err)
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return fmt.Errorf("describe topic %s: end offsets: %w", topic, err)
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		return fmt.Errorf("describe topic %s: configs: %w", topic, err)
	}
	return printTopic(stdout, td, starts, ends, rcs)
}

func printTopic(w io.Writer, td kadm.TopicDetail, starts, ends kadm.ListedOffsets, rcs kadm.ResourceConfigs) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	// Buffered until Flush, whose error is returned.
	_, _ = fmt.Fprintf(tw, "topic:\t%s\npartitions:\t%d\n\n", td.Topic, len(td.Partitions))
	_, _ = fmt.Fprintln(tw, "PARTITION\tLEADER\tSTART\tEND")
	for _, p := range td.Partitions.Sorted() {
		s, _ := starts.Lookup(td.Topic, p.Partition)
		e, _ := ends.Lookup(td.Topic, p.Partition)
		_, _ = fmt.Fprintf(tw, "%d\t%d\t%d\t%d\n", p.Partition, p.Leader, s.Offset, e.Offset)
	}
	_, _ = fmt.Fprintln(tw, "\nCONFIG\tVALUE\tSOURCE")
	for _, rc := range rcs {
		for _, c := range rc.Configs {
			if c.Source == kmsg.ConfigSourceDefaultConfig {
				continue
			}
			_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Key, c.MaybeValue(), c.Source)
		}
	}
	return tw.Flush()
}

func adminTopicDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin topic delete", "NAME ... [--bootstrap HOST:PORT]\n\ndeletes topics")
	connect := kafkaFlags(fs)
	pos, err := parseAdmin(fs, args, 1, -1, stdout, stderr)
	if err != nil {
		return err
	}
	adm, ctx, done, err := connect(ctx)
	if err != nil {
		return err
	}
	defer done()
	rsps, err := adm.DeleteTopics(ctx, pos...)
	if err != nil {
		return fmt.Errorf("delete topics: %w", err)
	}
	var errs []error
	for _, r := range rsps.Sorted() {
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("delete topic %s: %w%s", r.Topic, r.Err, detail(r.ErrMessage)))
			continue
		}
		_, _ = fmt.Fprintf(stdout, "deleted topic %s\n", r.Topic) // a failed stdout write shows in the next
	}
	return errors.Join(errs...)
}
