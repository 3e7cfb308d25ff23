//go:build unix

package e2e

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// TestDeleteRecordsCluster: records deleted through one broker of a
// cluster (Postgres and S3) are gone for every broker at once: another
// broker answers the new start to ListOffsets earliest, serves a consumer
// from the earliest offset exactly the records from the new start, and
// refuses a fetch below it.
func TestDeleteRecordsCluster(t *testing.T) {
	c := startCluster(t, clusterOpts{Brokers: 2})
	a, b := c.Brokers[0].KafkaAddr, c.Brokers[1].KafkaAddr
	createClusterTopic(t, a, drTopic, 2)
	ctx := ctxTimeout(t, 60*time.Second)
	produceDR(t, ctx, pinnedClient(t, a, drProducerOpts()...))

	var offs kadm.Offsets
	offs.AddOffset(drTopic, 0, 3, -1)
	offs.AddOffset(drTopic, 1, -1, -1)
	resp, err := kadm.NewClient(pinnedClient(t, a)).DeleteRecords(ctx, offs)
	if err != nil || resp.Error() != nil {
		t.Fatalf("delete records through %s: %v %v", a, err, resp.Error())
	}
	checkStarts(t, ctx, kadm.NewClient(pinnedClient(t, b)), map[int32]int64{0: 3, 1: 10})
	checkFromEarliest(t, ctx, pinnedClient(t, b, drConsumerOpts()...))
	if code := rawFetchCode(t, ctx, pinnedClient(t, b), 0, 2); code != kerr.OffsetOutOfRange.Code {
		t.Fatalf("fetch below the log start through %s: %v, want OFFSET_OUT_OF_RANGE", b, kerr.ErrorForCode(code))
	}
}
