package bulletin

import (
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

// highLevel is the lowest tree level whose stored hashes are kept in memory
// forever once seen: one per 2^highLevel records, so a few thousand for a
// million-record log, and with them every proof for a recent record is
// served from memory.
const highLevel = 12

// hashCache is a tlog.HashReader over a store that keeps the most recent
// stored hashes (a contiguous window) and all hashes at level highLevel and
// above in memory. Stored hashes never change, so caching them is safe.
type hashCache struct {
	store tlog.HashReader
	max   int // window trimmed to max/2 when it exceeds max

	mu   sync.RWMutex
	base int64       // stored hash index of win[0]
	win  []tlog.Hash // stored hashes [base, base+len(win))
	high map[int64]tlog.Hash
}

func newHashCache(s tlog.HashReader, next int64, max int) *hashCache {
	return &hashCache{store: s, max: max, base: next, high: make(map[int64]tlog.Hash)}
}

// add appends hashes starting at stored hash index start, which must be the
// end of the window.
func (c *hashCache) add(start int64, hs []tlog.Hash) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if start != c.base+int64(len(c.win)) {
		// Not contiguous (after a store failure and reload): restart the window.
		c.base, c.win = start, nil
	}
	c.win = append(c.win, hs...)
	if len(c.win) > c.max {
		drop := len(c.win) - c.max/2
		for i := 0; i < drop; i++ {
			x := c.base + int64(i)
			if lvl, _ := tlog.SplitStoredHashIndex(x); lvl >= highLevel {
				c.high[x] = c.win[i]
			}
		}
		c.win = append([]tlog.Hash(nil), c.win[drop:]...)
		c.base += int64(drop)
	}
}

// reset empties the window and restarts it at stored hash index next.
func (c *hashCache) reset(next int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.base, c.win = next, nil
}

// ReadHashes implements tlog.HashReader.
func (c *hashCache) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var miss []int
	c.mu.RLock()
	for i, x := range indexes {
		if x >= c.base && x < c.base+int64(len(c.win)) {
			out[i] = c.win[x-c.base]
		} else if h, ok := c.high[x]; ok {
			out[i] = h
		} else {
			miss = append(miss, i)
		}
	}
	c.mu.RUnlock()
	if len(miss) == 0 {
		return out, nil
	}
	idx := make([]int64, len(miss))
	for j, i := range miss {
		idx[j] = indexes[i]
	}
	hs, err := c.store.ReadHashes(idx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	for j, i := range miss {
		out[i] = hs[j]
		if lvl, _ := tlog.SplitStoredHashIndex(idx[j]); lvl >= highLevel {
			c.high[idx[j]] = hs[j]
		}
	}
	c.mu.Unlock()
	return out, nil
}

// recordCache keeps the most recent encoded records in memory, for the feed
// and for reads of the log's tail.
type recordCache struct {
	max int

	mu   sync.RWMutex
	base int64
	recs [][]byte
}

func (c *recordCache) add(start int64, recs [][]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if start != c.base+int64(len(c.recs)) {
		c.base, c.recs = start, nil
	}
	c.recs = append(c.recs, recs...)
	if len(c.recs) > c.max {
		drop := len(c.recs) - c.max/2
		c.recs = append([][]byte(nil), c.recs[drop:]...)
		c.base += int64(drop)
	}
}

// get returns records [start, end) if all are cached. The slices are shared
// and must not be modified.
func (c *recordCache) get(start, end int64) ([][]byte, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if start < c.base || end > c.base+int64(len(c.recs)) || start > end {
		return nil, false
	}
	return append([][]byte(nil), c.recs[start-c.base:end-c.base]...), true
}
