package store

import (
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"github.com/leversync/leversync/lever"
)

// CreatedSpan is what the stored candidates created inside one range say:
// how many there are and the oldest and newest of their createdAt (ms).
type CreatedSpan struct {
	Count          int
	Oldest, Newest int64
}

// CreatedSpans reads every stored opportunity once and returns, for each
// inclusive [start, end] range of creation times, the span of the ones
// inside it. Lever lists candidates newest first, so the oldest one stored
// in a window tells how far a first sync has read into it.
func (s *Store) CreatedSpans(ranges [][2]int64) ([]CreatedSpan, error) {
	out := make([]CreatedSpan, len(ranges))
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(lever.Opportunities))
		if b == nil {
			return nil
		}
		var buf []byte
		return b.ForEach(func(k, v []byte) error {
			var err error
			if buf, err = s.codec.decode(v, buf[:0]); err != nil {
				return s.unreadable(lever.Opportunities, k, err)
			}
			var o struct {
				CreatedAt json.Number `json:"createdAt"`
			}
			if json.Unmarshal(buf, &o) != nil {
				return nil
			}
			created := number(o.CreatedAt)
			if created <= 0 {
				return nil
			}
			for i, r := range ranges {
				if created < r[0] || created > r[1] {
					continue
				}
				sp := &out[i]
				if sp.Count == 0 || created < sp.Oldest {
					sp.Oldest = created
				}
				sp.Newest = max(sp.Newest, created)
				sp.Count++
			}
			return nil
		})
	})
	return out, err
}
