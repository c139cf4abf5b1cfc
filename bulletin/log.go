package bulletin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin/store"
)

// ErrQueueFull is returned (possibly wrapped) by Log.Append when the board
// is at capacity: the write queue, or a policy's queue of submissions
// waiting for their proofs to be checked, is full. The caller should retry
// later (the HTTP server answers 503 with Retry-After).
var ErrQueueFull = errors.New("bulletin: the board is at capacity; retry shortly")

// ErrClosed is returned by Log methods after Close.
var ErrClosed = errors.New("bulletin: log is closed")

// LogOptions configures a Log. Signer is required.
type LogOptions struct {
	// Signer signs checkpoints (a note key, see note.NewSigner). Its key
	// name is the checkpoint origin, as C2SP tlog-checkpoint recommends.
	Signer note.Signer
	// MaxPayload is the largest payload accepted; DefaultMaxPayload if 0.
	MaxPayload int
	// QueueSize bounds the submissions waiting for the writer; 8192 if 0.
	QueueSize int
	// MaxBatch bounds the records in one store transaction; 1024 if 0.
	MaxBatch int
	// Now returns the current time; time.Now if nil. Tests set it.
	Now func() time.Time
	// Background makes OpenLog return once it has read the log's head and
	// signed its checkpoint, so that a board of millions of records serves
	// reads (records, checkpoints, proofs, the feed) within a second of
	// starting, and replays the stored records through the policy in the
	// background; Append refuses with a *StartingError until that replay
	// has finished (Log.Replay reports its progress). Without it, OpenLog
	// returns after the replay.
	Background bool
	// BackgroundFrom, with Background, is the least number of stored
	// records replayed in the background: a smaller log, which replays in
	// well under a second, opens as without Background, so that a board
	// that has just started accepts submissions at once. 0: any.
	BackgroundFrom int64
	// Snapshot, if not empty, is the path of a file where the log saves
	// its policy's state (if the policy is a Snapshotter) when it closes,
	// after replaying its stored records, and each time it has grown by
	// SnapshotEvery records; OpenLog restores the policy from it and
	// replays only the records after it, so that a board of a million
	// records accepts submissions seconds after it starts. A file that
	// does not match the stored log, or is damaged, is reported through
	// Logf and ignored: the log then replays every record.
	Snapshot string
	// SnapshotEvery is how many records the log takes in between two
	// saves of its state while it runs; DefaultSnapshotEvery if 0.
	SnapshotEvery int64
	// Logf reports what an operator should know that is not an error of
	// any call, such as a state file that could not be used; nothing is
	// reported if nil.
	Logf func(format string, args ...any)
	// Sequencer, if set, runs the log by consensus, as one operator's
	// replica of a replicated board (docs/spec/replicated-board.md): the
	// log has no writer of its own; Append verifies a submission, hands
	// it to the Sequencer and waits until a committed block has ordered
	// it, and records are made only by ExecuteBlock and CommitBlock, which
	// the consensus engine's application calls. The store must be a
	// store.MetaStore, Background must be false, and the policy's Verify
	// must be monotone: once it accepts a submission, it accepts it in
	// every later state, since operators verify a transaction at
	// different times and must agree on every block (the election
	// policy's is). Now is not used for record times: a record's time is
	// its block's.
	Sequencer Sequencer
}

// DefaultSnapshotEvery is LogOptions.SnapshotEvery's default: a board of a
// million records saves its state (a few hundred megabytes) a handful of
// times over an election.
const DefaultSnapshotEvery = 200_000

// StartingError is Append's answer while a log opened with
// LogOptions.Background is still replaying its stored records. It wraps
// ErrQueueFull: the caller should retry shortly.
type StartingError struct {
	Replayed, Total int64 // records replayed so far, of the stored ones
}

// Error implements error.
func (e *StartingError) Error() string {
	return fmt.Sprintf("the board is starting: it has replayed %d of its %d records and accepts submissions once it has replayed them all; retry shortly", e.Replayed, e.Total)
}

// Unwrap returns ErrQueueFull.
func (e *StartingError) Unwrap() error { return ErrQueueFull }

// SignedCheckpoint is a checkpoint with its signed note.
type SignedCheckpoint struct {
	Checkpoint
	Note []byte
}

