package election

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"runtime"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/internal/parallel"
)

// Defaults of ReplayOptions.
const (
	// DefaultBatchSize is the largest number of ballots whose proofs a
	// Replay checks in one batch.
	DefaultBatchSize = 256
	// DefaultMaxPayload is the largest record payload a Replay accepts. It
	// is far above a board's default limit on what it accepts from posters
	// (bulletin.DefaultMaxPayload) because the election definition carries
	// the whole voter roll (about 47 bytes per voter): a reader takes in
	// whatever definition the board was configured to accept.
	DefaultMaxPayload = 256 << 20
)

// Replay takes an election's board records in, in log order, and checks
// everything a participant must check before acting on the election's
// state: that the records form a log (bulletin.Chain: indexes, hash chain,
// signatures, Merkle tree), that each payload decodes, that every proof
// holds (ballot proofs in batches on every core, VerifyBallots), and the
// election rules (State.Admit). Every reader of an election board — the
// participants' follower, the voter page and the verifier — replays it
// through a Replay, so that no one acts on a record that one of them would
// refuse.
//
// Records go through in two steps, so that a reader can overlap them:
// Prepare does the per-record work that needs no earlier record (signature,
// leaf hash, decoding) on every core and may run for one page while Admit
// runs for the previous one; Admit places the records in order.
//
// A Replay is not safe for concurrent use, except that Prepare may run
// concurrently with Admit.
type Replay struct {
	state      *State
	chain      *bulletin.Chain
	maxPayload int
	workers    int
	batchSize  int
	keepGoing  bool
}

// ReplayOptions configures a Replay. The zero value is usable.
type ReplayOptions struct {
	// MaxPayload is the largest payload accepted; DefaultMaxPayload if 0.
	MaxPayload int
	// Workers is the number of goroutines checking records in parallel;
	// runtime.NumCPU() if 0.
	Workers int
	// BatchSize bounds the ballots of one proof batch; DefaultBatchSize if 0.
	BatchSize int
	// KeepGoing is for a verifier that lists every failure rather than
	// stopping at the first: a closing record refused as stale (it names
	// another history than the one before it) still closes voting, so that
	// the partial decryptions and the result after it are judged against
	// the sums recomputed here rather than all refused as out of phase.
	KeepGoing bool
}

// NewReplay returns a Replay of an empty board.
func NewReplay(opts ReplayOptions) *Replay {
	r := &Replay{
		state:      NewState(),
		maxPayload: opts.MaxPayload,
		workers:    opts.Workers,
		batchSize:  opts.BatchSize,
		keepGoing:  opts.KeepGoing,
	}
	if r.maxPayload <= 0 {
		r.maxPayload = DefaultMaxPayload
	}
	r.chain = bulletin.NewChain(r.maxPayload)
	if r.workers <= 0 {
		r.workers = runtime.NumCPU()
	}
	if r.batchSize <= 0 {
		r.batchSize = DefaultBatchSize
	}
	return r
}

// State returns the election state built from the records admitted.
func (r *Replay) State() *State { return r.state }

// Chain returns the log the records form, with its Merkle tree: check
// signed checkpoints against it.
func (r *Replay) Chain() *bulletin.Chain { return r.chain }

// Entry is one record on its way through a Replay.
type Entry struct {
	// Record is the board record.
	Record *bulletin.Record
	// Value is its decoded payload (see Decode), nil if it did not decode.
	Value any

	checked   *bulletin.Checked
	decodeErr error
	proofErr  error
	proofsRun bool
}

// Prepare runs, on every core, the checks of recs that need no earlier
// record: form, signature and leaf hash (bulletin.Precheck), and the
// decoding of each payload. It changes nothing in the Replay and may run
// while Admit places earlier records.
func (r *Replay) Prepare(recs []*bulletin.Record) []*Entry {
	entries := make([]*Entry, len(recs))
	parallel.For(r.workers, len(recs), func(i int) {
		e := &Entry{Record: recs[i], checked: bulletin.Precheck(recs[i], r.maxPayload)}
		e.decodeErr = safely(func() (err error) {
			e.Value, err = Decode(recs[i].Type, recs[i].Payload)
			return err
		})
		entries[i] = e
	})
	return entries
}

