package voterclient

import (
	"bytes"
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
}

// Syncer rebuilds the election context from the board's records, read in
// order from index 0, by replaying them through an election.State, the
// rules the board and the verifier apply (docs/spec/election.md). On top of
// what a state admits, it checks what the voter's device cannot take on
// trust from the board: the hash chain, every signature and the proofs of
// the key ceremony (election.State.VerifyProofs), so that the joint key is
// the one the trustees' commitments define. It stops needing records once
// voting has opened (Done); ballots and later records are skipped.
//
// A Syncer is not safe for concurrent use.
type Syncer struct {
	next     uint64
	prevLeaf tlog.Hash
	state    *election.State
}

// NewSyncer returns a Syncer that expects record 0 first.
func NewSyncer() *Syncer { return &Syncer{state: election.NewState()} }

// Next returns the index of the next record Add expects.
func (s *Syncer) Next() uint64 { return s.next }

// Done reports whether the context is complete: the joint key is known and
// voting has opened (or already closed).
func (s *Syncer) Done() bool {
	return s.state.Phase() >= election.Open && s.state.Election() != nil
}

// Election returns the context built so far: Manifest is nil before the
// definition is read, Ballot before the joint key.
func (s *Syncer) Election() *Election {
	st := s.state
	return &Election{
		Manifest:     st.Manifest(),
		ManifestHash: st.ManifestHash(),
		Ballot:       st.Election(),
		Phase:        st.Phase(),
		Clients:      st.ClientHashes(),
	}
}

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
	return problem(CodeBadBoard, err, "The election board sent data that does not check out, so this page will not use it: "+format+". Tell your election official.", args...)
}

// Add replays the next records. Records before Next are ignored (a page
// fetched twice); a gap is an error. Once Done, Add ignores the rest: the
// voter's device needs no ballot records. On error the Syncer is unchanged
// by the failing record.
func (s *Syncer) Add(recs []*bulletin.Record) error {
	for _, r := range recs {
		if s.Done() {
			return nil
		}
		if r.Index < s.next {
			continue
		}
		if r.Index > s.next {
			return badBoard(nil, "record %d came when record %d was expected", r.Index, s.next)
		}
		if !bytes.Equal(r.Prev, s.prevLeaf[:]) {
			return badBoard(nil, "record %d does not chain to the record before it", r.Index)
		}
		if !r.VerifySignature() {
			return badBoard(nil, "record %d has an invalid signature", r.Index)
		}
		if err := s.admit(r); err != nil {
			return err
		}
		s.prevLeaf = r.LeafHash()
		s.next++
	}
	return nil
}

// admit decodes r, checks its proofs and admits it into the state, which
// is unchanged if any of these fails.
func (s *Syncer) admit(r *bulletin.Record) error {
	v, err := election.Decode(r.Type, r.Payload)
	if err != nil {
		return badBoard(err, "record %d is not a valid %q record", r.Index, r.Type)
	}
	if err := s.state.VerifyProofs(r.Type, r.Author, v); err != nil {
		return badBoard(err, "the proofs in record %d (%s) do not verify", r.Index, r.Type)
	}
	if err := s.state.Admit(r, v); err != nil {
		reason := err.Error()
		var rej *bulletin.RejectError
		if errors.As(err, &rej) {
			reason = rej.Reason
		}
		return badBoard(err, "record %d (%s) breaks the election's rules: %s", r.Index, r.Type, reason)
	}
	return nil
}

// Rule describes in plain words what a contest lets the voter mark.
func Rule(c *ballot.Contest) string {
	n := len(c.Options)
	if c.OptionMax > 1 {
		unit := plural(c.MaxSelections, "point", "points")
		switch {
		case c.MinSelections == c.MaxSelections:
			return fmt.Sprintf("Share out exactly %d %s among the options, at most %d per option.", c.MaxSelections, unit, c.OptionMax)
		case c.MinSelections == 0:
			return fmt.Sprintf("Share out up to %d %s among the options, at most %d per option.", c.MaxSelections, unit, c.OptionMax)
		default:
			return fmt.Sprintf("Share out between %d and %d points among the options, at most %d per option.", c.MinSelections, c.MaxSelections, c.OptionMax)
		}
	}
	switch {
	case c.MaxSelections == 1 && c.MinSelections == 1:
		return "Choose one option."
	case c.MaxSelections == 1:
		return "Choose one option, or none."
	case c.MaxSelections >= n && c.MinSelections == 0:
		return "Choose as many options as you approve of, or none."
	case c.MinSelections == c.MaxSelections:
		return fmt.Sprintf("Choose exactly %d options.", c.MaxSelections)
	case c.MinSelections == 0:
		return fmt.Sprintf("Choose up to %d options.", c.MaxSelections)
	default:
		return fmt.Sprintf("Choose between %d and %d options.", c.MinSelections, c.MaxSelections)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
