package metastore

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
)

// String formats id as a canonical UUID (8-4-4-4-12 lowercase hex).
func (id TopicID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], id[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], id[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], id[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], id[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], id[10:16])
	return string(b[:])
}

// String formats pk as "topicID/partition" for messages.
func (pk PartitionKey) String() string {
	return pk.Topic.String() + "/" + strconv.Itoa(int(pk.Partition))
}

// NewTopicID draws a random version 4 (RFC 4122) UUID for a new topic;
// backends check it against the IDs they hold.
func NewTopicID() TopicID {
	var id TopicID
	rand.Read(id[:])          // never fails (crypto/rand, Go 1.24+)
	id[6] = id[6]&0x0f | 0x40 // version 4
	id[8] = id[8]&0x3f | 0x80 // RFC 4122 variant
	return id
}
