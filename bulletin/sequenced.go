package bulletin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/internal/parallel"
)

// Sequencer orders the submissions of a log run by consensus: the
// operators of a replicated board agree, through a BFT consensus engine,
// on blocks of transactions, and every operator's log takes in each block,
// in the same order (docs/spec/replicated-board.md). A log opened with
// LogOptions.Sequencer has no writer of its own: Append verifies a
// submission and hands it to the sequencer, and records are made only from
// the blocks that the consensus engine's application executes
// (Log.ExecuteBlock) and commits (Log.CommitBlock).
type Sequencer interface {
	// Submit hands tx, the canonical encoding of a submission the log has
	// verified (Submission.MarshalJSON), to consensus, for a block to
	// include. It returns once tx is queued (in the consensus engine's
	// mempool), not once it is ordered; an error means it was not queued
	// (wrapping ErrQueueFull if there was no room). It is called
	// concurrently.
	Submit(ctx context.Context, tx []byte) error
}

// consensusKey is the store.MetaStore key under which a log run by
// consensus keeps the height and app hash of its last committed block.
const consensusKey = "consensus"

// parsedTxs is how many parsed transactions a log keeps, from CheckTx to
// their block: a block's worth and more.
const parsedTxs = 1 << 13

// verifiedTxs is how many transactions that passed VerifyTx a log
// remembers, so that it does not verify them again when they come back in
// a proposal or a block.
const verifiedTxs = 1 << 16

// committedTxs is how many of the transactions that became records a log
// run by consensus remembers, with their records' indexes, so that CheckTx
// refuses one that comes again after its block (Log.AdmitTx): it is
// gossiped back within a block or two, and posted again within a client's
// attempts.
const committedTxs = verifiedTxs

// seededTxs is how many of the last records a log run by consensus
// remembers as committed transactions when it opens (Log.seedCommitted):
// the records of about half a minute at the rates measured, long enough
// for a post that the operator's crash interrupted to come back; an older
// replay goes to a block, which refuses it.
const seededTxs = committedTxs / 8

// BlockResult is what Log.ExecuteBlock made of a block: each
// transaction's outcome and the log's tree hash with the block's records,
// the block's app hash.
type BlockResult struct {
	// Height is the block's height.
	Height int64
	// Txs holds the outcome of each transaction, in block order.
	Txs []TxResult
	// Size is the size of the log with the block's records, and AppHash
	// the tree hash of those Size records.
	Size    int64
	AppHash tlog.Hash
}

// TxResult is the outcome of one transaction of a block.
type TxResult struct {
	// Record is the record the transaction became; nil if it was refused.
	Record *Record
	// Err is why the transaction was refused: a *RejectError, possibly
	// wrapped.
	Err error
}

// executed is the block ExecuteBlock executed and CommitBlock commits.
type executed struct {
	*BlockResult
	batch *batch
	// answer[i] is the signature whose waiters learn the outcome of
	// transaction i: nil for a transaction that failed its checks, which
	// no honest operator's Append submitted.
	answer [][]byte
	leaves []tlog.Hash // leaves[i]: the leaf hash of transaction i's record
	txs    [][]byte    // the block's transactions
}

// openConsensus reads the height and app hash of the last committed
// block from the store, and checks that the app hash is the tree hash of
// the stored log.
func (l *Log) openConsensus(ctx context.Context) error {
	v, err := l.meta.Meta(ctx, consensusKey)
	if err != nil {
		return fmt.Errorf("bulletin: opening log: %w", err)
	}
	cp := l.Checkpoint()
	if v == "" {
		if cp.Size > 0 {
			return fmt.Errorf("bulletin: opening log: the store holds %d records but no consensus height: it is not the store of a replicated board", cp.Size)
		}
		l.height, l.appHash = 0, cp.Hash
		return nil
	}
	height, hash, err := parseConsensus(v)
	if err != nil {
		return fmt.Errorf("bulletin: opening log: the store's consensus state %q: %w", v, err)
	}
	if hash != cp.Hash {
		return fmt.Errorf("bulletin: opening log: the store's block %d has app hash %x…, but its %d records hash to %x…", height, hash[:8], cp.Size, cp.Hash[:8])
	}
	l.height, l.appHash = height, hash
	return l.seedCommitted(ctx, cp.Size)
}

