package bulletin_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/bulletin/store/storetest"
)

// chanSequencer is a bulletin.Sequencer that hands each transaction to
// the test, which plays consensus.
type chanSequencer struct{ txs chan []byte }

func (s *chanSequencer) Submit(ctx context.Context, tx []byte) error {
	select {
	case s.txs <- tx:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// next returns the next transaction submitted.
func (s *chanSequencer) next(t *testing.T) []byte {
	t.Helper()
	select {
	case tx := <-s.txs:
		return tx
	case <-time.After(10 * time.Second):
		t.Fatal("no transaction was submitted")
		return nil
	}
}

// verifyPolicy is an OpenPolicy whose Verify refuses a payload holding
// "bad" (code bad-proof), answers ErrQueueFull to the first two checks of
// a payload holding "busy", and counts its checks.
type verifyPolicy struct {
	bulletin.Policy
	checks, busy atomic.Int32
}

func (p *verifyPolicy) Verify(ctx context.Context, s *bulletin.Submission) error {
	p.checks.Add(1)
	switch {
	case bytes.Contains(s.Payload, []byte("bad")):
		return bulletin.Reject("bad-proof", "a bad proof")
	case bytes.Contains(s.Payload, []byte("busy")) && p.busy.Add(1) <= 2:
		return bulletin.ErrQueueFull
	}
	return nil
}

// openSequenced opens a log run by consensus over s with policy p, which
// starts afresh each time the log makes its policy.
func openSequenced(t *testing.T, s store.Store, p *verifyPolicy) (*bulletin.Log, *chanSequencer) {
	t.Helper()
	signer, _ := testNoteKey(t)
	seq := &chanSequencer{txs: make(chan []byte, 16)}
	newPolicy := func() bulletin.Policy {
		p.Policy = bulletin.NewOpenPolicy()
		return p
	}
	l, err := bulletin.OpenLog(t.Context(), s, newPolicy, bulletin.LogOptions{Signer: signer, Sequencer: seq})
	if err != nil {
		t.Fatalf("OpenLog: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l, seq
}

type appended struct {
	rec     *bulletin.Record
	receipt *bulletin.Receipt
	err     error
}

// appendAsync appends sub in a goroutine and returns where its outcome
// will be.
func appendAsync(l *bulletin.Log, sub *bulletin.Submission) chan appended {
	c := make(chan appended, 1)
	go func() {
		rec, r, err := l.Append(context.Background(), sub)
		c <- appended{rec, r, err}
	}()
	return c
}

// outcome returns what Append returned, waiting at most 10 s.
func outcome(t *testing.T, c chan appended) appended {
	t.Helper()
	select {
	case a := <-c:
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("Append did not return")
		return appended{}
	}
}

func tx(t *testing.T, s *bulletin.Submission) []byte {
	t.Helper()
	b, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rejectCode(err error) string {
	var re *bulletin.RejectError
	if errors.As(err, &re) {
		return re.Code
	}
	return ""
}

// TestSequencedBlocks: in consensus mode, Append hands the verified
// submission to the sequencer and returns once a committed block ordered
// it; a block's records take its time (truncated, never going back), its
// refused transactions get the rules' codes, nothing is stored until the
// commit, which stores the height and app hash with the records.
func TestSequencedBlocks(t *testing.T) {
	ctx := t.Context()
	_, vkey := testNoteKey(t)
	ms := store.NewMemory()
	p := new(verifyPolicy)
	l, seq := openSequenced(t, ms, p)
	if h, hash := l.Consensus(); h != 0 || hash != emptyTreeHash() {
		t.Fatalf("Consensus() of an empty log = %d, %v", h, hash)
	}

	first := appendAsync(l, sub(0))
	tx0 := seq.next(t)
	again := appendAsync(l, sub(0)) // the same submission, posted twice
	if !bytes.Equal(seq.next(t), tx0) {
		t.Fatal("the same submission made two transactions")
	}
	second := appendAsync(l, sub(1))
	tx1 := seq.next(t)
	if _, _, err := l.Append(ctx, bulletin.Sign(testKey("alice"), "note", []byte(`{"bad":1}`))); rejectCode(err) != "bad-proof" {
		t.Fatalf("Append of a submission the policy refuses = %v", err)
	}

	t1 := time.Date(2025, 3, 1, 8, 0, 0, 123456789, time.UTC)
	res, err := l.ExecuteBlock(ctx, 1, t1, [][]byte{tx0, []byte(`{"type":"x"`), tx1, tx0})
	if err != nil {
		t.Fatalf("ExecuteBlock(1): %v", err)
	}
	if res.Txs[0].Record == nil || res.Txs[2].Record == nil || res.Txs[0].Record.Index != 0 || res.Txs[2].Record.Index != 1 {
		t.Fatalf("block 1 made records %+v", res.Txs)
	}
	if c := rejectCode(res.Txs[1].Err); c != bulletin.CodeMalformed {
		t.Errorf("a transaction that is no submission: code %q, want malformed", c)
	}
	if c := rejectCode(res.Txs[3].Err); c != bulletin.CodeDuplicate {
		t.Errorf("a transaction repeated in the block: code %q, want duplicate", c)
	}
	want := t1.Truncate(time.Millisecond)
	if got := res.Txs[2].Record.Time; !got.Equal(want) {
		t.Errorf("record time = %v, want the block time %v", got, want)
	}
	chain := bulletin.NewChain(0)
	for _, r := range []*bulletin.Record{res.Txs[0].Record, res.Txs[2].Record} {
		if err := chain.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	if th, _ := chain.TreeHash(2); res.Size != 2 || res.AppHash != th {
		t.Errorf("block 1: size %d, app hash %v; want 2, %v", res.Size, res.AppHash, th)
	}
	if n, _ := ms.Size(ctx); n != 0 || l.Size() != 0 {
		t.Fatalf("an executed block is stored (%d) or published (%d) before its commit", n, l.Size())
	}
	if _, err := l.ExecuteBlock(ctx, 2, t1, nil); err == nil {
		t.Fatal("a block was executed before the one before it was committed")
	}
	if err := l.CommitBlock(ctx); err != nil {
		t.Fatalf("CommitBlock: %v", err)
	}
	if err := l.CommitBlock(ctx); err == nil {
		t.Fatal("a block was committed twice")
	}
	for _, c := range []chan appended{first, again, second} {
		a := outcome(t, c)
		if a.err != nil {
			t.Fatalf("Append: %v", a.err)
		}
		if _, err := a.receipt.Verify(vkey); err != nil || !a.receipt.Matches(a.rec) {
			t.Fatalf("receipt of record %d: %v", a.rec.Index, err)
		}
	}
	if h, hash := l.Consensus(); h != 1 || hash != res.AppHash || l.Size() != 2 || l.Checkpoint().Hash != res.AppHash {
		t.Fatalf("after block 1: height %d, app hash %v, size %d, checkpoint %v", h, hash, l.Size(), l.Checkpoint().Hash)
	}

	// A block earlier than the last record: its records keep the last time.
	third := appendAsync(l, sub(2))
	res, err = l.ExecuteBlock(ctx, 2, t1.Add(-time.Second), [][]byte{seq.next(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.CommitBlock(ctx); err != nil {
		t.Fatal(err)
	}
	if a := outcome(t, third); a.err != nil || !a.rec.Time.Equal(want) || res.Txs[0].Record.Time != a.rec.Time {
		t.Fatalf("record of a block dated before the last record: %v at %v, want %v", a.err, a.rec.Time, want)
	}
	// A resubmission of a stored record reaches a block, which refuses it.
	dup := appendAsync(l, sub(1))
	if _, err := l.ExecuteBlock(ctx, 3, t1, [][]byte{seq.next(t)}); err != nil {
		t.Fatal(err)
	}
	if err := l.CommitBlock(ctx); err != nil {
		t.Fatal(err)
	}
	if a := outcome(t, dup); !isDuplicate(a.err) {
		t.Fatalf("resubmission of a stored record = %v, want duplicate", a.err)
	}
	// An empty block moves the height, not the log.
	if _, err := l.ExecuteBlock(ctx, 4, t1, nil); err != nil {
		t.Fatal(err)
	}
	if err := l.CommitBlock(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ExecuteBlock(ctx, 6, t1, nil); err == nil {
		t.Fatal("block 6 was executed after block 4")
	}
	h, hash := l.Consensus()
	if h != 4 || l.Size() != 3 {
		t.Fatalf("after block 4: height %d, size %d", h, l.Size())
	}
	l.Close()

	// Reopened, the log has the height and app hash of its last block.
	l, _ = openSequenced(t, ms, p)
	if h2, hash2 := l.Consensus(); h2 != h || hash2 != hash || l.Size() != 3 {
		t.Fatalf("reopened: height %d, app hash %v, size %d; want %d, %v, 3", h2, hash2, l.Size(), h, hash)
	}
	if _, err := l.ExecuteBlock(ctx, 5, t1, nil); err != nil {
		t.Fatalf("block 5 after reopening: %v", err)
	}
	v, err := bulletin.VerifyExport(bytes.NewReader(exportBytes(t, ms)), 0)
	if err != nil || v.Size() != 3 {
		t.Fatalf("the export does not verify: %v", err)
	}
}

// TestVerifyBlock: a proposal's transactions are checked as Append
// checks a submission, only in their canonical encoding; a policy with no
// room is waited for; a transaction that passed is not checked again.
func TestVerifyBlock(t *testing.T) {
	ctx := t.Context()
	p := new(verifyPolicy)
	l, _ := openSequenced(t, store.NewMemory(), p)
	key := testKey("alice")
	good := tx(t, bulletin.Sign(key, "note", []byte(`{"good":1}`)))
	forged := bulletin.Sign(key, "note", []byte(`{"good":2}`))
	forged.Sig[0] ^= 1
	txs := [][]byte{
		good,
		tx(t, bulletin.Sign(key, "note", []byte(`{"bad":1}`))),
		tx(t, bulletin.Sign(key, "note", []byte(`{"busy":1}`))),
		[]byte("not json"),
		append([]byte(" "), good...),
		tx(t, forged),
	}
	refusals, err := l.VerifyBlock(ctx, txs)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"", "bad-proof", "", bulletin.CodeMalformed, bulletin.CodeMalformed, bulletin.CodeBadSignature}
	for i, r := range refusals {
		if got := rejectCode(r); got != want[i] || (r == nil) != (want[i] == "") {
			t.Errorf("transaction %d: %v, want code %q", i, r, want[i])
		}
	}
	if n := p.busy.Load(); n != 3 {
		t.Errorf("the busy transaction was checked %d times, want 3 (twice refused for room)", n)
	}
	checks := p.checks.Load()
	if err := l.VerifyTx(ctx, good); err != nil {
		t.Fatal(err)
	}
	if p.checks.Load() != checks {
		t.Error("a transaction that passed was checked again")
	}
}

// TestAdmitTx: CheckTx's admission runs only the cheap checks (the
// canonical encoding, the signature) and starts the policy's in the
// background; nothing passes a block on its word: a transaction admitted
// whose proof is bad is refused by the block's checks, before and after
// the background verification, which makes the recheck evict it; a good
// transaction is checked by the policy once in all; a transaction one byte
// away from a verified one is checked on its own.
func TestAdmitTx(t *testing.T) {
	ctx := t.Context()
	p := new(verifyPolicy)
	l, _ := openSequenced(t, store.NewMemory(), p)
	key := testKey("alice")
	good := tx(t, bulletin.Sign(key, "note", []byte(`{"good":1}`)))
	bad := tx(t, bulletin.Sign(key, "note", []byte(`{"bad":1}`)))
	forged := bulletin.Sign(key, "note", []byte(`{"good":1}`))
	forged.Sig[0] ^= 1
	for _, c := range []struct {
		name string
		tx   []byte
		code string
	}{
		{"not json", []byte("not json"), bulletin.CodeMalformed},
		{"not canonical", append([]byte(" "), good...), bulletin.CodeMalformed},
		{"forged signature", tx(t, forged), bulletin.CodeBadSignature},
	} {
		if err := l.AdmitTx(ctx, c.tx); rejectCode(err) != c.code {
			t.Errorf("AdmitTx(%s) = %v, want code %q", c.name, err, c.code)
		}
	}
	if n := p.checks.Load(); n != 0 {
		t.Fatalf("the policy checked %d transactions that failed the cheap checks", n)
	}

	if err := l.AdmitTx(ctx, bad); err != nil {
		t.Fatalf("AdmitTx(a bad proof) = %v, want it admitted, to be checked in the background", err)
	}
	// Whether or not the background check has run, a block's refuses it.
	refusals, err := l.VerifyBlock(ctx, [][]byte{bad, good, tx(t, forged)})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"bad-proof", "", bulletin.CodeBadSignature} {
		if got := rejectCode(refusals[i]); got != want || (refusals[i] == nil) != (want == "") {
			t.Errorf("VerifyBlock: transaction %d: %v, want code %q", i, refusals[i], want)
		}
	}
	// The background check ends with the refusal, which the recheck
	// gives and a new CheckTx too.
	for deadline := time.Now().Add(10 * time.Second); l.RecheckTx(bad) == nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the recheck still keeps a transaction whose proof is bad")
		}
	}
	if err := l.RecheckTx(bad); rejectCode(err) != "bad-proof" {
		t.Errorf("RecheckTx(bad) = %v, want code bad-proof", err)
	}
	if err := l.AdmitTx(ctx, bad); rejectCode(err) != "bad-proof" {
		t.Errorf("AdmitTx(bad) after its check = %v, want code bad-proof", err)
	}
	if refusals, err := l.VerifyBlock(ctx, [][]byte{bad}); err != nil || rejectCode(refusals[0]) != "bad-proof" {
		t.Errorf("VerifyBlock(bad) after its check = %v, %v, want code bad-proof", refusals, err)
	}

	// A good transaction: admitted, verified once between the background
	// and the block, kept by the recheck.
	checks := p.checks.Load()
	good2 := tx(t, bulletin.Sign(key, "note", []byte(`{"good":2}`)))
	if err := l.AdmitTx(ctx, good2); err != nil {
		t.Fatal(err)
	}
	if refusals, err := l.VerifyBlock(ctx, [][]byte{good2}); err != nil || refusals[0] != nil {
		t.Fatalf("VerifyBlock(good) = %v, %v", refusals, err)
	}
	if _, err := l.ExecuteBlock(ctx, 1, time.Now(), [][]byte{good2}); err != nil {
		t.Fatal(err)
	}
	if err := l.CommitBlock(ctx); err != nil {
		t.Fatal(err)
	}
	// verifyPolicy does not say that its rules refuse a replay
	// (bulletin.ReplayRefuser): CheckTx leaves the committed transaction
	// to its block.
	if err := l.AdmitTx(ctx, good2); err != nil {
		t.Fatal(err)
	}
	if err := l.RecheckTx(good2); err != nil {
		t.Errorf("RecheckTx(good) = %v", err)
	}
	l.Close() // waits for the background checks
	if n := p.checks.Load() - checks; n != 1 {
		t.Errorf("the policy checked a good transaction %d times from CheckTx to its block, want 1", n)
	}
}

// replayPolicy is an OpenPolicy whose rules take a record of type "log"
// again and again, as the election's take a client hash, and say so
// (bulletin.ReplayRefuser).
type replayPolicy struct{ bulletin.Policy }

func (p replayPolicy) Admit(rec *bulletin.Record) error {
	if rec.Type == "log" {
		return nil
	}
	return p.Policy.Admit(rec)
}

func (p replayPolicy) RefusesReplay(typ string) bool { return typ != "log" }

// TestAdmitTxCommitted: CheckTx's admission refuses a transaction that
// became a record of a committed block, gossiped back or posted again, as
// a duplicate naming the record, if the rules refuse its replay; it
// admits one whose block is executed but not committed, a replay that the
// rules would take, and another submission of the same author (a
// re-vote), which only a block can judge. The recheck does not look; a
// proposer asks Replayed. A block's verdict is the rules', whatever
// CheckTx said.
func TestAdmitTxCommitted(t *testing.T) {
	ctx := t.Context()
	signer, _ := testNoteKey(t)
	st := store.NewMemory()
	l, err := bulletin.OpenLog(ctx, st, func() bulletin.Policy { return replayPolicy{bulletin.NewOpenPolicy()} },
		bulletin.LogOptions{Signer: signer, Sequencer: &chanSequencer{txs: make(chan []byte, 16)}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { l.Close() }() // the log open at the end
	key := testKey("alice")
	note := tx(t, bulletin.Sign(key, "note", []byte(`{"n":1}`)))
	logged := tx(t, bulletin.Sign(key, "log", []byte(`{"n":1}`)))
	revote := tx(t, bulletin.Sign(key, "note", []byte(`{"n":2}`)))
	admitted := func(when string, txs ...[]byte) {
		t.Helper()
		for i, tx := range txs {
			if err := l.AdmitTx(ctx, tx); err != nil {
				t.Errorf("%s: AdmitTx(transaction %d) = %v, want it admitted", when, i, err)
			}
		}
	}
	duplicate := func(when string, tx []byte, index int64) {
		t.Helper()
		err := l.AdmitTx(ctx, tx)
		var re *bulletin.RejectError
		if !errors.As(err, &re) || re.Code != bulletin.CodeDuplicate {
			t.Fatalf("%s: AdmitTx = %v, want a duplicate", when, err)
		}
		if i, ok := bulletin.DuplicateOf(re.Reason); !ok || i != index {
			t.Errorf("%s: AdmitTx = %v, naming record %d (%v), want record %d", when, err, i, ok, index)
		}
	}

	admitted("before its block", note, logged)
	if _, err := l.ExecuteBlock(ctx, 1, time.Now(), [][]byte{note, logged}); err != nil {
		t.Fatal(err)
	}
	admitted("its block executed, not committed", note, logged)
	if err := l.CommitBlock(ctx); err != nil {
		t.Fatal(err)
	}
	duplicate("its block committed", note, 0)
	duplicate("again", note, 0)
	admitted("committed, a type the rules take again", logged)
	admitted("another submission of the same author", revote)
	if err := l.RecheckTx(note); err != nil {
		t.Errorf("RecheckTx(a committed transaction) = %v: the recheck looks up background verdicts only", err)
	}
	// A proposer asks the same, to leave such a transaction out.
	if err := l.Replayed(note); rejectCode(err) != bulletin.CodeDuplicate {
		t.Errorf("Replayed(a committed transaction) = %v, want a duplicate", err)
	}
	for i, tx := range [][]byte{logged, revote} {
		if err := l.Replayed(tx); err != nil {
			t.Errorf("Replayed(transaction %d) = %v, want nil", i, err)
		}
	}

	// The block decides: it refuses the replay CheckTx refused (had a
	// faulty proposer put it in), takes the replay that CheckTx admitted
	// and the rules take, and the re-vote.
	res, err := l.ExecuteBlock(ctx, 2, time.Now(), [][]byte{note, logged, revote})
	if err != nil {
		t.Fatal(err)
	}
	if rejectCode(res.Txs[0].Err) != bulletin.CodeDuplicate || res.Txs[1].Record == nil || res.Txs[2].Record == nil {
		t.Fatalf("block 2: %+v, want the replay refused as a duplicate and two records", res.Txs)
	}
	if err := l.CommitBlock(ctx); err != nil {
		t.Fatal(err)
	}
	duplicate("the re-vote committed", revote, 3)
	admitted("committed twice, a type the rules take again", logged)

	// After a restart (an operator's crash), the log remembers what its
	// store holds: a replay is still refused at once, naming its record.
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if l, err = bulletin.OpenLog(ctx, st, func() bulletin.Policy { return replayPolicy{bulletin.NewOpenPolicy()} },
		bulletin.LogOptions{Signer: signer, Sequencer: &chanSequencer{txs: make(chan []byte, 16)}}); err != nil {
		t.Fatal(err)
	}
	duplicate("after a restart", note, 0)
	duplicate("the re-vote, after a restart", revote, 3)
	admitted("after a restart, a type the rules take again", logged)
	if err := l.Replayed(note); rejectCode(err) != bulletin.CodeDuplicate {
		t.Errorf("Replayed(a committed transaction) after a restart = %v, want a duplicate", err)
	}
}

// TestSequencedFailures: a log run by consensus needs a store that keeps
// its height and opens in the foreground; a store of a single board is
// not a replica's; a commit that cannot be stored fails the waiting
// Appends, and the log takes no more blocks.
func TestSequencedFailures(t *testing.T) {
	ctx := t.Context()
	signer, _ := testNoteKey(t)
	seq := &chanSequencer{txs: make(chan []byte, 16)}
	for name, c := range map[string]struct {
		s    store.Store
		opts bulletin.LogOptions
	}{
		"a store without metadata": {storetest.NewFaulty(store.NewMemory()), bulletin.LogOptions{Signer: signer, Sequencer: seq}},
		"background":               {store.NewMemory(), bulletin.LogOptions{Signer: signer, Sequencer: seq, Background: true}},
		"a single board's store":   {func() store.Store { ms, _ := storedLog(t, 2); return ms }(), bulletin.LogOptions{Signer: signer, Sequencer: seq}},
	} {
		if l, err := bulletin.OpenLog(ctx, c.s, bulletin.NewOpenPolicy, c.opts); err == nil {
			l.Close()
			t.Errorf("OpenLog with %s succeeded", name)
		}
	}

	// A replica's store served, then, as a single board: its records no
	// longer hash to its last block's app hash.
	ms := store.NewMemory()
	l, _ := openSequenced(t, ms, new(verifyPolicy))
	if _, err := l.ExecuteBlock(ctx, 1, time.Now(), [][]byte{tx(t, sub(0))}); err != nil {
		t.Fatal(err)
	}
	if err := l.CommitBlock(ctx); err != nil {
		t.Fatal(err)
	}
	l.Close()
	single := openTestLog(t, ms, bulletin.NewOpenPolicy)
	appendN(t, single, 1, 1)
	single.Close()
	if l, err := bulletin.OpenLog(ctx, ms, bulletin.NewOpenPolicy, bulletin.LogOptions{Signer: signer, Sequencer: seq}); err == nil || !strings.Contains(err.Error(), "app hash") {
		if err == nil {
			l.Close()
		}
		t.Fatalf("OpenLog of a replica's store appended to by a single board = %v", err)
	}

	ms = store.NewMemory()
	l, seq = openSequenced(t, ms, new(verifyPolicy))
	waiting := appendAsync(l, sub(0))
	if _, err := l.ExecuteBlock(ctx, 1, time.Now(), [][]byte{seq.next(t)}); err != nil {
		t.Fatal(err)
	}
	ms.Close()
	if err := l.CommitBlock(ctx); err == nil {
		t.Fatal("CommitBlock to a closed store succeeded")
	}
	if a := outcome(t, waiting); a.err == nil {
		t.Fatal("Append succeeded though its block was not stored")
	}
	if _, err := l.ExecuteBlock(ctx, 1, time.Now(), nil); err == nil || !strings.Contains(err.Error(), "restart") {
		t.Fatalf("ExecuteBlock after a failed commit = %v, want a refusal", err)
	}
	if _, _, err := l.Append(ctx, sub(1)); err == nil {
		t.Fatal("Append after a failed commit succeeded")
	}
}

func emptyTreeHash() tlog.Hash {
	h, _ := tlog.TreeHash(0, nil)
	return h
}

func exportBytes(t *testing.T, s store.Store) []byte {
	t.Helper()
	return bytes.Join(exportLines(t, s), nil)
}

// TestSequencedCrashBeforeCommit: a log closed between executing a block
// and committing it has stored nothing of it; opened again, it executes
// the block again, as CometBFT's handshake replays it, to the same app
// hash and records.
func TestSequencedCrashBeforeCommit(t *testing.T) {
	ctx := t.Context()
	ms := store.NewMemory()
	p := new(verifyPolicy)
	l, _ := openSequenced(t, ms, p)
	txs := [][]byte{tx(t, sub(0)), tx(t, sub(1))}
	at := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	first, err := l.ExecuteBlock(ctx, 1, at, txs)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := l.CommitBlock(ctx); err == nil {
		t.Fatal("CommitBlock after Close succeeded")
	}
	l, _ = openSequenced(t, ms, p)
	if h, _ := l.Consensus(); h != 0 || l.Size() != 0 {
		t.Fatalf("after a crash before the commit: height %d, size %d; want 0, 0", h, l.Size())
	}
	again, err := l.ExecuteBlock(ctx, 1, at, txs)
	if err != nil {
		t.Fatal(err)
	}
	if again.AppHash != first.AppHash || again.Size != 2 {
		t.Fatalf("block 1 executed again: size %d, app hash %v; first %d, %v", again.Size, again.AppHash, first.Size, first.AppHash)
	}
	if err := l.CommitBlock(ctx); err != nil {
		t.Fatal(err)
	}
	if h, hash := l.Consensus(); h != 1 || hash != first.AppHash || l.Size() != 2 {
		t.Fatalf("after block 1: height %d, app hash %v, size %d", h, hash, l.Size())
	}
}
