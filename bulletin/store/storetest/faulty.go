package storetest

import (
	"context"
	"errors"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin/store"
)

// ErrInjected is the error returned by a Faulty store's injected failures.
var ErrInjected = errors.New("storetest: injected failure")

// Faulty wraps a Store and fails chosen operations, to test how its users
// handle a write that was lost and a write that was saved but reported as
// failed (for example when the connection dropped during COMMIT).
type Faulty struct {
	store.Store

	mu         sync.Mutex
	failAppend []bool // queue of pending Append faults: false = lost, true = saved
	failReads  bool
}

// NewFaulty returns a Faulty wrapping s with no faults armed.
func NewFaulty(s store.Store) *Faulty { return &Faulty{Store: s} }

// FailNextAppend arms a fault for the next Append that has not been failed
// yet. If saved, the batch is written before the error is returned;
// otherwise nothing is written.
func (f *Faulty) FailNextAppend(saved bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failAppend = append(f.failAppend, saved)
}

// FailReads makes every read (Size, Records, ReadHashes) fail while on is true.
func (f *Faulty) FailReads(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failReads = on
}

func (f *Faulty) readsFail() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failReads
}

// Append implements store.Store.
func (f *Faulty) Append(ctx context.Context, start int64, records [][]byte, hashes []tlog.Hash) error {
	f.mu.Lock()
	fault, saved := len(f.failAppend) > 0, false
	if fault {
		saved = f.failAppend[0]
		f.failAppend = f.failAppend[1:]
	}
	f.mu.Unlock()
	if !fault {
		return f.Store.Append(ctx, start, records, hashes)
	}
	if saved {
		if err := f.Store.Append(ctx, start, records, hashes); err != nil {
			return err
		}
	}
	return ErrInjected
}

// Size implements store.Store.
func (f *Faulty) Size(ctx context.Context) (int64, error) {
	if f.readsFail() {
		return 0, ErrInjected
	}
	return f.Store.Size(ctx)
}

// Records implements store.Store.
func (f *Faulty) Records(ctx context.Context, start, end int64) ([][]byte, error) {
	if f.readsFail() {
		return nil, ErrInjected
	}
	return f.Store.Records(ctx, start, end)
}

// ReadHashes implements store.Store.
func (f *Faulty) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	if f.readsFail() {
		return nil, ErrInjected
	}
	return f.Store.ReadHashes(indexes)
}
