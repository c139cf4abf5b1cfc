package voterclient

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/election"
)

// Election is the election context a client rebuilt from the board: a
// snapshot of the election.State its Syncer replayed.
type Election struct {
	// Manifest is the election definition.
	Manifest *ballot.Manifest
	// ManifestHash is the hash of the definition.
	ManifestHash [32]byte
	// Ballot is what encrypting needs (joint key, base hash); nil until the
	// key ceremony's joint key is on the board.
	Ballot *ballot.Election
	// Phase is the election's phase as of the records read. Reading stops
	// once voting is open, so a later close is not seen here.
	Phase election.Phase
	// Clients are the published voter client builds.
	Clients []election.ClientHash
	// RollSize is the number of voters on the roll so far, and RollClosed
	// whether the registrar has closed it.
	RollSize   int64
	RollClosed bool

	rollEntry func(ed25519.PublicKey) (int64, bool)
}

// RollEntry returns the roll entry of the credential key cred, and
// whether it is on the roll as read.
func (e *Election) RollEntry(cred ed25519.PublicKey) (int64, bool) {
	if e.rollEntry == nil {
		return 0, false
	}
	return e.rollEntry(cred)
}

// Syncer rebuilds the election context from the board's records, read in
// order from index 0, through an election.Replay: the one replay every
// participant and the verifier use, which checks the hash chain, every
// signature, every proof (so that the joint key is the one the trustees'
// commitments define) and every rule (docs/spec/election.md) before the
// state is used. It stops needing records once voting has opened (Done);
// later records are not read. Anchor then ties the records read to the
// board's signed checkpoint.
//
// A Syncer is not safe for concurrent use.
type Syncer struct {
	replay   *election.Replay
	anchored int64 // size of the checkpoint the records are tied to, 0 before Anchor
}

// syncStep is how many records the Syncer prepares at a time, so that it
// decodes little past the record that opens voting.
const syncStep = 16

// NewSyncer returns a Syncer that expects record 0 first.
func NewSyncer() *Syncer {
	return &Syncer{replay: election.NewReplay(election.ReplayOptions{})}
}

// Next returns the index of the next record Add expects.
func (s *Syncer) Next() uint64 { return uint64(s.replay.Chain().Size()) }

// Done reports whether the context is complete: the joint key is known and
// voting has opened (or already closed).
func (s *Syncer) Done() bool {
	st := s.replay.State()
	return st.Phase() >= election.Open && st.Election() != nil
}

// Election returns the context built so far: Manifest is nil before the
// definition is read, Ballot before the joint key.
func (s *Syncer) Election() *Election {
	st := s.replay.State()
	size, closed := st.RollStatus()
	return &Election{
		Manifest:     st.Manifest(),
		ManifestHash: st.ManifestHash(),
		Ballot:       st.Election(),
		Phase:        st.Phase(),
		Clients:      st.ClientHashes(),
		RollSize:     size,
		RollClosed:   closed,
		rollEntry:    st.RollEntry,
	}
}

// Anchor ties the records read so far to the board's signed checkpoint
// (docs/spec/voter-client.md §5.1): checkpoint must be signed by the board
// key vkey, for the log that key names (its origin), and proof must show
// the last record read at its index in the checkpoint's tree. With the hash
// chain, that pins every record read to what the board signed. It returns
// the checkpoint's size.
func (s *Syncer) Anchor(checkpoint []byte, vkey string, proof tlog.RecordProof) (int64, error) {
	cp, err := boardCheckpoint(vkey, checkpoint)
	if err != nil {
		return 0, err
	}
	last := int64(s.Next()) - 1
	if last < 0 || last >= cp.Size {
		return 0, badBoard(nil, "its checkpoint signs %d records, but this page read %d", cp.Size, last+1)
	}
	if err := bulletin.CheckInclusion(proof, last, cp.Size, s.replay.Chain().Last(), cp.Hash); err != nil {
		return 0, badBoard(err, "the records it sent are not the ones its checkpoint signs (record %d is not in its tree)", last)
	}
	st := s.replay.State()
	if m := st.Manifest(); m != nil {
		if err := election.CheckBoardKey(m, vkey); err != nil {
			return 0, badBoard(err, "this page checks the key of %q, but %v", cp.Origin, err)
		}
	}
	if _, err := st.CheckCheckpoint(checkpoint, cp); err != nil {
		return 0, badBoard(err, "%v", err)
	}
	s.anchored = cp.Size
	return cp.Size, nil
}