// Log is the bulletin board's append-only log: it validates submissions,
// sequences them with a single writer that groups concurrent appends into
// one store transaction, maintains the hash chain and the Merkle tree, and
// signs a checkpoint after every committed batch. Run by consensus
// (LogOptions.Sequencer), it takes its order from the blocks of a
// replicated board instead of a writer of its own
// (docs/spec/replicated-board.md).
//
// All methods are safe for concurrent use.
type Log struct {
	store     store.Store
	newPolicy func() Policy
	signer    note.Signer
	origin    string
	maxPay    int
	maxBatch  int
	now       func() time.Time

	queue   chan *appendReq
	closing chan struct{}
	stopped chan struct{}
	closeMu sync.Once

	hashes  *hashCache
	records *recordCache
	policy  atomic.Pointer[policyBox]

	// The replay of the stored records through the policy at open.
	replayed    atomic.Int64  // records replayed so far
	replayTotal int64         // records stored at open
	replayDone  chan struct{} // closed when the replay has ended
	replayErr   error         // why it failed, once replayDone is closed

	snap      *snapshotFile // nil without LogOptions.Snapshot
	closeSnap sync.Once
	logf      func(format string, args ...any)

	// Consensus mode (LogOptions.Sequencer); nil seq: the writer runs.
	seq       Sequencer
	meta      store.MetaStore
	execMu    sync.Mutex            // held by ExecuteBlock and CommitBlock, which own the writer's state, and by Close
	pending   *executed             // the block executed and not yet committed
	verified  *txCache[struct{}]    // transactions that passed VerifyTx
	parsed    *txCache[*Submission] // transactions parsed, from CheckTx to their block
	refused   *txCache[error]       // transactions AdmitTx's verification ahead refused, with the refusal
	committed *txCache[int64]       // transactions that became records of committed blocks, with their indexes
	flightMu  sync.Mutex
	flight    map[[sha256.Size]byte]*flight // verifications under way (verifyOnce)
	ahead     *verifierAhead                // AdmitTx's verification ahead of the block
	waiting   waiters                       // Appends waiting for their submissions' blocks

	// Writer-owned state (only the writer goroutine, or in consensus mode
	// the holder of execMu, touches it after open).
	prevLeaf tlog.Hash
	lastTime time.Time
	broken   error // set when a store failure left the state unknown

	mu      sync.RWMutex // guards the published state below
	size    int64
	cp      *SignedCheckpoint
	changed chan struct{} // closed and replaced after each commit
	height  int64         // consensus mode: the last committed block
	appHash tlog.Hash     // and its app hash
}

type policyBox struct{ p Policy }

type appendReq struct {
	sub  *Submission
	done chan appendResult
}

type appendResult struct {
	rec  *Record
	leaf tlog.Hash
	cp   *SignedCheckpoint
	err  error
}