// seedCommitted remembers the transactions of the last seededTxs of the
// n stored records as committed, with their indexes, as CommitBlock
// remembered them before the log closed, so that after a restart AdmitTx
// still refuses a replay of a recent record as a duplicate naming it
// (replayRefusal), rather than letting it take a slot in a block that
// refuses it. A record's transaction is its submission's canonical
// encoding, the only one a block takes.
func (l *Log) seedCommitted(ctx context.Context, n int64) error {
	const pageSize = 1000
	for start := max(0, n-seededTxs); start < n; start += pageSize {
		encs, err := l.store.Records(ctx, start, min(n, start+pageSize))
		if err != nil {
			return fmt.Errorf("bulletin: opening log: %w", err)
		}
		for i, enc := range encs {
			rec, err := ParseRecord(enc)
			if err != nil {
				return fmt.Errorf("bulletin: opening log: stored record %d: %w", start+int64(i), err)
			}
			tx, err := rec.Submission().MarshalJSON()
			if err != nil {
				return fmt.Errorf("bulletin: opening log: stored record %d: %w", start+int64(i), err)
			}
			l.committed.add(sha256.Sum256(tx), start+int64(i))
		}
	}
	return nil
}

// formatConsensus encodes a block's height and app hash as the store keeps
// them: the height in decimal, a space, the hash in lowercase hex.
func formatConsensus(height int64, hash tlog.Hash) string {
	return strconv.FormatInt(height, 10) + " " + hex.EncodeToString(hash[:])
}

// parseConsensus decodes what formatConsensus wrote, and only that.
func parseConsensus(v string) (int64, tlog.Hash, error) {
	hs, xs, ok := strings.Cut(v, " ")
	height, err := strconv.ParseInt(hs, 10, 64)
	var hash tlog.Hash
	if !ok || err != nil || height < 1 || strconv.FormatInt(height, 10) != hs || hex.DecodedLen(len(xs)) != len(hash) {
		return 0, hash, errors.New("not a height and an app hash")
	}
	if _, err := hex.Decode(hash[:], []byte(xs)); err != nil || hex.EncodeToString(hash[:]) != xs {
		return 0, hash, errors.New("not a height and an app hash")
	}
	return height, hash, nil
}

// Consensus returns the height and app hash of the last block the log
// committed: 0 and the empty tree's hash before the first. A consensus
// engine's handshake asks for them, to replay the blocks the log lacks.
func (l *Log) Consensus() (height int64, appHash tlog.Hash) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.height, l.appHash
}

// sequence hands a verified submission to the sequencer and waits until
// a committed block has ordered it.
func (l *Log) sequence(ctx context.Context, sub *Submission) (appendResult, error) {
	tx, err := sub.MarshalJSON()
	if err != nil {
		return appendResult{}, fmt.Errorf("bulletin: encoding the submission: %w", err)
	}
	l.verified.add(sha256.Sum256(tx), struct{}{})
	ch, err := l.waiting.add(sub.Sig)
	if err != nil {
		return appendResult{}, err
	}
	if err := l.seq.Submit(ctx, tx); err != nil {
		l.waiting.remove(sub.Sig, ch)
		return appendResult{}, fmt.Errorf("bulletin: submitting to consensus: %w", err)
	}
	select {
	case res := <-ch:
		return res, nil
	case <-ctx.Done():
		l.waiting.remove(sub.Sig, ch)
		return appendResult{}, fmt.Errorf("bulletin: waiting for a block to order the submission: %w", ctx.Err())
	}
}

