package ballot

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/evote/evote/internal/strictjson"
)

// registrationLbl starts the message a registration request signs.
const registrationLbl = "evote/v1/registration\x00"

// Registration is a voter's request to the registrar to put a key the voter
// made on their own device on the roll (docs/spec/ballot.md §2.1): the
// election, the voter's identifier and public key, signed with the
// private key to show the voter holds it. The registrar checks who the
// voter is out of band before posting the key.
type Registration struct {
	Election [32]byte // the manifest hash
	Voter    string
	Key      ed25519.PublicKey
	Sig      []byte
}

type registrationJSON struct {
	Version  string `json:"version"`
	Election string `json:"election"`
	Voter    string `json:"voter"`
	Key      []byte `json:"key"`
	Sig      []byte `json:"sig"`
}

// registrationMessage returns what a registration request signs:
//
//	"evote/v1/registration\x00" || manifest hash || u8(len(voter)) || voter || key
func registrationMessage(election [32]byte, voter string, key ed25519.PublicKey) []byte {
	msg := make([]byte, 0, len(registrationLbl)+32+1+len(voter)+len(key))
	msg = append(msg, registrationLbl...)
	msg = append(msg, election[:]...)
	msg = append(msg, byte(len(voter)))
	msg = append(msg, voter...)
	return append(msg, key...)
}

// NewRegistration returns the registration request of credential c for
// the election whose manifest hash is election.
func NewRegistration(c *Credential, election [32]byte) *Registration {
	return &Registration{
		Election: election,
		Voter:    c.Voter,
		Key:      c.Public,
		Sig:      ed25519.Sign(c.Private, registrationMessage(election, c.Voter, c.Public)),
	}
}

// Entry returns the roll entry the request asks for.
func (r *Registration) Entry() RollEntry { return RollEntry{Voter: r.Voter, Key: r.Key} }

// Marshal returns the request's canonical encoding: compact JSON
// {"version","election","voter","key","sig"}.
func (r *Registration) Marshal() []byte {
	b, err := marshalCompact(registrationJSON{Version: Version, Election: hex.EncodeToString(r.Election[:]), Voter: r.Voter, Key: r.Key, Sig: r.Sig})
	if err != nil {
		panic(fmt.Sprintf("ballot: encoding a registration: %v", err))
	}
	return b
}

// ParseRegistration parses a registration request in its canonical
// encoding and checks it: a valid voter identifier, a key the roll would
// take (§1.1) and the voter's signature with that key.
func ParseRegistration(data []byte) (*Registration, error) {
	var j registrationJSON
	if err := strictjson.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("invalid registration request: %w", err)
	}
	if j.Version != Version {
		return nil, fmt.Errorf("invalid registration request: version %q, want %q", j.Version, Version)
	}
	election, err := parseHexHash(j.Election)
	if err != nil {
		return nil, fmt.Errorf("invalid registration request: election: %w", err)
	}
	if !ValidVoterID(j.Voter) {
		return nil, fmt.Errorf("invalid registration request: %q is not a voter identifier", j.Voter)
	}
	if len(j.Key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("invalid registration request: key is %d bytes, want %d", len(j.Key), ed25519.PublicKeySize)
	}
	if problem := checkEdKey(j.Key); problem != "" {
		return nil, fmt.Errorf("invalid registration request: key: %s", problem)
	}
	r := &Registration{Election: election, Voter: j.Voter, Key: j.Key, Sig: j.Sig}
	if len(r.Sig) != ed25519.SignatureSize || !ed25519.Verify(r.Key, registrationMessage(election, r.Voter, r.Key), r.Sig) {
		return nil, errors.New("invalid registration request: the signature is not the voter's: the request was altered, or made without the private key")
	}
	if !bytes.Equal(r.Marshal(), data) {
		return nil, errors.New("invalid registration request: not in canonical form")
	}
	return r, nil
}
