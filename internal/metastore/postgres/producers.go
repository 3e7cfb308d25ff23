package postgres

import (
	"context"
	"fmt"
)

// AllocateProducerID hands out producer IDs 0, 1, 2, … from a counter row
// (see migrations/0007), so an ID is never given twice, even across
// crashes and brokers.
func (s *Store) AllocateProducerID(ctx context.Context) (int64, error) {
	var id int64
	err := s.retry(ctx, func() error {
		return s.pool.QueryRow(ctx, sqlProducerIDNext).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("allocate producer id: %w", err)
	}
	return id, nil
}
