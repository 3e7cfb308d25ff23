package metastore

import (
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