// Anchored returns the size of the checkpoint the records read are tied to
// (Anchor), or 0.
func (s *Syncer) Anchored() int64 { return s.anchored }

// Sync replays recs, which must start at record 0, and returns the
// election context. It is NewSyncer followed by Add.
func Sync(recs []*bulletin.Record) (*Election, error) {
	s := NewSyncer()
	if err := s.Add(recs); err != nil {
		return nil, err
	}
	return s.Election(), nil
}

func badBoard(err error, format string, args ...any) *Problem {
	return problemKey(CodeBadBoard, err, "client.problem.bad-board", fmt.Sprintf(format, args...))
}

// Add replays the next records. Records before Next are ignored (a page
// fetched twice); a gap is an error. Once Done, Add ignores the rest: the
// voter's device needs no ballot records. An error names the record the
// replay refused; nothing after it is taken in.
func (s *Syncer) Add(recs []*bulletin.Record) error {
	for len(recs) > 0 && recs[0].Index < s.Next() {
		recs = recs[1:]
	}
	for len(recs) > 0 && !s.Done() {
		n := min(len(recs), syncStep)
		var refused error
		var at *bulletin.Record
		s.replay.Admit(s.replay.Prepare(recs[:n]), func(e *election.Entry, err error) bool {
			if err != nil {
				refused, at = err, e.Record
			}
			return err == nil && !s.Done()
		})
		if refused != nil {
			reason := refused.Error()
			var rej *bulletin.RejectError
			if errors.As(refused, &rej) {
				reason = rej.Reason
			}
			return badBoard(refused, "record %d (%s) does not verify: %s", at.Index, at.Type, reason)
		}
		recs = recs[n:]
	}
	return nil
}

// Rule describes in plain words, in English, what a contest lets the
// voter mark (RuleKey).
func Rule(c *ballot.Contest) string {
	key, args := RuleKey(c)
	return english.Sprintf(key, args...)
}

// RuleKey returns the message of the catalogue (internal/i18n) that says
// what a contest lets the voter mark, with its arguments, so that the page
// says it in the reader's language.
func RuleKey(c *ballot.Contest) (key string, args []any) {
	n := len(c.Options)
	if c.Ranked() {
		return "client.rule.ranked", []any{c.MaxSelections}
	}
	if c.OptionMax > 1 {
		switch {
		case c.MinSelections == c.MaxSelections:
			return plural(c.MaxSelections, "client.rule.points-exactly-one", "client.rule.points-exactly"), []any{c.MaxSelections, c.OptionMax}
		case c.MinSelections == 0:
			return plural(c.MaxSelections, "client.rule.points-up-to-one", "client.rule.points-up-to"), []any{c.MaxSelections, c.OptionMax}
		default:
			return "client.rule.points-between", []any{c.MinSelections, c.MaxSelections, c.OptionMax}
		}
	}
	switch {
	case c.MaxSelections == 1 && c.MinSelections == 1:
		return "client.rule.one", nil
	case c.MaxSelections == 1:
		return "client.rule.one-or-none", nil
	case c.MaxSelections >= n && c.MinSelections == 0:
		return "client.rule.approval", nil
	case c.MinSelections == c.MaxSelections:
		return "client.rule.exactly", []any{c.MaxSelections}
	case c.MinSelections == 0:
		return "client.rule.up-to", []any{c.MaxSelections}
	default:
		return "client.rule.between", []any{c.MinSelections, c.MaxSelections}
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
