// Package follow keeps an election's state in step with a bulletin board,
// for the participants who act on it: the voter's client, the trustees and
// the official. It fetches the records appended since the last look and
// replays them through an election.Replay — chain, signatures, Merkle
// tree, every proof and every rule, as the verifier does — and checks that
// they hash to the board's latest signed checkpoint, whose consistency with
// every checkpoint seen before the client checks. Only then does Sync hand
// out the state.
//
// A board that sends one record the replay refuses, or records that do not
// hash to what it signed, is not followed any further: every later Sync
// returns the same error, which names the record and the reason, so that no
// participant ever acts on a history it could not verify.
package follow

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/participant"
)

// pageSize is how many records one request asks for.
const pageSize = 1000

// ErrRefused is wrapped by every error of a Follower that stopped
// following its board because the board sent what the replay refuses.
var ErrRefused = errors.New("refusing this board's records")

// Follower follows one board. It is safe for concurrent use.
type Follower struct {
	client *client.Client

	mu       sync.Mutex
	progress func(done, total int64)
	replay   *election.Replay
	refused  error // set for good once the board sent what the replay refuses
	latest   bulletin.SignedCheckpoint
}

// New returns a follower of the board behind c, starting from an empty
// state.
func New(c *client.Client) *Follower {
	f := &Follower{client: c, replay: election.NewReplay(election.ReplayOptions{})}
	f.replay.State().SetBoard(c.Key())
	return f
}

// SetProgress makes Sync report, after each page of records, how many of
// the checkpoint's records it has taken in.
func (f *Follower) SetProgress(fn func(done, total int64)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.progress = fn
}

// Checkpoint returns the signed checkpoint that the last successful Sync
// verified the state against.
func (f *Follower) Checkpoint() bulletin.SignedCheckpoint {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.latest
}

// LeafHash returns the leaf hash of record index as the follower verified
// it, so that a record fetched again (for a receipt) can be matched.
func (f *Follower) LeafHash(index int64) (tlog.Hash, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	hs, err := f.replay.Chain().ReadHashes([]int64{tlog.StoredHashIndex(0, index)})
	if err != nil {
		return tlog.Hash{}, fmt.Errorf("record %d has not been verified: %w", index, err)
	}
	return hs[0], nil
}

// Sync takes in every record up to the board's latest signed checkpoint
// and returns the state. The client checks the checkpoint's signature,
// origin and consistency with every checkpoint it saw before; Sync replays
// the records (election.Replay) and checks that they hash to the
// checkpoint's root. If the board could not be read, the error says so and
// a later Sync goes on from where this one stopped; if the board sent what
// the replay refuses, the error wraps ErrRefused and the follower refuses
// this board from then on.
func (f *Follower) Sync(ctx context.Context) (*election.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refused != nil {
		return nil, f.refused
	}
	cp, err := f.client.Checkpoint(ctx)
	if err != nil {
		var inc *client.ErrInconsistency
		if errors.As(err, &inc) {
			return nil, f.refuse(err)
		}
		return nil, fmt.Errorf("reading the board's checkpoint: %w", err)
	}
	chain := f.replay.Chain()
	if next := chain.Size(); cp.Size < next {
		return nil, f.refuse(fmt.Errorf("the board's checkpoint has %d records, fewer than the %d already verified: it dropped records it had signed", cp.Size, next))
	}
	if err := f.replayTo(ctx, cp.Size); err != nil {
		return nil, err
	}
	if err := chain.CheckCheckpoint(cp.Checkpoint); err != nil {
		return nil, f.refuse(fmt.Errorf("the board's records do not hash to its signed checkpoint of size %d: %w", cp.Size, err))
	}
	if _, err := f.replay.State().CheckCheckpoint(cp.Note, cp.Checkpoint); err != nil {
		return nil, fmt.Errorf("not acting on the board's history: %w", err)
	}
	f.latest = cp
	return f.replay.State(), nil
}

