// Package follow keeps an election's state in step with a bulletin board:
// it fetches the records appended since the last look, checks that they
// chain onto the ones before and hash to the board's latest signed
// checkpoint, and replays them into an election.State.
package follow

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/parallel"
)

// pageSize is how many records one request asks for.
const pageSize = 1000

// Follower follows one board. It is safe for concurrent use.
type Follower struct {
	client *client.Client

	mu       sync.Mutex
	progress func(done, total int64)
	state    *election.State
	hashes   hashList // the tree's stored hashes so far
	prev     []byte   // leaf hash of the last record taken in
	next     int64    // index of the next record to take in
}

// New returns a follower of the board behind c, starting from an empty
// state.
func New(c *client.Client) *Follower {
	return &Follower{client: c, state: election.NewState(), prev: make([]byte, 32)}
}

// SetProgress makes Sync report, after each page of records, how many of
// the checkpoint's records it has taken in.
func (f *Follower) SetProgress(fn func(done, total int64)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.progress = fn
}

// Sync takes in every record up to the board's latest signed checkpoint
// and returns the state. The client checks the checkpoint's signature and
// its consistency with the checkpoints it saw before; Sync checks the hash
// chain and that the records hash to the checkpoint's root. On error the
// state stays as it was after the last record taken in.
func (f *Follower) Sync(ctx context.Context) (*election.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cp, err := f.client.Checkpoint(ctx)
	if err != nil {
		return f.state, fmt.Errorf("reading the board's checkpoint: %w", err)
	}
	if cp.Size < f.next {
		return f.state, fmt.Errorf("the board's checkpoint has %d records, fewer than the %d already seen", cp.Size, f.next)
	}
	for f.next < cp.Size {
		recs, err := f.client.Records(ctx, f.next, min(f.next+pageSize, cp.Size))
		if err != nil {
			return f.state, fmt.Errorf("reading records from %d: %w", f.next, err)
		}
		if len(recs) == 0 {
			return f.state, fmt.Errorf("the board returned no record %d, below its checkpoint size %d", f.next, cp.Size)
		}
		// Decoding (a square root per point) is the costly part: do it on
		// every core, then admit in order.
		decoded := make([]any, len(recs))
		decodeErr := make([]error, len(recs))
		parallel.For(0, len(recs), func(i int) {
			decoded[i], decodeErr[i] = election.Decode(recs[i].Type, recs[i].Payload)
		})
		for i, rec := range recs {
			if int64(rec.Index) != f.next || !bytes.Equal(rec.Prev, f.prev) {
				return f.state, fmt.Errorf("record %d does not chain onto the record before it: the board is inconsistent", f.next)
			}
			data := rec.LeafData()
			stored, err := tlog.StoredHashes(f.next, data, f.hashes)
			if err != nil {
				return f.state, err
			}
			if decodeErr[i] != nil {
				return f.state, fmt.Errorf("the board holds a record that does not decode: record %d: %w", rec.Index, decodeErr[i])
			}
			if err := f.state.Admit(rec, decoded[i]); err != nil {
				return f.state, fmt.Errorf("the board holds a record the election rules refuse: record %d (%s): %w", rec.Index, rec.Type, err)
			}
			f.hashes = append(f.hashes, stored...)
			leaf := tlog.RecordHash(data)
			f.prev = leaf[:]
			f.next++
		}
		if f.progress != nil {
			f.progress(f.next, cp.Size)
		}
	}
	root, err := tlog.TreeHash(cp.Size, f.hashes)
	if err != nil {
		return f.state, err
	}
	if root != cp.Hash {
		return f.state, fmt.Errorf("the board's records do not hash to its signed checkpoint of size %d", cp.Size)
	}
	return f.state, nil
}

// hashList holds a tree's stored hashes in order; it is a tlog.HashReader.
type hashList []tlog.Hash

// ReadHashes implements tlog.HashReader.
func (h hashList) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(h)) {
			return nil, fmt.Errorf("stored hash %d not available", x)
		}
		out[i] = h[x]
	}
	return out, nil
}
