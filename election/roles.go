package election

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/ceremony"
	"github.com/evote/evote/tally"
)

// Signer signs board records: the key of an official, a trustee or a voter.
type Signer interface {
	// PublicKey is the Ed25519 key that verifies the signatures.
	PublicKey() ed25519.PublicKey
	// Sign returns an Ed25519 signature of msg.
	Sign(msg []byte) []byte
}

// KeySigner is a Signer for a plain Ed25519 private key.
type KeySigner ed25519.PrivateKey

// PublicKey implements Signer.
func (k KeySigner) PublicKey() ed25519.PublicKey {
	return ed25519.PrivateKey(k).Public().(ed25519.PublicKey)
}

// Sign implements Signer.
func (k KeySigner) Sign(msg []byte) []byte { return ed25519.Sign(ed25519.PrivateKey(k), msg) }

// TrusteeSigner is a Signer for a trustee's keys.
type TrusteeSigner struct{ Keys *ceremony.TrusteeKeys }

// PublicKey implements Signer.
func (t TrusteeSigner) PublicKey() ed25519.PublicKey { return t.Keys.Public().SignKey }

// Sign implements Signer.
func (t TrusteeSigner) Sign(msg []byte) []byte { return t.Keys.Sign(msg) }

// NewSubmission encodes v canonically as the payload of a record of type
// typ and signs it.
func NewSubmission(s Signer, typ string, v any) (*bulletin.Submission, error) {
	payload, err := Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", typ, err)
	}
	return &bulletin.Submission{
		Type:    typ,
		Payload: payload,
		Author:  s.PublicKey(),
		Sig:     s.Sign(bulletin.SigningMessage(typ, payload)),
	}, nil
}

// TrusteeIndex returns the index (1..n) of the trustee whose signing key is
// pub.
func (s *State) TrusteeIndex(pub ed25519.PublicKey) (uint32, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(pub) != ed25519.PublicKeySize {
		return 0, false
	}
	i, ok := s.trusteeKeys[[32]byte(pub)]
	return i, ok
}

// CeremonyComplete reports whether every trustee has posted its
// commitments and shares, so that shares can be received.
func (s *State) CeremonyComplete() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.phase != Ceremony {
		return s.phase > Ceremony
	}
	for i := range s.shares {
		if s.shares[i] == nil {
			return false
		}
	}
	return true
}

// VerdictsComplete reports whether every trustee has posted its verdict.
func (s *State) VerdictsComplete() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, v := range s.verdicts {
		if v == nil {
			return false
		}
	}
	return s.verdicts != nil
}

// PhaseRecord returns the payload that moves the election to phase
// (PhaseOpen or PhaseClosed). A closing record names what it closes: the
// tree head of every record taken in so far and the hash of the encrypted
// sums, so it is admitted only as the very next record after them.
func (s *State) PhaseRecord(phase string) *PhaseChange {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := &PhaseChange{Election: hexHash(s.manifestHash), Phase: phase}
	if phase == PhaseClosed && s.sums != nil {
		root, sums := s.tree.Root(), tally.SumsHash(s.sums.Sums())
		p.Size, p.Root, p.Sums = s.tree.Size(), hex.EncodeToString(root[:]), hex.EncodeToString(sums[:])
	}
	return p
}

// ClientHashRecord returns the payload publishing a client build's hash.
func (s *State) ClientHashRecord(name string, sha256 [32]byte) *ClientHash {
	return &ClientHash{Election: hexHash(s.ManifestHash()), Name: name, SHA256: hexHash(sha256)}
}

// OptionCount is one line of a readable result.
type OptionCount struct {
	Contest, Option string // ids
	Title           string // the option's title
	Count           uint64
}

// ResultTable maps the posted result's counts to contests and options.
func (s *State) ResultTable() ([]OptionCount, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.result == nil {
		return nil, fmt.Errorf("no result is posted; the election is %s", s.phase)
	}
	var out []OptionCount
	k := 0
	for _, c := range s.manifest.Contests {
		for _, o := range c.Options {
			out = append(out, OptionCount{Contest: c.ID, Option: o.ID, Title: o.Title, Count: s.result.Counts[k]})
			k++
		}
	}
	return out, nil
}
