package election

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/ceremony"
	"github.com/evote/evote/crypto"
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

func (s *State) trusteePublicKeys() []*ceremony.TrusteePublicKey {
	out := make([]*ceremony.TrusteePublicKey, len(s.manifest.Trustees))
	for i, t := range s.manifest.Trustees {
		out[i] = &ceremony.TrusteePublicKey{SignKey: t.SignKey, EncKey: t.EncKey}
	}
	return out
}

// Deal runs trustee index's first ceremony step: its commitments and the
// shares it sends the other trustees.
func (s *State) Deal(index uint32) (*ceremony.Commitments, *ceremony.Shares, *ceremony.DealerSecret, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.phase != Ceremony {
		return nil, nil, nil, fmt.Errorf("deal: the election is %s, not in its key ceremony", s.phase)
	}
	return ceremony.Deal(s.manifestHash[:], index, s.manifest.Threshold, len(s.manifest.Trustees), s.trusteePublicKeys())
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

// Receive runs a trustee's second ceremony step: it opens and checks the
// shares addressed to it, and returns its secret share and its verdict.
func (s *State) Receive(keys *ceremony.TrusteeKeys, own *ceremony.DealerSecret) (*ceremony.TrusteeShare, *ceremony.Verdict, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return ceremony.Receive(s.manifestHash[:], keys, own, s.commitments, s.shares)
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

// JointKeyRecord computes the joint key record the official posts once
// every trustee accepted. It fails, naming the accused, if any complained.
func (s *State) JointKeyRecord() (*ceremony.JointKey, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.phase != Ceremony {
		return nil, fmt.Errorf("joint key: the election is %s, not in its key ceremony", s.phase)
	}
	if err := ceremony.CheckVerdicts(s.manifestHash[:], len(s.verdicts), nonNil(s.verdicts)); err != nil {
		return nil, fmt.Errorf("joint key: %w", err)
	}
	return ceremony.ComputeJointKey(s.manifestHash[:], s.manifest.Threshold, len(s.manifest.Trustees), s.commitments)
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
		root, sums := s.tree.Root(), tally.SumsHash(s.sums)
		p.Size, p.Root, p.Sums = s.tree.Size(), hex.EncodeToString(root[:]), hex.EncodeToString(sums[:])
	}
	return p
}

// ClientHashRecord returns the payload publishing a client build's hash.
func (s *State) ClientHashRecord(name string, sha256 [32]byte) *ClientHash {
	return &ClientHash{Election: hexHash(s.ManifestHash()), Name: name, SHA256: hexHash(sha256)}
}

// EncryptBallot encrypts a voter's choices for this election. prev is the
// device's previous confirmation code (zero for its first ballot).
func (s *State) EncryptBallot(cred ed25519.PublicKey, choices ballot.Choices, prev ballot.ConfirmationCode) (*ballot.EncryptedBallot, *ballot.BallotSecrets, error) {
	e := s.Election()
	if e == nil {
		return nil, nil, fmt.Errorf("encrypt: the election key is not ready (the election is %s)", s.Phase())
	}
	return ballot.Encrypt(e, cred, choices, prev)
}

// PartialDecryption computes a trustee's partial decryption of the
// encrypted sums once voting has closed, naming the closing record. The
// sums are the state's own, recomputed from the ballots it admitted, and
// the closing record was admitted only because it names those very sums
// and every record before it. It refuses below the definition's privacy
// floor (min_counted).
func (s *State) PartialDecryption(share *ceremony.TrusteeShare) (*PartialRecord, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.phase != Closed {
		return nil, fmt.Errorf("partial decryption: the election is %s; trustees decrypt once voting has closed", s.phase)
	}
	if err := s.checkPrivacyFloor(); err != nil {
		return nil, fmt.Errorf("partial decryption refused: %w", err)
	}
	p, err := tally.NewPartialDecryption(s.election.BaseHash[:], share.Index(), share.Secret(), s.sums)
	if err != nil {
		return nil, err
	}
	return &PartialRecord{Election: hexHash(s.election.BaseHash), Close: hex.EncodeToString(s.closed.hash[:]), Partial: p}, nil
}

// ComputeResult combines the posted partial decryptions into the result
// record. Invalid partials are named in the result and ignored; fewer than
// t valid ones is an error naming the missing trustees.
func (s *State) ComputeResult() (*ResultRecord, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.phase != Closed {
		return nil, fmt.Errorf("result: the election is %s; the result is computed once voting has closed", s.phase)
	}
	maxCount := uint64(0)
	for _, c := range s.manifest.Contests {
		maxCount = max(maxCount, uint64(c.OptionMax))
	}
	solver := crypto.NewDlogSolver(max(1, maxCount*uint64(s.nCounted)))
	r, err := tally.Combine(s.election.BaseHash[:], s.manifest.Threshold, s.sums, s.vks, s.partialList, solver)
	if err != nil {
		return nil, err
	}
	return &ResultRecord{Election: hexHash(s.election.BaseHash), Tally: r}, nil
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
