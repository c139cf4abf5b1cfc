package ballot

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/evote/evote/internal/strictjson"
)

// Credential is a voter's signing key pair: the public key is on the voter
// roll and signs the board records that carry the voter's ballots
// (docs/spec/ballot.md §2).
type Credential struct {
	Election string // the manifest id
	Public   ed25519.PublicKey
	Private  ed25519.PrivateKey
}

type credentialJSON struct {
	Version  string `json:"version"`
	Election string `json:"election"`
	Public   []byte `json:"public"`
	Private  []byte `json:"private"` // the 32-byte Ed25519 seed
}

// GenerateCredentials returns n fresh credentials for the election with the
// given manifest id, with keys from crypto/rand.
func GenerateCredentials(election string, n int) ([]*Credential, error) {
	if !validID(election) {
		return nil, fmt.Errorf("generate credentials: invalid election id %q", election)
	}
	if n < 1 || n > MaxVoters {
		return nil, fmt.Errorf("generate credentials: count %d out of range [1, %d]", n, MaxVoters)
	}
	creds := make([]*Credential, n)
	for i := range creds {
		pub, priv, err := ed25519.GenerateKey(nil)
		if err != nil {
			return nil, fmt.Errorf("generate credentials: %w", err)
		}
		creds[i] = &Credential{Election: election, Public: pub, Private: priv}
	}
	return creds, nil
}

// Marshal returns the credential file (docs/spec/ballot.md §2): compact
// JSON {"version","election","public","private"} with the private key as its
// 32-byte seed. It is secret.
func (c *Credential) Marshal() ([]byte, error) {
	if len(c.Private) != ed25519.PrivateKeySize {
		return nil, errors.New("credential: invalid private key")
	}
	return marshalCompact(credentialJSON{
		Version:  Version,
		Election: c.Election,
		Public:   c.Public,
		Private:  c.Private.Seed(),
	})
}

// ParseCredential parses a credential file made by Marshal. It rejects
// unknown fields, non-canonical encodings, a public key that the roll would
// refuse (not a canonical curve point, or of small order; see
// docs/spec/ballot.md §1.1) and a public key that does not match the
// private key.
func ParseCredential(data []byte) (*Credential, error) {
	var j credentialJSON
	if err := strictjson.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("invalid credential: %w", err)
	}
	if j.Version != Version {
		return nil, fmt.Errorf("invalid credential: version %q, want %q", j.Version, Version)
	}
	if !validID(j.Election) {
		return nil, fmt.Errorf("invalid credential: election id %q", j.Election)
	}
	if len(j.Public) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("invalid credential: public key is %d bytes, want %d", len(j.Public), ed25519.PublicKeySize)
	}
	if problem := checkEdKey(j.Public); problem != "" {
		return nil, fmt.Errorf("invalid credential: public key: %s", problem)
	}
	if len(j.Private) != ed25519.SeedSize {
		return nil, fmt.Errorf("invalid credential: private key is %d bytes, want %d", len(j.Private), ed25519.SeedSize)
	}
	priv := ed25519.NewKeyFromSeed(j.Private)
	pub := priv.Public().(ed25519.PublicKey)
	if !pub.Equal(ed25519.PublicKey(j.Public)) {
		return nil, errors.New("invalid credential: public key does not match private key")
	}
	c := &Credential{Election: j.Election, Public: pub, Private: priv}
	if m, err := c.Marshal(); err != nil || !bytes.Equal(m, data) {
		return nil, errors.New("invalid credential: not in canonical form")
	}
	return c, nil
}
