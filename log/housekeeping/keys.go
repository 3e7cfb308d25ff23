package housekeeping

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tributary-io/tributary/internal/metastore"
)

// Key prefixes of the objects housekeeping looks after.
const (
	intakePrefix  = "intake/"
	segmentPrefix = "segments/"
)

// intakeTime is the write time encoded in an intake object key,
// intake/<16 hex digits of Unix nanoseconds>-<node>-<rand>.obj (see
// produce.Writer.objectKey).
func intakeTime(key string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(key, intakePrefix)
	if !ok || len(rest) < 17 || rest[16] != '-' {
		return time.Time{}, false
	}
	n, err := strconv.ParseUint(rest[:16], 16, 64)
	if err != nil || n > 1<<63-1 {
		return time.Time{}, false
	}
	return time.Unix(0, int64(n)), true
}

// segmentKey names a new segment of pk starting at base: grouped by
// partition, ordered by offset, unique by a random suffix (a rewrite that
// lost a conflict and one that retries never share a key, as the metadata
// store requires).
func segmentKey(pk metastore.PartitionKey, base int64) string {
	var r [6]byte
	rand.Read(r[:])
	return fmt.Sprintf("%s%s/%d/%020d-%s.seg", segmentPrefix, hex.EncodeToString(pk.Topic[:]), pk.Partition, base, hex.EncodeToString(r[:]))
}