// Admit places prepared entries, in order, after the records admitted so
// far: it adds each to the chain, checks its proofs (runs of ballots
// together, in batches spread over the workers) and admits it into the
// state. It calls fn with each entry and its outcome: nil if the state
// took it in, a *bulletin.ChainError if it does not belong in the log
// there (Admit then stops: nothing after it can be placed), and otherwise
// the reason the rules refuse it, usually a *bulletin.RejectError. A
// refused record stays in the log's tree (State.SkipRecord). If fn returns
// false, Admit stops. Admit reports whether it went through every entry.
func (r *Replay) Admit(entries []*Entry, fn func(e *Entry, err error) bool) bool {
	for i := 0; i < len(entries); {
		if !isBallotLike(entries[i]) || r.state.Election() == nil {
			if err := r.chain.Add(entries[i].checked); err != nil {
				fn(entries[i], err)
				return false
			}
			if !fn(entries[i], r.admit(entries[i])) {
				return false
			}
			i++
			continue
		}
		// A run of ballots: place them in the chain, check their proofs
		// together, then admit them one by one.
		j := i + 1
		for j < len(entries) && isBallotLike(entries[j]) {
			j++
		}
		var chainErr error
		k := i
		for ; k < j; k++ {
			if chainErr = r.chain.Add(entries[k].checked); chainErr != nil {
				break
			}
		}
		r.verifyBallots(entries[i:k])
		for _, e := range entries[i:k] {
			if !fn(e, r.admit(e)) {
				return false
			}
		}
		if chainErr != nil {
			fn(entries[k], chainErr)
			return false
		}
		i = j
	}
	return true
}

// Records prepares and admits recs, stopping at the first record refused,
// which it returns as an error naming it.
func (r *Replay) Records(recs []*bulletin.Record) error {
	var first error
	r.Admit(r.Prepare(recs), func(e *Entry, err error) bool {
		if err != nil {
			first = RecordError(e.Record, err)
		}
		return err == nil
	})
	return first
}

// RecordError wraps err, the reason a replay refused rec, with the
// record's index and type (a chain error names its record already).
func RecordError(rec *bulletin.Record, err error) error {
	var ce *bulletin.ChainError
	if errors.As(err, &ce) {
		return err
	}
	return fmt.Errorf("record %d (%s): %w", rec.Index, rec.Type, err)
}

func isBallotLike(e *Entry) bool {
	return e.Record.Type == TypeBallot || e.Record.Type == TypeChallenge
}

// admit checks one entry's proofs, unless they were checked in a batch,
// and admits it into the state; a refused entry is skipped in the state's
// tree.
func (r *Replay) admit(e *Entry) error {
	err := e.decodeErr
	if err != nil {
		err = reject(bulletin.CodeMalformed, "%v", err)
	} else if e.proofsRun {
		err = e.proofErr
	} else {
		err = safely(func() error { return r.state.VerifyProofs(e.Record.Type, e.Record.Author, e.Value) })
	}
	if err == nil {
		err = safely(func() error { return r.state.Admit(e.Record, e.Value) })
	}
	if err == nil {
		return nil
	}
	var rej *bulletin.RejectError
	var serr error
	if r.keepGoing && errors.As(err, &rej) && rej.Code == CodeStale && e.Record.Type == TypePhase {
		serr = r.state.AdmitStaleClose(e.Record, e.Value)
	} else {
		serr = r.state.SkipRecord(e.Record)
	}
	if serr != nil {
		return errors.Join(err, serr)
	}
	return err
}

// verifyBallots checks the proofs of a run of decoded ballots, in batches
// spread over the workers, and of challenged ballots, one by one, against
// the election the records before them fixed.
func (r *Replay) verifyBallots(run []*Entry) {
	e := r.state.Election()
	var ballots, challenges []*Entry
	for _, x := range run {
		if x.decodeErr != nil {
			continue
		}
		if x.Record.Type == TypeBallot {
			ballots = append(ballots, x)
		} else {
			challenges = append(challenges, x)
		}
	}
	var tasks []func()
	if n := len(ballots); n > 0 {
		groups := max((n+r.batchSize-1)/r.batchSize, min(r.workers, n))
		for g := range groups {
			group := ballots[g*n/groups : (g+1)*n/groups]
			tasks = append(tasks, func() { verifyBallotGroup(e, group) })
		}
	}
	for _, x := range challenges {
		tasks = append(tasks, func() {
			x.proofErr = safely(func() error { return r.state.VerifyProofs(x.Record.Type, x.Record.Author, x.Value) })
			x.proofsRun = true
		})
	}
	parallel.For(r.workers, len(tasks), func(i int) { tasks[i]() })
}

// verifyBallotGroup checks one batch of ballots with VerifyBallots and
// records each one's verdict.
func verifyBallotGroup(e *ballot.Election, group []*Entry) {
	bs := make([]*ballot.EncryptedBallot, len(group))
	signers := make([]ed25519.PublicKey, len(group))
	for i, x := range group {
		bs[i], signers[i] = x.Value.(*ballot.EncryptedBallot), x.Record.Author
	}
	var verdicts []error
	if err := safely(func() error { verdicts = VerifyBallots(e, bs, signers); return nil }); err != nil {
		verdicts = make([]error, len(group))
		for i := range verdicts {
			verdicts[i] = err
		}
	}
	for i, x := range group {
		x.proofErr, x.proofsRun = verdicts[i], true
	}
}

// safely runs f, turning a panic into an error: a crafted record must not
// stop whoever checks it, even if it trips a bug in the code checking it.
func safely(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error while checking this record (a bug in evote, please report it): %v", p)
		}
	}()
	return f()
}