// OpenLog opens the log kept in s. It replays every stored record through a
// fresh policy from newPolicy (checking the hash chain on the way), signs a
// checkpoint of the current tree and starts the writer; with
// opts.Background the replay goes on after OpenLog returns. Close stops it;
// the caller still owns s.
func OpenLog(ctx context.Context, s store.Store, newPolicy func() Policy, opts LogOptions) (*Log, error) {
	if opts.Signer == nil {
		return nil, errors.New("bulletin: opening log: no checkpoint signer")
	}
	if newPolicy == nil {
		return nil, errors.New("bulletin: opening log: no policy constructor")
	}
	l := &Log{
		store:      s,
		newPolicy:  newPolicy,
		signer:     opts.Signer,
		origin:     opts.Signer.Name(),
		maxPay:     opts.MaxPayload,
		maxBatch:   opts.MaxBatch,
		now:        opts.Now,
		closing:    make(chan struct{}),
		stopped:    make(chan struct{}),
		changed:    make(chan struct{}),
		records:    &recordCache{max: 8192},
		replayDone: make(chan struct{}),
		logf:       opts.Logf,
	}
	if l.logf == nil {
		l.logf = func(string, ...any) {}
	}
	if opts.Snapshot != "" {
		l.snap = &snapshotFile{path: opts.Snapshot, every: opts.SnapshotEvery}
		if l.snap.every <= 0 {
			l.snap.every = DefaultSnapshotEvery
		}
	}
	if l.maxPay == 0 {
		l.maxPay = DefaultMaxPayload
	}
	if l.maxBatch == 0 {
		l.maxBatch = 1024
	}
	if l.now == nil {
		l.now = time.Now
	}
	q := opts.QueueSize
	if q == 0 {
		q = 8192
	}
	l.queue = make(chan *appendReq, q)
	l.hashes = newHashCache(s, 0, 1<<15)
	if opts.Sequencer != nil {
		if opts.Background {
			return nil, errors.New("bulletin: opening log: a log run by consensus opens in the foreground, so that its state is its store's when the consensus engine starts")
		}
		ms, err := metaStore(s)
		if err != nil {
			return nil, err
		}
		l.seq, l.meta = opts.Sequencer, ms
		l.verified, l.refused = newTxCache[struct{}](verifiedTxs), newTxCache[error](verifiedTxs)
		l.parsed, l.ahead = newTxCache[*Submission](parsedTxs), newVerifierAhead()
		l.committed = newTxCache[int64](committedTxs)
		l.flight = make(map[[sha256.Size]byte]*flight)
	}
	background := opts.Background
	if background && opts.BackgroundFrom > 0 {
		n, err := s.Size(ctx)
		if err != nil {
			return nil, fmt.Errorf("bulletin: opening log: %w", err)
		}
		background = n >= opts.BackgroundFrom
	}
	if !background {
		if err := l.load(ctx); err != nil {
			return nil, err
		}
		l.replayTotal = l.Size()
		close(l.replayDone)
		if l.seq == nil {
			go l.run()
			return l, nil
		}
		if err := l.openConsensus(ctx); err != nil {
			return nil, err
		}
		close(l.stopped) // there is no writer
		return l, nil
	}
	if err := l.loadHead(ctx); err != nil {
		return nil, err
	}
	go func() {
		// The writer gets nothing to do until the replay is done: Append
		// refuses until then.
		defer close(l.replayDone)
		if err := l.load(context.Background()); err != nil {
			l.replayErr = fmt.Errorf("bulletin: the stored log could not be replayed, so the board accepts nothing: %w", err)
		}
	}()
	go l.run()
	return l, nil
}

// Replay reports the progress of the replay of the stored records through
// the policy at open: records replayed so far, of total, whether it has
// ended, and why it failed if it did.
func (l *Log) Replay() (replayed, total int64, done bool, err error) {
	select {
	case <-l.replayDone:
		return l.replayTotal, l.replayTotal, true, l.replayErr
	default:
		return l.replayed.Load(), l.replayTotal, false, nil
	}
}

// loadHead reads what serving reads needs of the stored log, its size and
// tree, and signs a checkpoint of it, without replaying the records: the
// last record's leaf hash must be the stored one.
func (l *Log) loadHead(ctx context.Context) error {
	n, err := l.store.Size(ctx)
	if err != nil {
		return fmt.Errorf("bulletin: opening log: %w", err)
	}
	l.replayTotal = n
	if n > 0 {
		recs, err := l.store.Records(ctx, n-1, n)
		if err != nil {
			return fmt.Errorf("bulletin: opening log: %w", err)
		}
		rec, err := ParseRecord(recs[0])
		if err != nil {
			return fmt.Errorf("bulletin: opening log: stored record %d: %w", n-1, err)
		}
		hs, err := l.store.ReadHashes([]int64{tlog.StoredHashIndex(0, n-1)})
		if err != nil {
			return fmt.Errorf("bulletin: opening log: %w", err)
		}
		if hs[0] != rec.LeafHash() {
			return fmt.Errorf("bulletin: opening log: stored leaf hash of record %d does not match the record", n-1)
		}
	}
	l.hashes.reset(tlog.StoredHashCount(n))
	cp, err := l.sign(n, l.hashes)
	if err != nil {
		return err
	}
	l.publish(n, cp)
	return nil
}