// SyncTo is Sync, repeated until the checkpoint it verified covers at
// least size records, or ctx ends. A board with witnesses serves the newest
// checkpoint a quorum of them cosigned, which may lag its latest records by
// a moment: a participant that posted record i waits for size i+1 before
// acting on what followed it. A board this follower refused is not asked
// again. When ctx ends, the error says why the last poll that ran to its
// end was not enough (say, a checkpoint without the witnesses' quorum),
// not merely that the poll under way was cut short.
func (f *Follower) SyncTo(ctx context.Context, size int64) (*election.State, error) {
	var last error // why the last poll that ran to its end was not enough
	for {
		st, err := f.Sync(ctx)
		if err == nil && f.Checkpoint().Size >= size {
			return st, nil
		}
		if errors.Is(err, ErrRefused) {
			return nil, err
		}
		if err == nil {
			err = fmt.Errorf("the board's checkpoint covers %d records, not yet the %d needed", f.Checkpoint().Size, size)
		}
		if ctx.Err() != nil && last != nil {
			err = last // this poll was cut short by the end of the wait: say why the polls before were not enough
		}
		last = err
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (gave up waiting: %v)", err, ctx.Err())
		case <-time.After(syncRetry):
		}
	}
}

// syncRetry is how often SyncTo asks the board again.
const syncRetry = 50 * time.Millisecond

func (f *Follower) refuse(err error) error {
	f.refused = fmt.Errorf("%w: %w", ErrRefused, err)
	return f.refused
}

// page is one page of records, prepared, or why it could not be fetched.
type page struct {
	entries []*election.Entry
	err     error
}

// replayTo fetches and replays records up to size. Pages are fetched and
// prepared (election.Replay.Prepare) one ahead of the page being admitted.
func (f *Follower) replayTo(ctx context.Context, size int64) error {
	chain := f.replay.Chain()
	start := chain.Size()
	if start >= size {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan page, 1)
	go func() {
		defer close(pages)
		for next := start; next < size; {
			recs, err := f.client.Records(ctx, next, min(next+pageSize, size))
			if err == nil && len(recs) == 0 {
				err = fmt.Errorf("the board returned no record %d, below its checkpoint size %d", next, size)
			}
			var p page
			if err != nil {
				p.err = fmt.Errorf("reading records from %d: %w", next, err)
			} else {
				p.entries = f.replay.Prepare(recs)
				next += int64(len(recs))
			}
			select {
			case pages <- p:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	for p := range pages {
		if p.err != nil {
			return p.err
		}
		var refused error
		f.replay.Admit(p.entries, func(e *election.Entry, err error) bool {
			if err != nil {
				refused = election.RecordError(e.Record, err)
			}
			return err == nil
		})
		if refused != nil {
			return f.refuse(fmt.Errorf("the board holds a record that does not verify: %w", refused))
		}
		if f.progress != nil {
			f.progress(chain.Size(), size)
		}
	}
	if chain.Size() < size {
		return fmt.Errorf("reading the board stopped at record %d of %d: %w", chain.Size(), size, ctx.Err())
	}
	return nil
}

// Need is how many records a participant's view of the board must cover
// before it acts again: the records it posted and depends on. A board with
// witnesses serves the newest checkpoint a quorum cosigned, a moment after
// its latest record, so a participant that posts then acts passes Size to
// SyncTo. It is safe for concurrent use.
type Need struct{ n atomic.Int64 }

// Cover raises the need to cover rec.
func (n *Need) Cover(rec *bulletin.Record) { n.CoverAll(int64(rec.Index) + 1) }

// CoverAll raises the need to size records.
func (n *Need) CoverAll(size int64) {
	for {
		old := n.n.Load()
		if size <= old || n.n.CompareAndSwap(old, size) {
			return
		}
	}
}

// Size returns the number of records to cover.
func (n *Need) Size() int64 { return n.n.Load() }

// Acting returns what participants that post through post and act on f's
// view of the board need (package simulate's post and state functions):
// post, noting each record it posts, and a look at the board that waits,
// at most wait, until f's view covers every record posted so far (Need).
func (f *Follower) Acting(post participant.PostFunc, wait time.Duration) (participant.PostFunc, func(context.Context) (*election.State, error)) {
	need := new(Need)
	posting := func(ctx context.Context, sub *bulletin.Submission) (*bulletin.Record, *bulletin.Receipt, error) {
		rec, receipt, err := post(ctx, sub)
		if err == nil {
			need.Cover(rec)
		}
		return rec, receipt, err
	}
	state := func(ctx context.Context) (*election.State, error) {
		ctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		return f.SyncTo(ctx, need.Size())
	}
	return posting, state
}
