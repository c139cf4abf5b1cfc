package election

import (
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
)

// WitnessPolicy returns the cosignature policy of definition m: its
// witnesses and their quorum (docs/spec/ballot.md §1.1). A definition
// without witnesses gives the zero policy, which requires nothing.
func WitnessPolicy(m *ballot.Manifest) (bulletin.CosignPolicy, error) {
	p := bulletin.CosignPolicy{Quorum: m.WitnessQuorum}
	for i := range m.Witnesses {
		v, err := m.Witnesses[i].Verifier()
		if err != nil {
			return bulletin.CosignPolicy{}, fmt.Errorf("witness %q: %w", m.Witnesses[i].Name, err)
		}
		p.Cosigners = append(p.Cosigners, v)
	}
	return p, nil
}

// CheckCheckpoint checks a signed checkpoint of the board against the
// definition's trust policy (CheckTrust). Before a definition is admitted
// it checks nothing.
func (s *State) CheckCheckpoint(signed []byte, cp bulletin.Checkpoint) ([]string, error) {
	s.mu.RLock()
	m, policy := s.manifest, s.witnesses
	s.mu.RUnlock()
	if m == nil {
		return nil, nil
	}
	return checkTrust(m, policy, signed, cp)
}

// CheckTrust checks a signed checkpoint of the board against definition
// m's trust policy: it is for the board m names (its origin), and it
// carries the witnesses' quorum of cosignatures. It returns the cosigners.
func CheckTrust(m *ballot.Manifest, signed []byte, cp bulletin.Checkpoint) ([]string, error) {
	policy, err := WitnessPolicy(m)
	if err != nil {
		return nil, err
	}
	return checkTrust(m, policy, signed, cp)
}

func checkTrust(m *ballot.Manifest, policy bulletin.CosignPolicy, signed []byte, cp bulletin.Checkpoint) ([]string, error) {
	if m.Board != nil && cp.Origin != m.Board.Origin {
		return nil, fmt.Errorf("the checkpoint is from the board %q, not the board %q that the election definition names", cp.Origin, m.Board.Origin)
	}
	names, err := policy.Check(signed)
	if err != nil {
		return names, fmt.Errorf("the board's checkpoint of %d records is %w of the election's witnesses", cp.Size, err)
	}
	return names, nil
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
// it names one and the state knows its board. The caller holds s.mu.
func (s *State) checkBoard(m *ballot.Manifest) error {
	if m.Board == nil || s.boardKey == "" {
		return nil
	}
	if m.Board.Key != s.boardKey {
		name := s.boardKey
		if v, err := note.NewVerifier(s.boardKey); err == nil {
			name = v.Name()
		}
		return reject(CodeUnauthorized, "the definition is for the board %q (key %s), not this board %q", m.Board.Origin, m.Board.Key, name)
	}
	return nil
}