// VerifyTx runs on a transaction, in the log's current state, the checks
// that Append runs on a submission: tx must be the canonical encoding of a
// submission (Submission.MarshalJSON) that passes Submission.Check and the
// policy's Verify. A refusal is a *RejectError, possibly wrapped; any other
// error (ErrQueueFull, ctx's, ErrClosed) says nothing about tx. Only a log
// run by consensus verifies transactions: it remembers, by their hash, the
// ones that passed, and passes them again without repeating the policy's
// checks, which the policy's monotone Verify allows (LogOptions.Sequencer).
func (l *Log) VerifyTx(ctx context.Context, tx []byte) error {
	_, err := l.verifyTx(ctx, tx)
	return err
}

// verifyTx is VerifyTx, returning the submission tx encodes if it parsed.
func (l *Log) verifyTx(ctx context.Context, tx []byte) (*Submission, error) {
	if l.seq == nil {
		return nil, errors.New("bulletin: verifying a transaction: the log is not run by consensus")
	}
	sub, h, err := l.parseTx(tx)
	if err != nil {
		return sub, err
	}
	return sub, l.verifyOnce(ctx, h, sub, false)
}

// verifyOnce runs the policy's checks of sub, whose transaction has hash
// h, unless it passed them already (the cache of verified transactions)
// or is passing them now: a block's check of a transaction that AdmitTx
// is verifying in the background waits for that verification, and takes
// its verdict if it passed; if not, it verifies the transaction itself, in
// its own state and context. checked skips Submission.Check, which
// AdmitTx ran. A pass is remembered.
func (l *Log) verifyOnce(ctx context.Context, h [sha256.Size]byte, sub *Submission, checked bool) error {
	if l.verified.has(h) {
		return nil
	}
	l.flightMu.Lock()
	if f, ok := l.flight[h]; ok {
		l.flightMu.Unlock()
		select {
		case <-f.done:
			if f.err == nil {
				return nil
			}
		case <-ctx.Done():
			return ctx.Err()
		}
		err := l.verifyPolicy(ctx, sub, checked)
		if err == nil {
			l.verified.add(h, struct{}{})
		}
		return err
	}
	f := &flight{done: make(chan struct{})}
	l.flight[h] = f
	l.flightMu.Unlock()
	f.err = l.verifyPolicy(ctx, sub, checked)
	if f.err == nil {
		l.verified.add(h, struct{}{})
	}
	l.flightMu.Lock()
	delete(l.flight, h)
	l.flightMu.Unlock()
	close(f.done)
	return f.err
}

// flight is a verification under way (Log.verifyOnce): err is its verdict
// once done is closed.
type flight struct {
	done chan struct{}
	err  error
}

// parseTx parses tx, which must be the canonical encoding of a submission
// (Submission.MarshalJSON), and returns it with tx's SHA-256, the key of
// the log's caches. A transaction is parsed once: from CheckTx to its
// block, the submission is taken from the cache of parsed transactions.
func (l *Log) parseTx(tx []byte) (*Submission, [sha256.Size]byte, error) {
	h := sha256.Sum256(tx)
	if sub, ok := l.parsed.get(h); ok {
		return sub, h, nil
	}
	sub, err := ParseSubmission(tx)
	if err != nil {
		return nil, h, Reject(CodeMalformed, "%v", err)
	}
	if enc, err := sub.MarshalJSON(); err != nil || !bytes.Equal(enc, tx) {
		return sub, h, Reject(CodeMalformed, "the transaction is not the canonical encoding of its submission")
	}
	l.parsed.add(h, sub)
	return sub, h, nil
}

