package storetest

import (
	"context"
	"sync"

	"github.com/evote/evote/bulletin/store"
)

// Gated wraps a Store and holds back every read of more than one record,
// such as the pages of a log's replay, until Release is called, to test
// what a store's users do while a long read is under way. Reads of one
// record and all other operations pass through at once. A held-back read
// waits whatever its context says, as one stuck on a slow disk would.
type Gated struct {
	store.Store

	gate chan struct{}
	once sync.Once
}

// NewGated returns a Gated wrapping s, holding reads back.
func NewGated(s store.Store) *Gated { return &Gated{Store: s, gate: make(chan struct{})} }

// Release lets the held-back reads, and all later ones, through. It may be
// called more than once.
func (g *Gated) Release() { g.once.Do(func() { close(g.gate) }) }

// Records implements store.Store.
func (g *Gated) Records(ctx context.Context, start, end int64) ([][]byte, error) {
	if end-start > 1 {
		<-g.gate
	}
	return g.Store.Records(ctx, start, end)
}
