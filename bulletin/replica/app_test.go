package replica

import (
	"bytes"
	"context"
	"crypto/rand"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store"
)

// nopSequencer takes every transaction and orders none: the tests of the
// App drive its blocks themselves.
type nopSequencer struct{}

func (nopSequencer) Submit(context.Context, []byte) error { return nil }

// newTestApp returns an App over a fresh log run by consensus, with the
// open policy, whose blocks the test executes through the App's ABCI
// calls, without CometBFT.
func newTestApp(t *testing.T) *App {
	t.Helper()
	skey, _, err := note.GenerateKey(rand.Reader, "app.board.example")
	must(t, err)
	signer, err := note.NewSigner(skey)
	must(t, err)
	l, err := bulletin.OpenLog(t.Context(), store.NewMemory(), bulletin.NewOpenPolicy, bulletin.LogOptions{Signer: signer, Sequencer: nopSequencer{}})
	must(t, err)
	t.Cleanup(func() { l.Close() })
	return NewApp(l)
}

// block executes and commits block height of txs through the App, and
// returns each transaction's result.
func block(t *testing.T, a *App, height int64, txs ...[]byte) []*abci.ExecTxResult {
	t.Helper()
	ctx := t.Context()
	res, err := a.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: height, Time: time.Unix(1e9+height, 0), Txs: txs})
	must(t, err)
	_, err = a.Commit(ctx, &abci.RequestCommit{})
	must(t, err)
	return res.TxResults
}

// checkTx runs CheckTx of kind typ on tx and returns its result.
func checkTx(t *testing.T, a *App, typ abci.CheckTxType, tx []byte) *abci.ResponseCheckTx {
	t.Helper()
	res, err := a.CheckTx(t.Context(), &abci.RequestCheckTx{Tx: tx, Type: typ})
	must(t, err)
	return res
}

// TestAppRefusedCounts: the App counts, by code, the new transactions
// CheckTx refuses (not a recheck's) and the transactions of blocks that
// the rules refuse; a transaction that passes or becomes a record counts
// nowhere.
func TestAppRefusedCounts(t *testing.T) {
	a := newTestApp(t)
	key := testKey("alice")
	first := txOf(t, bulletin.Sign(key, "note", []byte(`{"n":1}`)))
	forged := bulletin.Sign(key, "note", []byte(`{"n":2}`))
	forged.Sig[0] ^= 1
	for _, typ := range []abci.CheckTxType{abci.CheckTxType_New, abci.CheckTxType_Recheck} {
		if res := checkTx(t, a, typ, txOf(t, forged)); typ == abci.CheckTxType_New && (res.Code != CodeRefused || string(res.Data) != bulletin.CodeBadSignature) {
			t.Fatalf("CheckTx(a forged signature) = %d %q, want %d %q", res.Code, res.Data, CodeRefused, bulletin.CodeBadSignature)
		}
	}
	if res := checkTx(t, a, abci.CheckTxType_New, first); res.Code != CodeOK {
		t.Fatalf("CheckTx(a new submission) = %d %q: %s", res.Code, res.Data, res.Log)
	}
	// A block holding the same transaction twice (a byzantine proposer's,
	// decided by a faulty quorum, or one of an earlier version): the rules
	// refuse the second copy.
	res := block(t, a, 1, first, first)
	if res[0].Code != CodeOK || res[1].Code != CodeRefused || string(res[1].Data) != bulletin.CodeDuplicate {
		t.Fatalf("a block holding one transaction twice: %v", res)
	}
	checkTxRefused, blockRefused := a.Refused()
	if len(checkTxRefused) != 1 || checkTxRefused[bulletin.CodeBadSignature] != 1 {
		t.Errorf("CheckTx refused %v, want one bad-signature (a recheck's refusal is not counted)", checkTxRefused)
	}
	if len(blockRefused) != 1 || blockRefused[bulletin.CodeDuplicate] != 1 {
		t.Errorf("blocks refused %v, want one duplicate", blockRefused)
	}
}

// TestCheckTxCommitted: CheckTx refuses a new transaction that became a
// record of a committed block (gossiped back after its block, or posted
// again) as a duplicate naming the record, and counts it; it admits a
// transaction of the same author that is not yet on the board.
func TestCheckTxCommitted(t *testing.T) {
	a := newTestApp(t)
	key := testKey("alice")
	first := txOf(t, bulletin.Sign(key, "note", []byte(`{"n":1}`)))
	second := txOf(t, bulletin.Sign(key, "note", []byte(`{"n":2}`)))
	if res := block(t, a, 1, first); res[0].Code != CodeOK {
		t.Fatalf("block 1: %v", res)
	}
	res := checkTx(t, a, abci.CheckTxType_New, first)
	if res.Code != CodeRefused || string(res.Data) != bulletin.CodeDuplicate {
		t.Fatalf("CheckTx(a committed transaction) = %d %q: %s, want %d %q", res.Code, res.Data, res.Log, CodeRefused, bulletin.CodeDuplicate)
	}
	if i, ok := bulletin.DuplicateOf(res.Log); !ok || i != 0 {
		t.Errorf("CheckTx(a committed transaction) names record %d (%v): %q, want record 0", i, ok, res.Log)
	}
	if res := checkTx(t, a, abci.CheckTxType_New, second); res.Code != CodeOK {
		t.Errorf("CheckTx(another submission of the same author) = %d %q: %s", res.Code, res.Data, res.Log)
	}
	if checkTxRefused, blockRefused := a.Refused(); checkTxRefused[bulletin.CodeDuplicate] != 1 || len(blockRefused) != 0 {
		t.Errorf("Refused() = %v, %v, want one duplicate refused by CheckTx, none by a block", checkTxRefused, blockRefused)
	}
}

// TestPrepareProposalDuplicates: a proposer leaves out of its block what
// the block would refuse as a duplicate for sure, which CometBFT's mempool
// can hand it when two peers gossip one transaction at once: a second
// copy of a transaction, and a transaction that already became a record.
// It keeps the rest, in the mempool's order.
func TestPrepareProposalDuplicates(t *testing.T) {
	a := newTestApp(t)
	key := testKey("alice")
	first := txOf(t, bulletin.Sign(key, "note", []byte(`{"n":1}`)))
	second := txOf(t, bulletin.Sign(key, "note", []byte(`{"n":2}`)))
	third := txOf(t, bulletin.Sign(key, "note", []byte(`{"n":3}`)))
	block(t, a, 1, first)
	res, err := a.PrepareProposal(t.Context(), &abci.RequestPrepareProposal{
		Txs: [][]byte{first, second, second, third, first}, MaxTxBytes: 1 << 20, Height: 2,
	})
	must(t, err)
	if len(res.Txs) != 2 || !bytes.Equal(res.Txs[0], second) || !bytes.Equal(res.Txs[1], third) {
		t.Errorf("PrepareProposal proposes %d transactions, want the second and the third: %q", len(res.Txs), res.Txs)
	}
}
