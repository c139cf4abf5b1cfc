package interop

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/evote/evote/ballot"
)

// CheckDraft checks the contests, options, styles and titles of a draft
// definition, one whose keys, trustees and voting window are still to be
// filled in, by every rule of ParseManifest (docs/spec/ballot.md §1): it
// parses d with fixed placeholder keys, a placeholder window and one
// placeholder trustee in place of whatever d has.
func CheckDraft(d *ballot.Manifest) error {
	m := *d
	m.Version = ballot.Version
	m.Official = ed25519.NewKeyFromSeed(placeholderSeed(1)).Public().(ed25519.PublicKey)
	m.Registrar = ed25519.NewKeyFromSeed(placeholderSeed(2)).Public().(ed25519.PublicKey)
	m.Opens = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	m.Closes = m.Opens.Add(time.Hour)
	enc, err := ecdh.X25519().NewPrivateKey(placeholderSeed(4))
	if err != nil {
		return err
	}
	m.Trustees = []ballot.Trustee{{Name: "placeholder", SignKey: ed25519.NewKeyFromSeed(placeholderSeed(3)).Public().(ed25519.PublicKey), EncKey: enc.PublicKey().Bytes()}}
	m.Threshold = 1
	m.Board, m.Witnesses, m.WitnessQuorum, m.Operators, m.MinCounted = nil, nil, 0, nil, 0
	c, err := m.MarshalCanonical()
	if err != nil {
		return fmt.Errorf("encoding the definition: %w", err)
	}
	_, err = ballot.ParseManifest(c)
	return err
}

func placeholderSeed(b byte) []byte {
	s := make([]byte, 32)
	s[0] = b
	return s
}
