package replica

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cometbft/cometbft/mempool"
	"github.com/cometbft/cometbft/p2p"

	"github.com/evote/evote/bulletin"
)

// TestMempoolGossipCopies: of the copies of a transaction that reach an
// operator's mempool at once, as when several peers gossip it together,
// the mempool's cache lets one through to CheckTx and turns the others
// away, so that the transaction is held once; and once its block is
// committed no copy is left behind in any operator's mempool, where it
// would take room for good.
func TestMempoolGossipCopies(t *testing.T) {
	nw := newNetwork(t, 4, func(int) func() bulletin.Policy { return bulletin.NewOpenPolicy }, nil)
	const txs, copies = 40, 8
	key := testKey("gossip")
	var wg sync.WaitGroup
	// Transaction i reaches operator i % 4 first, in copies; the others
	// get it from there.
	var admitted [txs]atomic.Int32 // copies the mempool took to CheckTx
	for i := range txs {
		tx, err := bulletin.Sign(key, "note", fmt.Appendf(nil, `{"n":%d}`, i)).MarshalJSON()
		must(t, err)
		op := i % 4
		mp := nw.node(op).node.Mempool()
		for c := range copies {
			wg.Go(func() {
				// Each copy as from another peer.
				err := mp.CheckTx(tx, nil, mempool.TxInfo{SenderID: uint16(c + 1), SenderP2PID: p2p.ID(fmt.Sprintf("%040d", c))})
				switch {
				case err == nil:
					admitted[i].Add(1)
				case !errors.Is(err, mempool.ErrTxInCache):
					t.Errorf("operator %d, copy %d of transaction %d: %v", op+1, c, i, err)
				}
			})
		}
	}
	wg.Wait()
	for i := range txs {
		if n := admitted[i].Load(); n != 1 {
			t.Errorf("operator %d's mempool took %d of the %d copies of transaction %d to CheckTx, want 1", i%4+1, n, copies, i)
		}
	}
	for op := range 4 {
		nw.waitSize(op, txs)
	}
	// Once every block that holds them is committed, the mempools are
	// empty: the commit removes each committed transaction.
	deadline := time.Now().Add(waitFor)
	for op := 0; op < 4; {
		n := nw.node(op).MempoolSize()
		if n == 0 {
			op++
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("operator %d's mempool holds %d transactions after all %d were committed", op+1, n, txs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if size := nw.node(0).Log.Size(); size != txs {
		t.Errorf("%d records, want %d", size, txs)
	}
}