// AdmitTx runs the cheap checks of a transaction that is to enter the
// consensus engine's mempool (docs/spec/replicated-board.md §1): tx must
// be the canonical encoding of a submission that passes Submission.Check
// (well-formed, correctly signed), and must not have become a record of
// the committed log already, if the rules are sure to refuse it again
// (replayRefusal). The costly rest of VerifyTx, the policy's checks and a
// ballot's proofs, it starts in the background, batched with the other
// transactions that arrive meanwhile, so that the block holding tx finds
// its verdict made; a block's own checks (VerifyBlock, ExecuteBlock)
// verify every transaction not yet verified, so nothing passes on
// AdmitTx's word. A transaction that passed VerifyTx passes; one whose
// verification ahead was refused gets that refusal (RecheckTx evicts it
// from the mempool). Only a log run by consensus admits transactions.
func (l *Log) AdmitTx(ctx context.Context, tx []byte) error {
	if l.seq == nil {
		return errors.New("bulletin: admitting a transaction: the log is not run by consensus")
	}
	sub, h, err := l.parseTx(tx)
	if err != nil {
		return err
	}
	if err := l.replayRefusal(h, sub); err != nil {
		return err
	}
	if l.verified.has(h) {
		return nil
	}
	if err, ok := l.refused.get(h); ok {
		return err
	}
	if err := sub.Check(l.maxPay); err != nil {
		return err
	}
	l.ahead.start(func(ctx context.Context) {
		var rej *RejectError
		if err := l.verifyOnce(ctx, h, sub, true); errors.As(err, &rej) {
			l.refused.add(h, err)
		}
		// Any other error (no room, closing) says nothing of tx: its
		// block verifies it.
	})
	return nil
}

// replayRefusal refuses the transaction of hash h and submission sub as a
// duplicate naming its record, if it became a record of the committed log
// (one of the last committedTxs to) and the policy's rules refuse a
// replay of a record of its type (ReplayRefuser); otherwise it returns
// nil.
//
// This refusal is sure: the committed log only grows, so the record stays
// in it, and the rules refuse its replay in every later state, so every
// block that could hold the transaction refuses it, on every operator.
// The other rules that depend on the state (the phase, authority,
// re-voting) are left to the block: the state here is not the state of
// the block that will hold the transaction, which may follow blocks that
// change the phase, or order a voter's re-vote before or after another
// ballot of theirs; refused here, a transaction that its block would take
// would be lost. A block's checks never consult what CheckTx decided, so
// nothing here can make two operators' blocks differ.
func (l *Log) replayRefusal(h [sha256.Size]byte, sub *Submission) error {
	index, ok := l.committed.get(h)
	if !ok {
		return nil
	}
	if rr, ok := l.policy.Load().p.(ReplayRefuser); !ok || !rr.RefusesReplay(sub.Type) {
		return nil
	}
	return Reject(CodeDuplicate, "this submission is already on the board as record %d", index)
}

// Replayed returns the refusal AdmitTx gives tx if tx already became a
// record of the committed log and the rules are sure to refuse it again
// (replayRefusal), and nil otherwise, or if the log is not run by
// consensus. A proposer leaves such a transaction out of its block: a
// mempool that keeps no cache of the transactions it saw (as in a home an
// earlier evote wrote) can still hold one, since CometBFT v0.38 may then
// add a transaction twice when two peers gossip it at once, and removes
// only one copy when it commits it (see RecheckTx).
func (l *Log) Replayed(tx []byte) error {
	if l.seq == nil {
		return nil
	}
	h := sha256.Sum256(tx)
	if !l.committed.has(h) {
		return nil
	}
	sub, _, err := l.parseTx(tx)
	if err != nil {
		return nil // a record's transaction parses; the block judges this one
	}
	return l.replayRefusal(h, sub)
}

// RecheckTx says whether a transaction that AdmitTx admitted may stay in
// the mempool: not if its verification ahead was refused since. It looks
// the verdict up only (a refusal in the state of the moment, which a later
// block's checks do not consult), so that the consensus engine may recheck
// its whole mempool after every block.
//
// It does not look for transactions that became records (AdmitTx). A
// submission has one transaction, its canonical encoding (any other is
// refused), signature included; CometBFT removes a block's transactions
// from the mempool when it commits the block, before the recheck and
// before any CheckTx, and AdmitTx keeps them out after. A transaction of
// the same author and payload under another signature (only the author
// can make one) is another submission, which the block judges by the
// rules. Without its cache of the transactions it saw (which turns a
// second copy away before CheckTx), one copy can remain: CometBFT v0.38's
// mempool may add a transaction twice when two peers gossip it at once
// (it checks that the transaction is not there yet outside its lock), and
// its commit removes the copy its index names, leaving the other; but a
// recheck's refusal removes through that same index, so it would not
// evict the copy left either. The proposer leaves it out of its blocks
// instead (Replayed).
func (l *Log) RecheckTx(tx []byte) error {
	if l.seq == nil {
		return errors.New("bulletin: rechecking a transaction: the log is not run by consensus")
	}
	if err, ok := l.refused.get(sha256.Sum256(tx)); ok {
		return err
	}
	return nil
}