// load rebuilds the in-memory state and a fresh policy from the store:
// from the state file if there is a good one, and the records after it.
func (l *Log) load(ctx context.Context) error {
	n, err := l.store.Size(ctx)
	if err != nil {
		return fmt.Errorf("bulletin: loading log: %w", err)
	}
	p, start := l.restore(ctx, n)
	var (
		prev tlog.Hash
		last time.Time
	)
	if start > 0 {
		rec, err := readStored(ctx, l.store, start-1)
		if err != nil {
			return fmt.Errorf("bulletin: loading log: %w", err)
		}
		prev, last = rec.LeafHash(), rec.Time
	}
	prev, last, err = replayStored(ctx, l.store, p, start, n, prev, last, func(next int64) error {
		select {
		case <-l.closing:
			return ErrClosed
		default:
		}
		l.replayed.Store(next)
		return nil
	})
	if err != nil {
		return err
	}
	if err := checkLastLeaf(l.store, n, prev); err != nil {
		return err
	}
	l.hashes.reset(tlog.StoredHashCount(n))
	cp, err := l.sign(n, l.hashes)
	if err != nil {
		return err
	}
	l.policy.Store(&policyBox{p})
	l.prevLeaf, l.lastTime, l.broken = prev, last, nil
	l.publish(n, cp)
	l.saveStateIfDue(p, cp.Checkpoint)
	return nil
}

// replayStored admits the stored records [start, end) of st into p, in
// pages, checking each record's index and its link to the one before it
// (prev and last are the leaf hash and time of record start-1). It calls
// page with the index of each page's first record before reading it, and
// stops with its error. It returns the leaf hash and time of the last
// record admitted.
func replayStored(ctx context.Context, st store.Store, p Policy, start, end int64, prev tlog.Hash, last time.Time, page func(next int64) error) (tlog.Hash, time.Time, error) {
	const pageSize = 1000
	for ; start < end; start += pageSize {
		if err := page(start); err != nil {
			return prev, last, err
		}
		recs, err := st.Records(ctx, start, min(end, start+pageSize))
		if err != nil {
			return prev, last, fmt.Errorf("bulletin: loading log: %w", err)
		}
		parsed := make([]*Record, len(recs))
		for i, data := range recs {
			if parsed[i], err = ParseRecord(data); err != nil {
				return prev, last, fmt.Errorf("bulletin: loading log: stored record %d: %w", start+int64(i), err)
			}
		}
		if pp, ok := p.(Preparer); ok {
			pp.Prepare(parsed)
		}
		for i, rec := range parsed {
			idx := start + int64(i)
			if rec.Index != uint64(idx) {
				return prev, last, fmt.Errorf("bulletin: loading log: stored record %d has index %d", idx, rec.Index)
			}
			if !bytes.Equal(rec.Prev, prev[:]) {
				return prev, last, fmt.Errorf("bulletin: loading log: stored record %d: prev does not match the leaf hash of record %d", idx, idx-1)
			}
			if err := p.Admit(rec); err != nil {
				return prev, last, fmt.Errorf("bulletin: loading log: policy rejects stored record %d: %w", idx, err)
			}
			prev, last = rec.LeafHash(), rec.Time
		}
	}
	return prev, last, nil
}

// checkLastLeaf checks that the stored leaf hash of the last of n records
// is last, the hash of the record replayed.
func checkLastLeaf(st store.Store, n int64, last tlog.Hash) error {
	if n == 0 {
		return nil
	}
	hs, err := st.ReadHashes([]int64{tlog.StoredHashIndex(0, n-1)})
	if err != nil {
		return fmt.Errorf("bulletin: loading log: %w", err)
	}
	if hs[0] != last {
		return fmt.Errorf("bulletin: loading log: stored leaf hash of record %d does not match the record", n-1)
	}
	return nil
}

// restore returns a fresh policy and the number of records it has taken
// in: restored from the state file if the log has one that fits the
// stored log (the first n records), and 0 otherwise.
func (l *Log) restore(ctx context.Context, n int64) (Policy, int64) {
	p := l.newPolicy()
	sp, ok := p.(Snapshotter)
	if l.snap == nil || !ok || n == 0 {
		return p, 0
	}
	size, err := l.snap.read(sp, n, l.store, func(i int64) (*Record, error) { return readStored(ctx, l.store, i) })
	if err != nil {
		l.logf("bulletin: not using the saved state %s: %v; replaying all %d records", l.snap.path, err, n)
		return l.newPolicy(), 0
	}
	if size > 0 {
		l.logf("bulletin: restored the state saved after %d records from %s; replaying the %d after them", size, l.snap.path, n-size)
	}
	return p, size
}

