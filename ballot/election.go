package ballot

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/evote/evote/crypto"
)

// BaseHash returns the election base hash that every ballot proof binds to
// (docs/spec/ballot.md §1.5):
//
//	SHA-256("evote/v1/base-hash\x00" || manifestHash ||
//	        u64be(roll size) || roll hash || jointKey ||
//	        u32be(n) || for each trustee i: u32be(t_i) || C_i,0 || … || C_i,t_i−1)
//
// where jointKey and each Feldman commitment C_i,k are 32-byte canonical
// ristretto255 encodings, trustees in manifest order. Through it every
// ballot commits to the closed voter roll.
func BaseHash(manifestHash [32]byte, roll *Roll, jointKey *crypto.PublicKey, commitments [][]*crypto.Element) [32]byte {
	h := sha256.New()
	h.Write([]byte(baseHashLbl))
	h.Write(manifestHash[:])
	var size [8]byte
	binary.BigEndian.PutUint64(size[:], uint64(roll.Size()))
	h.Write(size[:])
	rh := roll.Hash()
	h.Write(rh[:])
	h.Write(jointKey.Bytes())
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(commitments)))
	h.Write(n[:])
	for _, cs := range commitments {
		binary.BigEndian.PutUint32(n[:], uint32(len(cs)))
		h.Write(n[:])
		for _, c := range cs {
			h.Write(c.Bytes())
		}
	}
	return [32]byte(h.Sum(nil))
}

// Election bundles what encrypting and verifying ballots needs: the
// manifest, its hash, the closed voter roll, the joint election key and the
// base hash. It is immutable and safe for concurrent use.
type Election struct {
	Manifest     *Manifest
	ManifestHash [32]byte
	Roll         *Roll
	BaseHash     [32]byte
	PublicKey    *crypto.PublicKey

	styles map[string][]int // each style on the roll → its contests' manifest indices
}

// NewElection checks that commitments are the trustees' Feldman
// commitments (one list of threshold elements per trustee, in manifest
// order) and that jointKey is the sum of their constant terms, then returns
// the Election of the closed roll.
func NewElection(m *Manifest, roll *Roll, jointKey *crypto.PublicKey, commitments [][]*crypto.Element) (*Election, error) {
	mh, err := m.Hash()
	if err != nil {
		return nil, fmt.Errorf("election: %w", err)
	}
	if len(commitments) != len(m.Trustees) {
		return nil, fmt.Errorf("election: %d commitment lists for %d trustees", len(commitments), len(m.Trustees))
	}
	sum := crypto.NewElement()
	for i, cs := range commitments {
		if len(cs) != m.Threshold {
			return nil, fmt.Errorf("election: trustee %d (%q) has %d commitments, want threshold %d", i, m.Trustees[i].Name, len(cs), m.Threshold)
		}
		sum.Add(sum, cs[0])
	}
	if sum.Equal(jointKey.Element()) != 1 {
		return nil, errors.New("election: joint key is not the sum of the trustees' constant-term commitments")
	}
	if roll == nil {
		return nil, errors.New("election: the voter roll is not closed")
	}
	if roll.election != mh {
		return nil, errors.New("election: the voter roll is another election's")
	}
	styles, err := styleContests(m, roll)
	if err != nil {
		return nil, fmt.Errorf("election: the voter roll: %w", err)
	}
	return &Election{
		styles:       styles,
		Manifest:     m,
		ManifestHash: mh,
		Roll:         roll,
		BaseHash:     BaseHash(mh, roll, jointKey, commitments),
		PublicKey:    jointKey,
	}, nil
}

// Eligible reports whether cred is a credential on the voter roll.
func (e *Election) Eligible(cred ed25519.PublicKey) bool {
	_, ok := e.Roll.Entry(cred)
	return ok
}