// aheadWorkers bounds the transactions a log verifies ahead of their
// blocks at once (each worker's waits in the policy's batch), below the
// policy's room for submissions in hand (Reserver), so that the posts of
// the log's own clients still find room; aheadQueue bounds those that wait
// for a worker. A transaction beyond both is verified by its block.
const (
	aheadWorkers = 64
	aheadQueue   = parsedTxs
)

// verifierAhead runs AdmitTx's verifications in the background, in the
// order they came, until the log closes.
type verifierAhead struct {
	ctx  context.Context
	stop context.CancelFunc

	mu      sync.Mutex
	queue   []func(ctx context.Context)
	workers int
	closed  bool
	wg      sync.WaitGroup
}

func newVerifierAhead() *verifierAhead {
	ctx, stop := context.WithCancel(context.Background())
	return &verifierAhead{ctx: ctx, stop: stop}
}

// start queues f to run in the background, or drops it if the queue is
// full: the block verifies what was not verified ahead.
func (v *verifierAhead) start(f func(ctx context.Context)) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed || len(v.queue) >= aheadQueue {
		return
	}
	v.queue = append(v.queue, f)
	if v.workers < aheadWorkers {
		v.workers++
		v.wg.Add(1)
		go v.work()
	}
}

// work runs queued verifications until the queue is empty or the log
// closes.
func (v *verifierAhead) work() {
	defer v.wg.Done()
	for {
		v.mu.Lock()
		if len(v.queue) == 0 || v.closed {
			v.workers--
			v.mu.Unlock()
			return
		}
		f := v.queue[0]
		v.queue[0] = nil
		v.queue = v.queue[1:]
		v.mu.Unlock()
		f(v.ctx)
	}
}

// close cancels the verifications running, drops those queued and waits
// for the workers to end.
func (v *verifierAhead) close() {
	v.mu.Lock()
	v.closed = true
	v.queue = nil
	v.mu.Unlock()
	v.stop()
	v.wg.Wait()
}

// VerifyBlock runs VerifyTx on every transaction of a proposed block, in
// the log's current state, and returns each one's refusal (nil if it
// passed). It verifies them concurrently, so that a policy can batch its
// checks, and it waits and tries again when the policy has no room
// (ErrQueueFull), so that its verdict depends only on the transactions and
// the log: it returns an error only if ctx ends, the log closes, or a
// check fails for another reason than a refusal.
func (l *Log) VerifyBlock(ctx context.Context, txs [][]byte) ([]error, error) {
	_, refusals, err := l.verifyBlock(ctx, txs)
	return refusals, err
}

// verifyBlock is VerifyBlock, returning too the submissions that parsed.
func (l *Log) verifyBlock(ctx context.Context, txs [][]byte) ([]*Submission, []error, error) {
	subs := make([]*Submission, len(txs))
	refusals := make([]error, len(txs))
	failures := make([]error, len(txs))
	parallel.For(16*runtime.GOMAXPROCS(0), len(txs), func(i int) {
		for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
			sub, err := l.verifyTx(ctx, txs[i])
			var rej *RejectError
			switch {
			case err == nil:
				subs[i] = sub
				return
			case errors.As(err, &rej):
				subs[i], refusals[i] = sub, err
				return
			case !errors.Is(err, ErrQueueFull):
				failures[i] = err
				return
			}
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				failures[i] = ctx.Err()
				return
			case <-l.closing:
				failures[i] = ErrClosed
				return
			}
		}
	})
	if err := errors.Join(failures...); err != nil {
		return nil, nil, fmt.Errorf("bulletin: verifying a block: %w", err)
	}
	return subs, refusals, nil
}

