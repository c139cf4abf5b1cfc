// Package election holds the rules of an election's public record: the
// record types that may appear on the bulletin board, their payloads, and
// State, the state machine that replays records in order and decides
// whether each is allowed (phase, authorisation, eligibility, duplicates,
// re-voting) and valid (proofs).
//
// The board uses State as its admission policy and the verifier replays the
// exported record through the same State, so there is one statement of the
// rules. The rules are specified in docs/spec/election.md.
package election

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/evote/evote/internal/strictjson"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/ceremony"
	"github.com/evote/evote/tally"
)

// Record types, in the order they appear on a board.
const (
	TypeDefinition    = "election"            // the canonical election definition, by the official
	TypeRoll          = "roll"                // entries of the voter roll, by the registrar
	TypeRollClose     = "roll-closed"         // the roll's size and hash, by the registrar, after its last entry
	TypeCommitments   = "trustee-commitments" // a trustee's Feldman commitments and proofs
	TypeShares        = "trustee-shares"      // a trustee's encrypted shares for the others
	TypeVerdict       = "trustee-verdict"     // a trustee's acceptance or complaint
	TypeJointKey      = "joint-key"           // the election key, by the official, once all accepted
	TypeClientHash    = "client-hash"         // the hash of a published voter client build, by the official
	TypePhase         = "phase"               // voting opens or closes, by the official
	TypeBallot        = "ballot"              // an encrypted ballot, by a voter's credential
	TypeChallenge     = "challenged-ballot"   // a Benaloh-challenged ballot with its randomness
	TypePartial       = "partial-decryption"  // a trustee's share of the tally decryption
	TypeResult        = "result"              // the combined result, by the official
	TypeMix           = "mix"                 // a trustee's shuffle of a mix-net contest's ballots (ranked, or with a write-in)
	TypeMixDecryption = "mix-decryption"      // a trustee's partial decryption of a mix-net contest's mixed ballots
	TypeRankedResult  = "ranked-result"       // a ranked contest's decrypted ballots and count, by the official
	TypeWriteInResult = "writein-result"      // a contest's write-ins, decrypted and counted, by the official
)

// Phase names carried by a TypePhase record.
const (
	PhaseOpen   = "open"
	PhaseClosed = "closed"
)

// PhaseChange is the payload of a TypePhase record.
type PhaseChange struct {
	// Election is the hex manifest hash, binding the record to one election.
	Election string `json:"election"`
	// Phase is PhaseOpen or PhaseClosed.
	Phase string `json:"phase"`
	// Size, Root and Sums are set in the closing record only, and bind it
	// to what it closes: the board's first Size records, which are every
	// record before it, whose tree has root hash Root (hex), and the
	// encrypted sums of the ballots counted among them (tally.SumsHash, in
	// hex). A trustee decrypts only sums it recomputed and found equal.
	Size int64  `json:"size,omitempty"`
	Root string `json:"root,omitempty"`
	Sums string `json:"sums,omitempty"`
}

// ClientHash is the payload of a TypeClientHash record: the SHA-256 of a
// voter client build (the web page's WebAssembly module), so that anyone
// can check that the page they were served is the published one.
type ClientHash struct {
	Election string `json:"election"`
	Name     string `json:"name"`
	SHA256   string `json:"sha256"`
}

// ResultRecord is the payload of a TypeResult record.
type ResultRecord struct {
	// Election is the hex election base hash.
	Election string        `json:"election"`
	Tally    *tally.Result `json:"tally"`
	// Contests are each contest's counted ballots and their weight, in
	// manifest order, for an election with ballot styles or weights
	// (State.ResultContests); absent otherwise.
	Contests []ContestCount `json:"contests,omitempty"`
}

// PartialRecord is the payload of a TypePartial record.
type PartialRecord struct {
	// Election is the hex election base hash.
	Election string `json:"election"`
	// Close names the closing record whose sums this partial decryption
	// decrypts, by CloseHash of its payload, in hex.
	Close   string                   `json:"close"`
	Partial *tally.PartialDecryption `json:"partial"`
}

// ErrMalformed is wrapped by every payload that does not parse.
var ErrMalformed = errors.New("malformed payload")