// readStored reads and parses the stored record i of st.
func readStored(ctx context.Context, st store.Store, i int64) (*Record, error) {
	recs, err := st.Records(ctx, i, i+1)
	if err != nil {
		return nil, err
	}
	rec, err := ParseRecord(recs[0])
	if err != nil {
		return nil, fmt.Errorf("stored record %d: %w", i, err)
	}
	if rec.Index != uint64(i) {
		return nil, fmt.Errorf("stored record %d has index %d", i, rec.Index)
	}
	return rec, nil
}

// saveStateIfDue saves p's state after the records of cp (saveState) if
// the log has grown by SnapshotEvery records since the state was last
// saved or restored. The writer calls it once it has answered the batch,
// so that the batch does not wait for the save.
func (l *Log) saveStateIfDue(p Policy, cp Checkpoint) {
	if l.snap != nil && cp.Size-l.snap.size >= l.snap.every {
		l.saveState(p, cp)
	}
}

// saveState writes p's state after the records of cp to the state file,
// if p can save it. Only the writer, or the replay before it starts,
// calls it.
func (l *Log) saveState(p Policy, cp Checkpoint) {
	sp, ok := p.(Snapshotter)
	if !ok {
		return
	}
	start := l.now()
	err := l.snap.write(sp, tlog.Tree{N: cp.Size, Hash: cp.Hash})
	switch {
	case errors.Is(err, ErrNoSnapshot):
	case err != nil:
		l.logf("%v", err)
	default:
		l.logf("bulletin: saved the state after %d records to %s in %v", cp.Size, l.snap.path, l.now().Sub(start).Round(time.Millisecond))
	}
}

func (l *Log) sign(n int64, r tlog.HashReader) (*SignedCheckpoint, error) {
	th, err := tlog.TreeHash(n, r)
	if err != nil {
		return nil, fmt.Errorf("bulletin: computing tree hash of size %d: %w", n, err)
	}
	c := Checkpoint{Origin: l.origin, Size: n, Hash: th}
	msg, err := SignCheckpoint(c, l.signer)
	if err != nil {
		return nil, err
	}
	return &SignedCheckpoint{Checkpoint: c, Note: msg}, nil
}

