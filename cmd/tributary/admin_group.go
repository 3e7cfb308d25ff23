package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/twmb/franz-go/pkg/kadm"
)

func adminGroupList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin group list", "[--bootstrap HOST:PORT]\n\nlists the consumer groups with their state and protocol type")
	connect := kafkaFlags(fs)
	if _, err := parseAdmin(fs, args, 0, 0, stdout, stderr); err != nil {
		return err
	}
	adm, ctx, done, err := connect(ctx)
	if err != nil {
		return err
	}
	defer done()
	gs, err := adm.ListGroups(ctx)
	if err != nil {
		return fmt.Errorf("list groups: %w", err)
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "GROUP\tSTATE\tPROTOCOL TYPE\tCOORDINATOR") // buffered until Flush, whose error is returned
	for _, g := range gs.Sorted() {
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", g.Group, g.State, g.ProtocolType, g.Coordinator)
	}
	return tw.Flush()
}

func adminGroupDescribe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin group describe", "NAME [--bootstrap HOST:PORT]\n\nshows a group's state, members and, per partition, the committed offset, end offset, lag and owner")
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
	lags, err := adm.Lag(ctx, pos[0])
	if err != nil {
		return fmt.Errorf("describe group %s: %w", pos[0], err)
	}
	l, ok := lags[pos[0]]
	if !ok {
		return fmt.Errorf("describe group %s: not in the answer", pos[0])
	}
	if err := l.Error(); err != nil {
		return fmt.Errorf("describe group %s: %w", pos[0], err)
	}
	return printGroup(stdout, l)
}

func printGroup(w io.Writer, l kadm.DescribedGroupLag) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	// Buffered until Flush, whose error is returned.
	_, _ = fmt.Fprintf(tw, "group:\t%s\nstate:\t%s\nprotocol:\t%s %s\ncoordinator:\t%d\nmembers:\t%d\ntotal lag:\t%d\n\n",
		l.Group, l.State, l.ProtocolType, l.Protocol, l.Coordinator.NodeID, len(l.Members), l.Lag.Total())
	_, _ = fmt.Fprintln(tw, "MEMBER\tCLIENT\tHOST")
	for _, m := range l.Members {
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\n", m.MemberID, m.ClientID, m.ClientHost)
	}
	_, _ = fmt.Fprintln(tw, "\nTOPIC\tPARTITION\tCOMMITTED\tEND\tLAG\tMEMBER")
	for _, ml := range l.Lag.Sorted() {
		member := "-"
		if ml.Member != nil {
			member = ml.Member.MemberID
		}
		_, _ = fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\n", ml.Topic, ml.Partition, ml.Commit.At, ml.End.Offset, ml.Lag, member)
	}
	return tw.Flush()
}

func adminGroupReset(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("admin group reset-offsets", "NAME (--to-earliest | --to-latest | --to-offset N) [--topic T ...] [--dry-run] [--bootstrap HOST:PORT]\n\n"+
		"sets a group's committed offsets; the group must have no members (the broker refuses otherwise).\n"+
		"Without --topic, the topics the group has committed offsets for")
	connect := kafkaFlags(fs)
	var topics listFlag
	fs.Var(&topics, "topic", "a topic `T` to reset (repeatable; all its partitions)")
	earliest := fs.Bool("to-earliest", false, "to each partition's log start")
	latest := fs.Bool("to-latest", false, "to each partition's end")
	to := fs.Int64("to-offset", -1, "to offset `N` (past the end: the end)")
	dry := fs.Bool("dry-run", false, "print the new offsets, commit nothing")
	pos, err := parseAdmin(fs, args, 1, 1, stdout, stderr)
	if err != nil {
		return err
	}
	if n := count(*earliest, *latest, *to >= 0); n != 1 {
		return errors.New("admin group reset-offsets: give exactly one of --to-earliest, --to-latest, --to-offset")
	}
	adm, ctx, done, err := connect(ctx)
	if err != nil {
		return err
	}
	defer done()
	group := pos[0]
	if len(topics) == 0 {
		if topics, err = committedTopics(ctx, adm, group); err != nil {
			return err
		}
	}
	offs, err := resetTargets(ctx, adm, topics, *earliest, *to)
	if err != nil {
		return err
	}
	if !*dry {
		if err := commitReset(ctx, adm, group, offs); err != nil {
			return err
		}
	}
	return printReset(stdout, group, offs, *dry)
}

func count(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

func committedTopics(ctx context.Context, adm *kadm.Client, group string) ([]string, error) {
	rs, err := adm.FetchOffsets(ctx, group)
	if err == nil {
		err = rs.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("fetch offsets of group %s: %w", group, err)
	}
	ts := rs.Offsets().TopicsSet().Sorted().Topics()
	if len(ts) == 0 {
		return nil, fmt.Errorf("group %s has no committed offsets: name the topics with --topic", group)
	}
	return ts, nil
}

// resetTargets are the new offsets: every partition of topics at its
// start (earliest), at offset to clamped into [start, end] (to >= 0), or
// at its end.
func resetTargets(ctx context.Context, adm *kadm.Client, topics []string, earliest bool, to int64) (kadm.Offsets, error) {
	starts, err := adm.ListStartOffsets(ctx, topics...)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("list start offsets: %w", err)
	}
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("list end offsets: %w", err)
	}
	offs := kadm.Offsets{}
	ends.Each(func(e kadm.ListedOffset) {
		s, _ := starts.Lookup(e.Topic, e.Partition)
		at := e.Offset
		switch {
		case earliest:
			at = s.Offset
		case to >= 0:
			at = min(max(to, s.Offset), e.Offset)
		}
		offs.Add(kadm.Offset{Topic: e.Topic, Partition: e.Partition, At: at, LeaderEpoch: -1})
	})
	return offs, nil
}

func commitReset(ctx context.Context, adm *kadm.Client, group string, offs kadm.Offsets) error {
	rs, err := adm.CommitOffsets(ctx, group, offs)
	if err == nil {
		err = rs.Error()
	}
	if err != nil {
		return fmt.Errorf("reset offsets of group %s (it must have no members): %w", group, err)
	}
	return nil
}

func printReset(w io.Writer, group string, offs kadm.Offsets, dry bool) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	verb := "reset"
	if dry {
		verb = "would reset (dry run)"
	}
	// Buffered until Flush, whose error is returned.
	_, _ = fmt.Fprintf(tw, "%s group %s:\nTOPIC\tPARTITION\tOFFSET\n", verb, group)
	for _, o := range offs.Sorted() {
		_, _ = fmt.Fprintf(tw, "%s\t%d\t%d\n", o.Topic, o.Partition, o.At)
	}
	return tw.Flush()
}