// Decode parses the payload of a record of type typ into its Go value:
// *ballot.Manifest, *ballot.RollChunk, *ballot.RollClose, *ceremony.Commitments, *ceremony.Shares,
// *ceremony.Verdict, *ceremony.JointKey, *ClientHash, *PhaseChange,
// *ballot.EncryptedBallot, *ballot.ChallengedBallot, *PartialRecord,
// *ResultRecord, *MixRecord, *MixDecryptionRecord, *RankedResultRecord or
// *WriteInResultRecord. It rejects unknown types and non-canonical payloads.
func Decode(typ string, payload []byte) (any, error) {
	v, err := decode(typ, payload)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", typ, ErrMalformed, err)
	}
	return v, nil
}

func decode(typ string, payload []byte) (any, error) {
	switch typ {
	case TypeDefinition:
		return ballot.ParseCanonicalManifest(payload)
	case TypeRoll:
		return ballot.ParseRollChunk(payload)
	case TypeRollClose:
		return ballot.ParseRollClose(payload)
	case TypeCommitments:
		return ceremony.ParseCommitments(payload)
	case TypeShares:
		return ceremony.ParseShares(payload)
	case TypeVerdict:
		return ceremony.ParseVerdict(payload)
	case TypeJointKey:
		return ceremony.ParseJointKey(payload)
	case TypeBallot:
		return ballot.ParseEncryptedBallot(payload)
	case TypeChallenge:
		return ballot.ParseChallengedBallot(payload)
	case TypeClientHash:
		return decodeHashed(payload, func(v *ClientHash) []string { return []string{"election", v.Election, "sha256", v.SHA256} })
	case TypePhase:
		v, err := decodeStrict[PhaseChange](payload)
		if err == nil {
			err = checkHexHashes("election", v.Election)
		}
		if err == nil && (v.Root != "" || v.Sums != "") {
			err = checkHexHashes("root", v.Root, "sums", v.Sums)
		}
		return v, err
	case TypePartial:
		return decodeHashed(payload, func(v *PartialRecord) []string { return []string{"election", v.Election, "close", v.Close} })
	case TypeMix:
		return decodeHashed(payload, func(v *MixRecord) []string { return []string{"election", v.Election, "close", v.Close} })
	case TypeMixDecryption:
		return decodeHashed(payload, func(v *MixDecryptionRecord) []string { return []string{"election", v.Election, "close", v.Close} })
	case TypeRankedResult:
		return decodeHashed(payload, func(v *RankedResultRecord) []string { return []string{"election", v.Election} })
	case TypeWriteInResult:
		return decodeHashed(payload, func(v *WriteInResultRecord) []string { return []string{"election", v.Election} })
	case TypeResult:
		return decodeHashed(payload, func(v *ResultRecord) []string { return []string{"election", v.Election} })
	}
	return nil, fmt.Errorf("unknown record type %q", typ)
}

// checkHexHashes checks that each value of the name, value pairs is a
// hash in its one encoding, 64 lower-case hex digits, so that a payload
// has a single encoding (docs/spec/election.md §2).
func checkHexHashes(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		b, err := hex.DecodeString(pairs[i+1])
		if err != nil || len(b) != 32 || hex.EncodeToString(b) != pairs[i+1] {
			return fmt.Errorf("%s is not a hash in 64 lower-case hex digits", pairs[0+i])
		}
	}
	return nil
}

// decodeHashed is decodeStrict, then checkHexHashes of the name, value
// pairs that hashes gives of the value.
func decodeHashed[T any](payload []byte, hashes func(v *T) []string) (any, error) {
	v, err := decodeStrict[T](payload)
	if err == nil {
		err = checkHexHashes(hashes(v)...)
	}
	return v, err
}

// decodeStrict parses JSON that must be exactly what Marshal produces for
// the same value: no unknown fields, no trailing data, canonical form.
func decodeStrict[T any](payload []byte) (*T, error) {
	v := new(T)
	if err := strictjson.Unmarshal(payload, v); err != nil {
		return nil, err
	}
	again, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(again, payload) {
		return nil, errors.New("not in canonical form (compact JSON, fields in the specified order)")
	}
	return v, nil
}

// Marshal returns the canonical payload of one of the record values that
// Decode returns.
func Marshal(v any) ([]byte, error) {
	switch v := v.(type) {
	case *ballot.Manifest:
		return v.MarshalCanonical()
	case *ballot.EncryptedBallot:
		return v.Marshal(), nil
	case *ballot.ChallengedBallot:
		return v.Marshal(), nil
	case interface{ Marshal() []byte }:
		return v.Marshal(), nil
	case interface{ Marshal() ([]byte, error) }:
		return v.Marshal()
	}
	return json.Marshal(v)
}

func hexHash(h [32]byte) string { return hex.EncodeToString(h[:]) }