func (l *Log) publish(n int64, cp *SignedCheckpoint) {
	l.mu.Lock()
	l.size, l.cp = n, cp
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// Close stops the writer, and the replay of a log opened in the
// background, and saves the policy's state (LogOptions.Snapshot).
// Submissions still queued fail with ErrClosed; in consensus mode, so do
// the Appends waiting for a block, and ExecuteBlock and CommitBlock fail
// from then on (a block executed and not committed is dropped: the
// consensus engine replays it when the log opens again). It does not close
// the store.
func (l *Log) Close() error {
	l.closeMu.Do(func() { close(l.closing) })
	<-l.stopped
	<-l.replayDone
	if l.seq != nil {
		l.ahead.close()
		l.execMu.Lock()
		defer l.execMu.Unlock()
		l.waiting.fail(ErrClosed)
	}
	l.closeSnap.Do(func() {
		box := l.policy.Load()
		if l.snap == nil || box == nil || l.replayErr != nil || l.broken != nil || l.pending != nil {
			return
		}
		if cp := l.Checkpoint(); cp.Size != l.snap.size {
			l.saveState(box.p, cp.Checkpoint)
		}
	})
	return nil
}

// Append validates sub (generic checks, then the policy's Verify), queues it
// for the writer and waits until it is durably stored. It returns the
// record and a receipt for it, or a *RejectError (possibly wrapped) if it was
// refused, ErrQueueFull if the board is at capacity, or another error if
// storing failed. If ctx ends while the submission is verified, it is
// dropped; if ctx ends after, the submission may still be appended.
//
// In consensus mode (LogOptions.Sequencer), Append hands the verified
// submission to the Sequencer instead, and waits until a block that
// orders it is committed: it returns the record the block made of it, or
// the refusal the block gave it, such as CodeDuplicate for a submission
// already on the board.
func (l *Log) Append(ctx context.Context, sub *Submission) (*Record, *Receipt, error) {
	select {
	case <-l.replayDone:
		if l.replayErr != nil {
			return nil, nil, l.replayErr
		}
	default:
		return nil, nil, &StartingError{Replayed: l.replayed.Load(), Total: l.replayTotal}
	}
	if err := l.verify(ctx, sub); err != nil {
		return nil, nil, err
	}
	select {
	case <-l.closing:
		return nil, nil, ErrClosed
	default:
	}
	var (
		res appendResult
		err error
	)
	if l.seq != nil {
		res, err = l.sequence(ctx, sub)
	} else {
		res, err = l.enqueue(ctx, sub)
	}
	if err != nil {
		return nil, nil, err
	}
	if res.err != nil {
		return nil, nil, res.err
	}
	proof, err := tlog.ProveRecord(res.cp.Size, int64(res.rec.Index), l.hashes)
	if err != nil {
		return res.rec, nil, fmt.Errorf("bulletin: record %d appended, but proving its inclusion failed: %w", res.rec.Index, err)
	}
	return res.rec, &Receipt{Index: int64(res.rec.Index), LeafHash: res.leaf, Checkpoint: res.cp.Note, Proof: proof}, nil
}

// verify runs the checks of sub that need no place in the log: the
// generic ones (Submission.Check) and the policy's Verify, within a place
// the policy reserves for it if it is a Reserver.
func (l *Log) verify(ctx context.Context, sub *Submission) error {
	return l.verifyPolicy(ctx, sub, false)
}

// verifyPolicy is verify; checked skips Submission.Check, for a submission
// that passed it already (Log.AdmitTx).
func (l *Log) verifyPolicy(ctx context.Context, sub *Submission, checked bool) error {
	p := l.policy.Load().p
	if r, ok := p.(Reserver); ok {
		release, err := r.Reserve(sub)
		if err != nil {
			return err
		}
		defer release()
	}
	if !checked {
		if err := sub.Check(l.maxPay); err != nil {
			return err
		}
	}
	return p.Verify(ctx, sub)
}

// enqueue queues a verified submission for the writer and waits for its
// outcome.
func (l *Log) enqueue(ctx context.Context, sub *Submission) (appendResult, error) {
	req := &appendReq{sub: sub, done: make(chan appendResult, 1)}
	select {
	case l.queue <- req:
	default:
		return appendResult{}, ErrQueueFull
	}
	select {
	case res := <-req.done:
		return res, nil
	case <-ctx.Done():
		return appendResult{}, fmt.Errorf("bulletin: waiting for append: %w", ctx.Err())
	case <-l.stopped:
		select {
		case res := <-req.done:
			return res, nil
		default:
			return appendResult{}, ErrClosed
		}
	}
}

// run is the single writer.
func (l *Log) run() {
	defer close(l.stopped)
	batch := make([]*appendReq, 0, l.maxBatch)
	for {
		batch = batch[:0]
		select {
		case <-l.closing:
			return
		case r := <-l.queue:
			batch = append(batch, r)
		}
	fill:
		for len(batch) < l.maxBatch {
			select {
			case r := <-l.queue:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		l.commit(batch)
	}
}

// commit admits, stores and publishes one batch, and answers its requests.
func (l *Log) commit(reqs []*appendReq) {
	ctx := context.Background()
	fail := func(reqs []*appendReq, err error) {
		for _, r := range reqs {
			r.done <- appendResult{err: err}
		}
	}
	if l.broken != nil {
		if err := l.load(ctx); err != nil {
			fail(reqs, fmt.Errorf("bulletin: log unavailable after a store failure: %w", err))
			return
		}
	}
	policy := l.policy.Load().p
	now := l.now()
	b := l.newBatch()
	var accepted []*appendReq
	for k, req := range reqs {
		_, refused, err := b.add(policy, req.sub, now)
		if err != nil {
			// The policy is ahead of the batch: fail it and rebuild.
			l.broken = err
			fail(accepted, err)
			fail(reqs[k:], err)
			return
		}
		if refused != nil {
			req.done <- appendResult{err: refused}
			continue
		}
		accepted = append(accepted, req)
	}
	if len(b.recs) == 0 {
		return
	}
	if err := l.store.Append(ctx, b.start, b.encs, b.hashes); err != nil && !l.recover(ctx, b.start, b.encs) {
		fail(accepted, fmt.Errorf("bulletin: storing records [%d, %d): %w", b.start, b.end(), err))
		return
	}
	// Stored, or saved even though the store reported an error.
	cp, err := l.publishBatch(b)
	if err != nil {
		fail(accepted, err)
		return
	}
	for i, r := range accepted {
		r.done <- appendResult{rec: b.recs[i], leaf: b.leaves[i], cp: cp}
	}
	l.saveStateIfDue(l.policy.Load().p, cp.Checkpoint) // recover may have rebuilt the policy
}

// recover reloads the state from the store after a failed Append and
// reports whether the failed batch is in fact stored, exactly.
func (l *Log) recover(ctx context.Context, start int64, encs [][]byte) bool {
	if err := l.load(ctx); err != nil {
		l.broken = err
		return false
	}
	l.mu.RLock()
	n := l.size
	l.mu.RUnlock()
	if n != start+int64(len(encs)) {
		return false
	}
	stored, err := l.store.Records(ctx, start, n)
	if err != nil {
		return false
	}
	for i := range encs {
		if !bytes.Equal(stored[i], encs[i]) {
			return false
		}
	}
	return true
}

// batch is records that the policy admitted after the log's last one, with
// their encodings and the tlog stored hashes they add, not yet stored.
type batch struct {
	log    *Log
	start  int64     // index of the first record
	prev   tlog.Hash // leaf hash of the last record, in the log or the batch
	last   time.Time // time of that record
	recs   []*Record
	leaves []tlog.Hash
	encs   [][]byte
	hashes []tlog.Hash // stored hashes from tlog.StoredHashCount(start)
}

// newBatch returns an empty batch after the log's last record. Only the
// writer (or, in consensus mode, the block executor) calls it.
func (l *Log) newBatch() *batch {
	l.mu.RLock()
	start := l.size
	l.mu.RUnlock()
	return &batch{log: l, start: start, prev: l.prevLeaf, last: l.lastTime}
}

// end returns the log's size with the batch.
func (b *batch) end() int64 { return b.start + int64(len(b.recs)) }

// ReadHashes implements tlog.HashReader over the log's stored hashes
// followed by the batch's.
func (b *batch) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	base := tlog.StoredHashCount(b.start)
	out := make([]tlog.Hash, len(indexes))
	var old []int64
	for _, x := range indexes {
		if x < base {
			old = append(old, x)
		}
	}
	var oh []tlog.Hash
	if len(old) > 0 {
		var err error
		if oh, err = b.log.hashes.ReadHashes(old); err != nil {
			return nil, err
		}
	}
	for i, x := range indexes {
		if x >= base {
			out[i] = b.hashes[x-base]
		} else {
			out[i], oh = oh[0], oh[1:]
		}
	}
	return out, nil
}

// add makes sub the batch's next record, at time t (truncated to the
// millisecond, and never before the record before it), and admits it
// through p. It returns the record; or p's refusal, leaving the batch and
// p unchanged; or an error if the admitted record could not be encoded or
// hashed, which cannot happen for a checked submission but leaves p ahead
// of the batch.
func (b *batch) add(p Policy, sub *Submission, t time.Time) (rec *Record, refused, err error) {
	t = t.UTC().Truncate(time.Millisecond)
	if t.Before(b.last) {
		t = b.last // never let time go backwards along the log
	}
	rec = &Record{
		Index:   uint64(b.end()),
		Time:    t,
		Type:    sub.Type,
		Payload: sub.Payload,
		Author:  sub.Author,
		Sig:     sub.Sig,
		Prev:    bytes.Clone(b.prev[:]),
	}
	if err := p.Admit(rec); err != nil {
		return nil, err, nil
	}
	enc, err := rec.MarshalJSON()
	if err != nil {
		return nil, nil, fmt.Errorf("bulletin: preparing record %d: %w", rec.Index, err)
	}
	leaf := rec.LeafHash()
	hs, err := tlog.StoredHashesForRecordHash(int64(rec.Index), leaf, b)
	if err != nil {
		return nil, nil, fmt.Errorf("bulletin: preparing record %d: %w", rec.Index, err)
	}
	b.hashes = append(b.hashes, hs...)
	b.recs, b.encs, b.leaves = append(b.recs, rec), append(b.encs, enc), append(b.leaves, leaf)
	b.prev, b.last = leaf, t
	return rec, nil, nil
}

// publishBatch takes a stored batch into the log: its caches, its last
// record, and a new signed checkpoint that it publishes.
func (l *Log) publishBatch(b *batch) (*SignedCheckpoint, error) {
	end := b.end()
	l.hashes.add(tlog.StoredHashCount(b.start), b.hashes)
	l.records.add(b.start, b.encs)
	l.prevLeaf, l.lastTime = b.prev, b.last
	cp, err := l.sign(end, l.hashes)
	if err != nil {
		// Durable but unsigned: the records cannot be given receipts. The
		// log rebuilds its state before the next batch.
		l.broken = err
		return nil, fmt.Errorf("bulletin: records [%d, %d) stored but not signed: %w", b.start, end, err)
	}
	l.publish(end, cp)
	return cp, nil
}

// Size returns the number of records in the log.
func (l *Log) Size() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.size
}

// Checkpoint returns the latest signed checkpoint, covering Size() records.
func (l *Log) Checkpoint() *SignedCheckpoint {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.cp
}

// Changed returns a channel that is closed when the log next changes.
// Call it before reading Size to avoid missing a change.
func (l *Log) Changed() <-chan struct{} {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.changed
}

// Done returns a channel that is closed when the log has been closed.
func (l *Log) Done() <-chan struct{} { return l.closing }

// Records returns the canonical encodings of records [start, end), which
// must be within the log. The returned slices must not be modified.
func (l *Log) Records(ctx context.Context, start, end int64) ([][]byte, error) {
	if n := l.Size(); start < 0 || start > end || end > n {
		return nil, fmt.Errorf("bulletin: records [%d, %d) not in log of size %d: %w", start, end, n, store.ErrNotFound)
	}
	if recs, ok := l.records.get(start, end); ok {
		return recs, nil
	}
	recs, err := l.store.Records(ctx, start, end)
	if err != nil {
		return nil, fmt.Errorf("bulletin: reading records: %w", err)
	}
	return recs, nil
}

// Record returns record i.
func (l *Log) Record(ctx context.Context, i int64) (*Record, error) {
	recs, err := l.Records(ctx, i, i+1)
	if err != nil {
		return nil, err
	}
	return ParseRecord(recs[0])
}

// InclusionProof returns the proof that record index is in the tree of the
// given size (index < size <= Size()).
func (l *Log) InclusionProof(index, size int64) (tlog.RecordProof, error) {
	if n := l.Size(); index < 0 || index >= size || size > n {
		return nil, fmt.Errorf("bulletin: no inclusion proof of record %d in tree of size %d (log size %d)", index, size, n)
	}
	p, err := tlog.ProveRecord(size, index, l.hashes)
	if err != nil {
		return nil, fmt.Errorf("bulletin: proving inclusion of %d in %d: %w", index, size, err)
	}
	return p, nil
}

// ConsistencyProof returns the proof that the tree of size oldSize is a
// prefix of the tree of size newSize (0 < oldSize <= newSize <= Size()).
func (l *Log) ConsistencyProof(oldSize, newSize int64) (tlog.TreeProof, error) {
	if n := l.Size(); oldSize < 1 || oldSize > newSize || newSize > n {
		return nil, fmt.Errorf("bulletin: no consistency proof from size %d to size %d (log size %d)", oldSize, newSize, n)
	}
	p, err := tlog.ProveTree(newSize, oldSize, l.hashes)
	if err != nil {
		return nil, fmt.Errorf("bulletin: proving consistency of %d with %d: %w", oldSize, newSize, err)
	}
	return p, nil
}

// ReadTileData returns the hashes of tile t of the log's Merkle tree
// (tlog.ReadTileData), which must lie within the log's current size.
func (l *Log) ReadTileData(t tlog.Tile) ([]byte, error) {
	data, err := tlog.ReadTileData(t, l.hashes)
	if err != nil {
		return nil, fmt.Errorf("bulletin: reading tile %s: %w", t.Path(), err)
	}
	return data, nil
}

// TreeHash returns the root hash of the tree of the given size (<= Size()).
func (l *Log) TreeHash(size int64) (tlog.Hash, error) {
	if n := l.Size(); size < 0 || size > n {
		return tlog.Hash{}, fmt.Errorf("bulletin: no tree of size %d (log size %d)", size, n)
	}
	h, err := tlog.TreeHash(size, l.hashes)
	if err != nil {
		return tlog.Hash{}, fmt.Errorf("bulletin: tree hash of size %d: %w", size, err)
	}
	return h, nil
}
