package election

import (
	"context"
	"io"
	"sync"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/internal/parallel"
)

// maxCached bounds the decoded payloads kept between Verify and Admit; a
// submission whose entry was dropped is simply decoded again.
const maxCached = 4096

// Policy is the board's admission policy for one election: it decodes and
// verifies submissions concurrently, then admits them into a State in log
// order. It implements bulletin.Policy.
type Policy struct {
	state   *State
	batcher ballotBatcher

	mu      sync.Mutex
	decoded map[string]any // by signature: payloads verified but not yet admitted
}

// NewPolicy returns a policy over an empty State, which lets up to
// verifyQueue ballots wait for their proofs to be checked
// (DefaultVerifyQueuePerCPU per CPU if 0).
func NewPolicy(verifyQueue int) *Policy {
	return &Policy{state: NewState(), batcher: ballotBatcher{limit: verifyQueue}, decoded: make(map[string]any)}
}

// decodeStored is Decode for a record of the board's own log: a ballot's
// proofs are left undecoded.
func decodeStored(typ string, payload []byte) (any, error) {
	if typ == TypeBallot {
		return ballot.ParseStoredBallot(payload)
	}
	return Decode(typ, payload)
}

// State returns the election state the policy maintains.
func (p *Policy) State() *State { return p.state }

// Verify implements bulletin.Policy: it decodes the payload and checks its
// proofs. Ballots arriving concurrently are verified together in batches
// (the log reserved their place first, Reserve), and one whose ctx ends is
// dropped.
func (p *Policy) Verify(ctx context.Context, s *bulletin.Submission) error {
	v, err := Decode(s.Type, s.Payload)
	if err != nil {
		return reject(bulletin.CodeMalformed, "%v", err)
	}
	if b, ok := v.(*ballot.EncryptedBallot); ok {
		err = p.verifyBallot(ctx, s.Author, b)
	} else {
		err = p.state.VerifyProofs(s.Type, s.Author, v)
	}
	if err != nil {
		return err
	}
	p.mu.Lock()
	if len(p.decoded) >= maxCached {
		clear(p.decoded)
	}
	p.decoded[string(s.Sig)] = v
	p.mu.Unlock()
	return nil
}

// Reserve implements bulletin.Reserver: a ballot takes one of the places
// of ballots in hand, from before its signature is checked to its verdict,
// or is refused at once with an error wrapping bulletin.ErrQueueFull.
// Other records take none.
func (p *Policy) Reserve(s *bulletin.Submission) (release func(), err error) {
	if s.Type != TypeBallot {
		return func() {}, nil
	}
	return p.batcher.reserve()
}

// Prepare implements bulletin.Preparer: it decodes a page of stored
// records on every core, so that replaying a board's records at start-up
// does not decode every ballot inside Admit, on one core. Ballots are
// decoded without their proofs, which the board checked when it admitted
// them and which Admit does not read (ballot.ParseStoredBallot).
func (p *Policy) Prepare(recs []*bulletin.Record) {
	decoded := make([]any, len(recs))
	parallel.For(0, len(recs), func(i int) {
		if v, err := decodeStored(recs[i].Type, recs[i].Payload); err == nil {
			decoded[i] = v
		}
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, v := range decoded {
		if v == nil {
			continue // Admit decodes it again and reports the error
		}
		if len(p.decoded) >= maxCached {
			clear(p.decoded)
		}
		p.decoded[string(recs[i].Sig)] = v
	}
}

// Admit implements bulletin.Policy.
func (p *Policy) Admit(rec *bulletin.Record) error {
	p.mu.Lock()
	v, ok := p.decoded[string(rec.Sig)]
	delete(p.decoded, string(rec.Sig))
	p.mu.Unlock()
	if !ok {
		var err error
		if v, err = Decode(rec.Type, rec.Payload); err != nil {
			return reject(bulletin.CodeMalformed, "%v", err)
		}
	}
	return p.state.Admit(rec, v)
}

// replayRefused are the record types whose replay the rules refuse in
// every state after they admitted the record (bulletin.ReplayRefuser):
// each step of an election is taken once (the definition, the roll's
// chunks, which must start where the roll ends, and its closing, a
// trustee's commitments, shares, verdict, partial decryption, mix and
// decryption of a mix, a contest's count), phases only move on (the joint
// key is taken in the ceremony, voting opens only from ready and closes
// only while open, the result ends the election), a client build is
// published once, and a ballot's or a challenged ballot's confirmation
// code is on the board for good.
var replayRefused = map[string]bool{
	TypeDefinition: true, TypeRoll: true, TypeRollClose: true,
	TypeCommitments: true, TypeShares: true, TypeVerdict: true, TypeJointKey: true,
	TypeClientHash: true, TypePhase: true, TypeBallot: true, TypeChallenge: true,
	TypePartial: true, TypeResult: true,
	TypeMix: true, TypeMixDecryption: true, TypeRankedResult: true, TypeWriteInResult: true,
}

// RefusesReplay implements bulletin.ReplayRefuser: a replicated board's
// CheckTx refuses, as a duplicate, a transaction of these types that is
// already a record (replayRefused).
func (p *Policy) RefusesReplay(typ string) bool { return replayRefused[typ] }

// Snapshot implements bulletin.Snapshotter (State.WriteSnapshot).
func (p *Policy) Snapshot(w io.Writer) error { return p.state.WriteSnapshot(w) }

// Restore implements bulletin.Snapshotter (State.RestoreSnapshot).
func (p *Policy) Restore(r io.Reader, tree tlog.Tree, record func(int64) (*bulletin.Record, error)) error {
	return p.state.RestoreSnapshot(r, tree, record)
}

// Tracker hands the board's log a fresh Policy whenever it (re)builds its
// state, and remembers the latest, so that readers such as the status page
// see the state the log is using.
type Tracker struct {
	// BoardKey is the board's checkpoint verifier key: a definition that
	// names another board is refused (State.SetBoard). Empty: not checked.
	BoardKey string
	// VerifyQueue is the number of ballots that may wait for their proofs
	// to be checked (NewPolicy).
	VerifyQueue int

	mu      sync.Mutex
	current *Policy
}

// New returns a fresh policy and makes it the current one. Pass it to the
// log as its policy constructor.
func (t *Tracker) New() bulletin.Policy {
	p := NewPolicy(t.VerifyQueue)
	p.state.SetBoard(t.BoardKey)
	t.mu.Lock()
	t.current = p
	t.mu.Unlock()
	return p
}

// State returns the state of the current policy, or an empty State before
// the log created one.
func (t *Tracker) State() *State {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.current == nil {
		return NewState()
	}
	return t.current.state
}

// Current returns the state of the current policy; it has the shape of a
// simulate.StateFunc, for drivers that run next to the board.
func (t *Tracker) Current(context.Context) (*State, error) { return t.State(), nil }
