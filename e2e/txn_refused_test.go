package e2e

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/tributary-io/tributary/node"
)

// Transactions are not supported yet; a transactional producer must learn
// it at once, with a non-retriable error, instead of retrying
// COORDINATOR_NOT_AVAILABLE until its own timeout (issue 9, item 3).

// TestTransactionalProducerFailsFast: franz-go with a TransactionalID
// gets TRANSACTIONAL_ID_AUTHORIZATION_FAILED from its first produce, within
// a few seconds, not after the produce context's 20s.
func TestTransactionalProducerFailsFast(t *testing.T) {
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	cl := newClient(t, n.KafkaAddr(), kgo.TransactionalID("txn-fast"), kgo.DefaultProduceTopic("txn-topic"),
		kgo.AllowAutoTopicCreation())
	start := time.Now()
	err := cl.BeginTransaction()
	if err == nil {
		ctx := ctxTimeout(t, 20*time.Second)
		err = cl.ProduceSync(ctx, kgo.StringRecord("x")).FirstErr()
	}
	took := time.Since(start)
	if !errors.Is(err, kerr.TransactionalIDAuthorizationFailed) {
		t.Fatalf("transactional produce: err %v after %v, want TRANSACTIONAL_ID_AUTHORIZATION_FAILED", err, took)
	}
	if took > 5*time.Second {
		t.Fatalf("transactional produce failed only after %v, want < 5s", took)
	}
	t.Logf("transactional produce failed after %v: %v", took, err)
}

// TestFindCoordinatorTransactionRefused: every FindCoordinator version,
// the batched v4+ form included, answers a transaction key with
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED and a message naming the reason,
// and InitProducerID with a transactional ID the same code; a group key in
// the same batch still gets its coordinator.
func TestFindCoordinatorTransactionRefused(t *testing.T) {
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	rc := dialRaw(t, n.KafkaAddr())
	for v := int16(1); v <= 6; v++ {
		req := kmsg.NewPtrFindCoordinatorRequest()
		req.Version, req.CoordinatorType = v, 1
		req.CoordinatorKey = "txn-a"
		if v >= 4 {
			req.CoordinatorKeys = []string{"txn-a", "txn-b"}
		}
		resp := rc.roundTrip(req).(*kmsg.FindCoordinatorResponse)
		type answer struct {
			code int16
			msg  *string
			node int32
		}
		var got []answer
		if v < 4 {
			got = append(got, answer{resp.ErrorCode, resp.ErrorMessage, resp.NodeID})
		}
		for _, c := range resp.Coordinators {
			got = append(got, answer{c.ErrorCode, c.ErrorMessage, c.NodeID})
		}
		if want := len(req.CoordinatorKeys); v >= 4 && len(got) != want {
			t.Fatalf("v%d: %d coordinators, want %d", v, len(got), want)
		}
		for _, a := range got {
			if a.code != kerr.TransactionalIDAuthorizationFailed.Code || a.node != -1 {
				t.Errorf("v%d: code %d node %d, want %d node -1", v, a.code, a.node, kerr.TransactionalIDAuthorizationFailed.Code)
			}
			if a.msg == nil || !strings.Contains(*a.msg, "transactions") {
				t.Errorf("v%d: error message %v does not name transactions", v, a.msg)
			}
		}
	}
	group := kmsg.NewPtrFindCoordinatorRequest()
	group.Version, group.CoordinatorKeys = 4, []string{"g"}
	if c := rc.roundTrip(group).(*kmsg.FindCoordinatorResponse).Coordinators; len(c) != 1 || c[0].ErrorCode != 0 || c[0].NodeID < 0 {
		t.Errorf("group coordinator: %+v", c)
	}
	ipr := kmsg.NewPtrInitProducerIDRequest()
	ipr.Version, ipr.TransactionalID, ipr.TransactionTimeoutMillis = 4, kmsg.StringPtr("txn-a"), 60000
	ipr.ProducerID, ipr.ProducerEpoch = -1, -1
	if r := rc.roundTrip(ipr).(*kmsg.InitProducerIDResponse); r.ErrorCode != kerr.TransactionalIDAuthorizationFailed.Code || r.ProducerID != -1 {
		t.Errorf("InitProducerID with a transactional id: code %d id %d", r.ErrorCode, r.ProducerID)
	}
}

// initTransactionsScript calls init_transactions(10) and prints how long
// it took and the error's traits; it exits 0 only when the call raised.
const initTransactionsScript = `
import sys, time
from confluent_kafka import Producer, KafkaException
p = Producer({'bootstrap.servers': sys.argv[1], 'transactional.id': 'txn-py'})
start = time.monotonic()
try:
    p.init_transactions(10)
except KafkaException as e:
    err = e.args[0]
    print("took=%.3f retriable=%s fatal=%s name=%s str=%s" % (time.monotonic() - start, err.retriable(), err.fatal(), err.name(), err.str()))
    sys.exit(0)
print("init_transactions succeeded")
sys.exit(1)
`

// TestConfluentInitTransactionsFailsFast: librdkafka's init_transactions
// raises a non-retriable error at once, naming why, instead of waiting
// out its 10s timeout and raising a retriable _TIMED_OUT.
func TestConfluentInitTransactionsFailsFast(t *testing.T) {
	python := confluentPython(t)
	n := startNode(t, testConfig(t, t.TempDir()), node.Hooks{})
	ctx := ctxTimeout(t, 60*time.Second)
	out, err := exec.CommandContext(ctx, python, "-c", initTransactionsScript, n.KafkaAddr()).CombinedOutput()
	if err != nil {
		t.Fatalf("init_transactions: %v\n%s", err, out)
	}
	var took float64
	line := lastLine(string(out))
	fields := map[string]string{}
	for _, f := range strings.Fields(line) {
		if k, v, ok := strings.Cut(f, "="); ok && fields[k] == "" {
			fields[k] = v
		}
	}
	if _, err := fmt.Sscan(fields["took"], &took); err != nil {
		t.Fatalf("no timing in %q", line)
	}
	if fields["retriable"] != "False" {
		t.Errorf("error is retriable: %s", line)
	}
	if fields["name"] != "TRANSACTIONAL_ID_AUTHORIZATION_FAILED" || !strings.Contains(line, "does not support transactions") {
		t.Errorf("error does not say transactions are unsupported: %s", line)
	}
	if took > 5 {
		t.Errorf("init_transactions(10) raised after %.1fs, want < 5s", took)
	}
	t.Logf("%s", line)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
