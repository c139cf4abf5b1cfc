package election

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
)

// TrustPolicy returns the cosignature policy of definition m
// (docs/spec/ballot.md §1.1): its witnesses and their quorum, and the
// operators of its board and theirs, more than two thirds
// (ballot.Manifest.OperatorQuorum). A definition with neither gives the
// empty policy, which requires nothing.
func TrustPolicy(m *ballot.Manifest) (bulletin.TrustPolicy, error) {
	var t bulletin.TrustPolicy
	if len(m.Witnesses) > 0 {
		p := bulletin.CosignPolicy{Role: "witnesses", Quorum: m.WitnessQuorum}
		for i := range m.Witnesses {
			v, err := m.Witnesses[i].Verifier()
			if err != nil {
				return nil, fmt.Errorf("witness %q: %w", m.Witnesses[i].Name, err)
			}
			p.Cosigners = append(p.Cosigners, v)
		}
		t = append(t, p)
	}
	if len(m.Operators) > 0 {
		p := bulletin.CosignPolicy{Role: "operators", Quorum: m.OperatorQuorum()}
		for i := range m.Operators {
			v, err := m.Operators[i].Verifier()
			if err != nil {
				return nil, fmt.Errorf("operator %q: %w", m.Operators[i].Name, err)
			}
			p.Cosigners = append(p.Cosigners, v)
		}
		t = append(t, p)
	}
	return t, nil
}

// CheckCheckpoint checks a signed checkpoint of the board against the
// definition's trust policy (CheckTrust). Before a definition is admitted
// it checks nothing.
func (s *State) CheckCheckpoint(signed []byte, cp bulletin.Checkpoint) (bulletin.Cosigned, error) {
	s.mu.RLock()
	m, policy := s.manifest, s.trust
	s.mu.RUnlock()
	if m == nil {
		return bulletin.Cosigned{}, nil
	}
	return checkTrust(m, policy, signed, cp)
}

// CheckTrust checks a signed checkpoint of the board against definition
// m's trust policy: it is for the board m names (its origin) or, if m
// names the operators of a replicated board, for the board of one of them
// (whose origin is the operator's name), and it
// carries the witnesses' quorum of cosignatures and the operators' (one
// policy, TrustPolicy). It returns the cosigners, and those whose
// cosignature line does not verify (bulletin.Cosigned.Faulty), which do
// not count but do not refuse a checkpoint that has its quorums without
// them.
func CheckTrust(m *ballot.Manifest, signed []byte, cp bulletin.Checkpoint) (bulletin.Cosigned, error) {
	policy, err := TrustPolicy(m)
	if err != nil {
		return bulletin.Cosigned{}, err
	}
	return checkTrust(m, policy, signed, cp)
}

func checkTrust(m *ballot.Manifest, policy bulletin.TrustPolicy, signed []byte, cp bulletin.Checkpoint) (bulletin.Cosigned, error) {
	op := m.Operator(cp.Origin)
	if m.Board != nil && cp.Origin != m.Board.Origin && op == nil {
		return bulletin.Cosigned{}, fmt.Errorf("the checkpoint is from the board %q, not the board %q that the election definition names", cp.Origin, m.Board.Origin)
	}
	if op != nil {
		if err := checkOperatorSigned(op, signed); err != nil {
			return bulletin.Cosigned{}, err
		}
	}
	c, err := policy.Check(signed)
	if err != nil {
		return c, fmt.Errorf("the board's checkpoint of %d records is %w of the election's trust policy", cp.Size, err)
	}
	return c, nil
}

// ErrOperatorBoardKey is wrapped by the error of a checkpoint of an
// operator's board that is not signed by the board key the election
// definition names for that operator (docs/spec/replicated-board.md §5.1).
var ErrOperatorBoardKey = errors.New("not signed by the board key the election definition names for its operator")

// checkOperatorSigned checks that signed, a checkpoint whose origin is
// operator op's name, carries the signature of op's board key, the one the
// definition names: a key of the operator's name that the definition does
// not name is not the operator's, whoever serves it.
func checkOperatorSigned(op *ballot.Operator, signed []byte) error {
	v, err := op.BoardVerifier()
	if err != nil {
		return fmt.Errorf("the board key of operator %q: %w", op.Name, err)
	}
	if _, err := note.Open(signed, note.VerifierList(v)); err != nil {
		return fmt.Errorf("the checkpoint of operator %q is %w (%s): %v", op.Name, ErrOperatorBoardKey, op.BoardKey, err)
	}
	return nil
}

// SetBoard tells the state which board it reads: the verifier key of its
// checkpoints. A definition that names another board is then refused
// (docs/spec/election.md §4). A reader that does not know the board's key
// (a verifier of an export without checkpoints) leaves it unset.
func (s *State) SetBoard(vkey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.boardKey = strings.TrimSpace(vkey)
}

// checkBoard checks that definition m names the board the state reads, if
// the state knows its board (CheckBoardKey). The caller holds s.mu.
func (s *State) checkBoard(m *ballot.Manifest) error {
	if s.boardKey == "" {
		return nil
	}
	if err := CheckBoardKey(m, s.boardKey); err != nil {
		return reject(CodeUnauthorized, "%v", err)
	}
	return nil
}

// CheckBoardKey checks that vkey is the key of a board that definition m
// names: a key named as one of m's operators must be the board key m
// names for that operator (an operator's board, whose checkpoints the
// trust policy then demands the operators' quorum on); any other key must
// be the key of the board m names, if it names one
// (docs/spec/replicated-board.md §5.1, §8).
func CheckBoardKey(m *ballot.Manifest, vkey string) error {
	vkey = strings.TrimSpace(vkey)
	name := vkey
	if v, err := note.NewVerifier(vkey); err == nil {
		name = v.Name()
		if op := m.Operator(name); op != nil {
			if op.BoardKey != vkey {
				return fmt.Errorf("the definition names the board key %s for operator %q, not this board's key %s", op.BoardKey, name, vkey)
			}
			return nil
		}
	}
	if m.Board != nil && m.Board.Key != vkey {
		return fmt.Errorf("the definition is for the board %q (key %s), not this board %q", m.Board.Origin, m.Board.Key, name)
	}
	return nil
}