// ExecuteBlock executes a block that consensus decided, at the given
// height, with the given block time and transactions, without storing
// anything: it verifies the transactions (VerifyBlock), makes each one
// that passes the next record, with the block time as its time (truncated
// to the millisecond, and never before the previous record's), admits it
// through the policy or takes the policy's refusal, and computes the
// records' hashes and the log's new tree hash, the app hash
// (docs/spec/replicated-board.md §2). The outcome depends only on the
// log's committed records and the block. CommitBlock must follow before
// the next ExecuteBlock.
func (l *Log) ExecuteBlock(ctx context.Context, height int64, t time.Time, txs [][]byte) (*BlockResult, error) {
	l.execMu.Lock()
	defer l.execMu.Unlock()
	if err := l.executable(height); err != nil {
		return nil, err
	}
	subs, refusals, err := l.verifyBlock(ctx, txs)
	if err != nil {
		return nil, err
	}
	policy := l.policy.Load().p
	b := l.newBatch()
	e := &executed{
		BlockResult: &BlockResult{Height: height, Txs: make([]TxResult, len(txs))},
		batch:       b,
		answer:      make([][]byte, len(txs)),
		leaves:      make([]tlog.Hash, len(txs)),
		txs:         txs,
	}
	for i, sub := range subs {
		if refusals[i] != nil {
			e.Txs[i].Err = refusals[i]
			continue
		}
		e.answer[i] = sub.Sig
		rec, refused, err := b.add(policy, sub, t)
		if err != nil {
			l.broken = err
			return nil, fmt.Errorf("bulletin: executing block %d: %w", height, err)
		}
		if refused != nil {
			e.Txs[i].Err = refused
			continue
		}
		e.Txs[i].Record, e.leaves[i] = rec, b.leaves[len(b.leaves)-1]
	}
	e.Size = b.end()
	if e.AppHash, err = tlog.TreeHash(e.Size, b); err != nil {
		l.broken = err
		return nil, fmt.Errorf("bulletin: executing block %d: %w", height, err)
	}
	l.pending = e
	return e.BlockResult, nil
}

// executable checks that the log can execute the block at height. The
// caller holds execMu.
func (l *Log) executable(height int64) error {
	select {
	case <-l.closing:
		return ErrClosed
	default:
	}
	switch {
	case l.seq == nil:
		return errors.New("bulletin: executing a block: the log is not run by consensus")
	case l.broken != nil:
		return fmt.Errorf("bulletin: the log cannot take blocks after a failure; restart it: %w", l.broken)
	case l.pending != nil:
		return fmt.Errorf("bulletin: executing block %d: block %d is executed but not committed", height, l.pending.Height)
	}
	if last, _ := l.Consensus(); height != last+1 {
		return fmt.Errorf("bulletin: executing block %d: the log's last block is %d", height, last)
	}
	return nil
}

// CommitBlock commits the block ExecuteBlock executed last: it stores
// its records, their hashes and the block's height and app hash in one
// transaction, then signs and publishes a checkpoint of the new tree (if
// the block added records) and answers the Appends waiting for the
// block's submissions. If storing fails, the log takes no more blocks and
// fails every waiting Append: it must be closed and opened again, which
// rebuilds its state from the store.
func (l *Log) CommitBlock(ctx context.Context) error {
	l.execMu.Lock()
	defer l.execMu.Unlock()
	select {
	case <-l.closing:
		return ErrClosed
	default:
	}
	e := l.pending
	if e == nil {
		return errors.New("bulletin: committing a block: none was executed")
	}
	l.pending = nil
	height := e.Height
	b := e.batch
	if err := l.meta.AppendMeta(ctx, b.start, b.encs, b.hashes, consensusKey, formatConsensus(height, e.AppHash)); err != nil {
		l.broken = err
		err = fmt.Errorf("bulletin: storing block %d: %w", height, err)
		l.waiting.fail(err)
		return err
	}
	var cp *SignedCheckpoint
	if len(b.recs) > 0 {
		var err error
		if cp, err = l.publishBatch(b); err != nil {
			l.waiting.fail(err)
			return err
		}
	}
	l.mu.Lock()
	l.height, l.appHash = height, e.AppHash
	l.mu.Unlock()
	for i, r := range e.Txs {
		if r.Record != nil {
			l.committed.add(sha256.Sum256(e.txs[i]), int64(r.Record.Index))
		}
	}
	for i, sig := range e.answer {
		switch {
		case sig == nil:
		case e.Txs[i].Record != nil:
			l.waiting.answer(sig, appendResult{rec: e.Txs[i].Record, leaf: e.leaves[i], cp: cp})
		default:
			l.waiting.answer(sig, appendResult{err: e.Txs[i].Err})
		}
	}
	if cp != nil {
		l.saveStateIfDue(l.policy.Load().p, cp.Checkpoint)
	}
	return nil
}

