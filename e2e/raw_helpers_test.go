package e2e

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// rawConn is a Kafka connection without a client library's help: the test
// frames each request itself (kmsg encodes the bodies), so it can send
// what no real client would.
type rawConn struct {
	t    *testing.T
	c    net.Conn
	corr int32
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c}
}

// header encodes a request header: key, version, correlation ID, client
// ID (v1), and the empty tag section of flexible versions (v2).
func header(key, version int16, corr int32, flexible bool) []byte {
	b := kbin.AppendInt16(nil, key)
	b = kbin.AppendInt16(b, version)
	b = kbin.AppendInt32(b, corr)
	b = kbin.AppendNullableString(b, ptr("e2e-raw"))
	if flexible {
		b = append(b, 0)
	}
	return b
}

// frame prefixes b with its size.
func frame(b []byte) []byte { return append(kbin.AppendInt32(nil, int32(len(b))), b...) }

// encode frames req at its set version with a fresh correlation ID.
func (r *rawConn) encode(req kmsg.Request) ([]byte, int32) {
	r.corr++
	return frame(req.AppendTo(header(req.Key(), req.GetVersion(), r.corr, req.IsFlexible()))), r.corr
}

func (r *rawConn) write(b []byte) {
	r.t.Helper()
	r.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.c.Write(b); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// readFrame reads one response frame: its correlation ID and the rest.
func (r *rawConn) readFrame() (int32, []byte, error) {
	r.c.SetReadDeadline(time.Now().Add(15 * time.Second))
	var sz [4]byte
	if _, err := io.ReadFull(r.c, sz[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(sz[:])
	if n < 4 || n > 64<<20 {
		return 0, nil, fmt.Errorf("response size %d", n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r.c, b); err != nil {
		return 0, nil, err
	}
	return int32(binary.BigEndian.Uint32(b)), b[4:], nil
}

// roundTrip sends req and decodes its response at the request's version.
func (r *rawConn) roundTrip(req kmsg.Request) kmsg.Response {
	r.t.Helper()
	b, corr := r.encode(req)
	r.write(b)
	return r.readResponse(corr, req.ResponseKind(), req.GetVersion(), req.IsFlexible())
}

// readResponse reads the answer to corr into resp at version; flexible
// responses have a tag section in their header, except ApiVersions'.
func (r *rawConn) readResponse(corr int32, resp kmsg.Response, version int16, flexible bool) kmsg.Response {
	r.t.Helper()
	got, body, err := r.readFrame()
	if err != nil {
		r.t.Fatalf("read response to %s: %v", kmsg.NameForKey(resp.Key()), err)
	}
	if got != corr {
		r.t.Fatalf("response correlation ID %d, want %d", got, corr)
	}
	if flexible && resp.Key() != 18 {
		rd := kbin.Reader{Src: body}
		kmsg.SkipTags(&rd)
		if err := rd.Complete(); err != nil {
			r.t.Fatalf("response header tags: %v", err)
		}
		body = rd.Src
	}
	resp.SetVersion(version)
	if err := resp.ReadFrom(body); err != nil {
		r.t.Fatalf("decode %s v%d response: %v", kmsg.NameForKey(resp.Key()), version, err)
	}
	return resp
}

// expectClosed asserts the broker closes the connection without an answer
// (EOF or reset), not merely that it stays silent.
func (r *rawConn) expectClosed(why string) {
	r.t.Helper()
	_, body, err := r.readFrame()
	switch {
	case err == nil:
		r.t.Fatalf("%s: broker answered (%d bytes) instead of closing the connection", why, len(body))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
	default:
		r.t.Fatalf("%s: want the connection closed, got %v", why, err)
	}
}

// testBatch encodes values as one valid v2 record batch, uncompressed,
// without a producer ID, the way a producer writes it.
func testBatch(values ...string) []byte {
	var recs []byte
	for i, v := range values {
		r := kmsg.Record{OffsetDelta: int32(i), TimestampDelta64: int64(i), Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(v)}
		r.Length = int32(len(r.AppendTo(nil)) - 1) // a zero length prefix is one byte
		recs = r.AppendTo(recs)
	}
	now := time.Now().UnixMilli()
	b := kmsg.RecordBatch{
		PartitionLeaderEpoch: -1, Magic: 2, LastOffsetDelta: int32(len(values) - 1),
		FirstTimestamp: now, MaxTimestamp: now + int64(len(values)-1),
		ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1,
		NumRecords: int32(len(values)), Records: recs,
	}
	b.Length = int32(len(b.AppendTo(nil)) - 12) // after baseOffset and length
	out := b.AppendTo(nil)
	binary.BigEndian.PutUint32(out[17:], crc32.Checksum(out[21:], crc32.MakeTable(crc32.Castagnoli)))
	return out
}

// produceReq builds a Produce request (acks=all) for topic with records
// per partition.
func produceReq(version int16, topic string, timeoutMillis int32, parts map[int32][]byte) *kmsg.ProduceRequest {
	req := kmsg.NewPtrProduceRequest()
	req.Version, req.Acks, req.TimeoutMillis = version, -1, timeoutMillis
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	for p := range int32(1 << 10) {
		if recs, ok := parts[p]; ok {
			rp := kmsg.NewProduceRequestTopicPartition()
			rp.Partition, rp.Records = p, recs
			rt.Partitions = append(rt.Partitions, rp)
		}
	}
	req.Topics = append(req.Topics, rt)
	return req
}

// produceResult is one partition's answer.
type produceResult struct {
	code       int16
	baseOffset int64
	msg        string
}

// produceResults indexes a Produce response by partition.
func produceResults(resp kmsg.Response) map[int32]produceResult {
	out := map[int32]produceResult{}
	for _, rt := range resp.(*kmsg.ProduceResponse).Topics {
		for _, rp := range rt.Partitions {
			r := produceResult{code: rp.ErrorCode, baseOffset: rp.BaseOffset}
			if rp.ErrorMessage != nil {
				r.msg = *rp.ErrorMessage
			}
			out[rp.Partition] = r
		}
	}
	return out
}

// fetchRaw reads partition p of topic from offset 0 with a Fetch v11 (by
// name) and returns the record bytes and high watermark.
func (r *rawConn) fetchRaw(topic string, p int32) ([]byte, int64) {
	r.t.Helper()
	req := kmsg.NewPtrFetchRequest()
	req.Version, req.MaxWaitMillis, req.MaxBytes, req.ReplicaID = 11, 0, 50<<20, -1
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition, rp.PartitionMaxBytes = p, 50<<20
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp := r.roundTrip(req).(*kmsg.FetchResponse)
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		r.t.Fatalf("fetch %s[%d]: %d topics in the answer", topic, p, len(resp.Topics))
	}
	fp := resp.Topics[0].Partitions[0]
	if fp.ErrorCode != 0 {
		r.t.Fatalf("fetch %s[%d]: error code %d", topic, p, fp.ErrorCode)
	}
	return fp.RecordBatches, fp.HighWatermark
}

// splitBatches parses a fetched record set into its batches; a batch that
// does not parse fails t.
func splitBatches(t *testing.T, raw []byte) []kmsg.RecordBatch {
	t.Helper()
	var out []kmsg.RecordBatch
	for len(raw) > 0 {
		var b kmsg.RecordBatch
		if err := b.ReadFrom(raw); err != nil {
			t.Fatalf("stored batch does not parse: %v", err)
		}
		if crc := int32(crc32.Checksum(raw[21:12+b.Length], crc32.MakeTable(crc32.Castagnoli))); crc != b.CRC {
			t.Fatalf("batch at offset %d: CRC %08x, computed %08x", b.FirstOffset, uint32(b.CRC), uint32(crc))
		}
		raw = raw[12+b.Length:]
		out = append(out, b)
	}
	return out
}

func ptr[T any](v T) *T { return &v }
