package boltstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
)

var keyNextProducerID = []byte("producer_id")

// AllocateProducerID hands out producer IDs 0, 1, 2, … from a durable
// counter, so an ID is never given twice even across restarts.
func (s *Store) AllocateProducerID(ctx context.Context) (int64, error) {
	var id int64
	err := s.update(ctx, func(t *tx) error {
		if v := t.counters.Get(keyNextProducerID); v != nil {
			if len(v) != 8 {
				return fmt.Errorf("producer id counter of %d bytes: %w", len(v), errCorrupt)
			}
			id = int64(binary.BigEndian.Uint64(v))
		}
		if id == math.MaxInt64 {
			return fmt.Errorf("producer ids exhausted: %w", errCorrupt)
		}
		return t.counters.Put(keyNextProducerID, binary.BigEndian.AppendUint64(nil, uint64(id+1)))
	})
	if err != nil {
		return 0, fmt.Errorf("allocate producer id: %w", err)
	}
	return id, nil
}