// waiters are the Appends of a log run by consensus that wait for a
// committed block to order their submissions, by signature.
type waiters struct {
	mu  sync.Mutex
	m   map[string][]chan appendResult
	err error // once set, every waiter fails with it, and so does add
}

// add registers a waiter for the submission with signature sig.
func (w *waiters) add(sig []byte) (chan appendResult, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return nil, w.err
	}
	if w.m == nil {
		w.m = make(map[string][]chan appendResult)
	}
	ch := make(chan appendResult, 1)
	w.m[string(sig)] = append(w.m[string(sig)], ch)
	return ch, nil
}

// remove unregisters a waiter that gave up.
func (w *waiters) remove(sig []byte, ch chan appendResult) {
	w.mu.Lock()
	defer w.mu.Unlock()
	chs := w.m[string(sig)]
	for i, c := range chs {
		if c == ch {
			chs = append(chs[:i], chs[i+1:]...)
			break
		}
	}
	if len(chs) == 0 {
		delete(w.m, string(sig))
	} else {
		w.m[string(sig)] = chs
	}
}

// answer gives res to every waiter for sig.
func (w *waiters) answer(sig []byte, res appendResult) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ch := range w.m[string(sig)] {
		ch <- res
	}
	delete(w.m, string(sig))
}

// fail fails every waiter, and every later add, with err.
func (w *waiters) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.err = err
	for _, chs := range w.m {
		for _, ch := range chs {
			ch <- appendResult{err: err}
		}
	}
	w.m = nil
}

// txCache remembers a value for each of up to max transaction hashes,
// forgetting the oldest: a transaction is named by the SHA-256 of its
// whole encoding, so that no other transaction shares its entry.
type txCache[V any] struct {
	mu   sync.Mutex
	max  int
	m    map[[sha256.Size]byte]V
	ring [][sha256.Size]byte // in the order added; the oldest at next once full
	next int
}

func newTxCache[V any](max int) *txCache[V] {
	return &txCache[V]{max: max, m: make(map[[sha256.Size]byte]V)}
}

// add remembers v for h; a hash already remembered keeps its value.
func (c *txCache[V]) add(h [sha256.Size]byte, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[h]; ok {
		return
	}
	if len(c.ring) < c.max {
		c.ring = append(c.ring, h)
	} else {
		delete(c.m, c.ring[c.next])
		c.ring[c.next] = h
		c.next = (c.next + 1) % c.max
	}
	c.m[h] = v
}

// get returns the value remembered for h.
func (c *txCache[V]) get(h [sha256.Size]byte) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[h]
	return v, ok
}

// has reports whether h is remembered.
func (c *txCache[V]) has(h [sha256.Size]byte) bool {
	_, ok := c.get(h)
	return ok
}

// metaStore returns s as a store.MetaStore, which a log run by consensus
// needs to store each block's height with its records.
func metaStore(s store.Store) (store.MetaStore, error) {
	ms, ok := s.(store.MetaStore)
	if !ok {
		return nil, fmt.Errorf("bulletin: opening log: a log run by consensus needs a store that keeps its block height (store.MetaStore), not a %T", s)
	}
	return ms, nil
}
