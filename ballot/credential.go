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
// (docs/spec/ballot.md §2). The registrar makes it, or the voter on their
// own device (then nobody else ever holds the private key).
type Credential struct {
	Election string // the manifest id
	Voter    string // the registrar's identifier of the voter (ValidVoterID)
	Public   ed25519.PublicKey
	Private  ed25519.PrivateKey
}

type credentialJSON struct {
	Version  string `json:"version"`
	Election string `json:"election"`
	Voter    string `json:"voter"`
	Public   []byte `json:"public"`
	Private  []byte `json:"private"` // the 32-byte Ed25519 seed
}

// NewCredential returns a fresh credential of voter for the election with
// the given manifest id, with a key from crypto/rand. A key the roll would
// refuse (small order) cannot come out of key generation.
func NewCredential(election, voter string) (*Credential, error) {
	if !validID(election) {
		return nil, fmt.Errorf("new credential: invalid election id %q", election)
	}
	if !ValidVoterID(voter) {
		return nil, fmt.Errorf("new credential: %q is not a voter identifier (1 to %d characters from A-Z, a-z, 0-9, '.', '_', '-', '@', '+')", voter, MaxVoterIDLen)
	}
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, fmt.Errorf("new credential: %w", err)
	}
	return &Credential{Election: election, Voter: voter, Public: pub, Private: priv}, nil
}

// Entry returns the credential's roll entry.
func (c *Credential) Entry() RollEntry { return RollEntry{Voter: c.Voter, Key: c.Public} }

// Marshal returns the credential file (docs/spec/ballot.md §2): compact
// JSON {"version","election","voter","public","private"} with the private
// key as its 32-byte seed. It is secret.
func (c *Credential) Marshal() ([]byte, error) {
	if len(c.Private) != ed25519.PrivateKeySize {
		return nil, errors.New("credential: invalid private key")
	}
	return marshalCompact(credentialJSON{
		Version:  Version,
		Election: c.Election,
		Voter:    c.Voter,
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
	if !ValidVoterID(j.Voter) {
		return nil, fmt.Errorf("invalid credential: voter identifier %q", j.Voter)
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
	c := &Credential{Election: j.Election, Voter: j.Voter, Public: pub, Private: priv}
	if m, err := c.Marshal(); err != nil || !bytes.Equal(m, data) {
		return nil, errors.New("invalid credential: not in canonical form")
	}
	return c, nil
}
