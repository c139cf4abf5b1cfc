package election

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/evote/evote/crypto"
	"github.com/evote/evote/internal/specvectors"
)

var _ = flag.Bool("update", false, "rewrite the vector files of docs/spec/vectors")

// label returns SHA-256(s), the vectors' way of deriving an input.
func label(s string) [32]byte { return sha256.Sum256([]byte(s)) }

// scalarOf derives a scalar from a label (64 bytes of SHA-256 outputs
// reduced).
func scalarOf(t testing.TB, s string) *crypto.Scalar {
	a, b := label(s+" 0"), label(s+" 1")
	x, err := crypto.NewScalar().SetUniformBytes(append(a[:], b[:]...))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// phaseOutcome decodes a phase payload: "malformed" if Decode refuses it.
func phaseOutcome(payload []byte) (*PhaseChange, []string) {
	v, err := Decode(TypePhase, payload)
	switch {
	case errors.Is(err, ErrMalformed):
		return nil, []string{"malformed"}
	case err != nil:
		return nil, []string{err.Error()}
	}
	return v.(*PhaseChange), nil
}

// TestElectionVectors runs docs/spec/vectors/election.txt: the nonce
// fingerprint (docs/spec/election.md §4) and the closing record and its
// CloseHash (§2.2, §2.3).
func TestElectionVectors(t *testing.T) {
	specvectors.Generated(t, "election.txt", generateElectionVectors(t))
	specvectors.Run(t, "election.txt", func(t *testing.T, v *specvectors.Vector) {
		switch op := v.String("op"); op {
		case "nonce":
			ct := v.Hex("ciphertext")
			h := sha256.Sum256(append([]byte("evote/v1/nonce\x00"), ct[:32]...))
			if got, want := uint64(nonceOf(ct)), hex.EncodeToString(h[:8]); fmt.Sprintf("%016x", got) != want {
				t.Errorf("nonceOf = %016x, its definition gives %s", got, want)
			}
			v.Expect("fingerprint", fmt.Sprintf("%016x", uint64(nonceOf(ct))))
		case "close":
			p := &PhaseChange{Election: hex.EncodeToString(v.Hex("manifest-hash")), Phase: PhaseClosed, Size: v.Int("size"),
				Root: hex.EncodeToString(v.Hex("root")), Sums: hex.EncodeToString(v.Hex("sums"))}
			payload, err := Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			v.Expect("payload", string(payload))
			v.Expect("close-hash", CloseHash(payload))
		case "phase":
			payload := []byte(v.String("payload"))
			p, reasons := phaseOutcome(payload)
			if v.Outcome(reasons...) {
				v.Expect("phase", p.Phase)
			}
		default:
			t.Fatalf("unknown op %q", op)
		}
	})
}

func generateElectionVectors(t *testing.T) []byte {
	w := specvectors.NewWriter(`Election records: the nonce fingerprint (docs/spec/election.md §4) and
the phase records, with the closing record and its CloseHash (§2.2,
§2.3). Format: docs/spec/vectors.md. Every input is derived from a label
by SHA-256. Runner: TestElectionVectors (election); regenerate with
  go test ./election -run TestElectionVectors -update

Inputs:
  op:            nonce | close | phase
  ciphertext:    (nonce) a ciphertext A || B
  manifest-hash, size, root, sums: (close) what the closing record names
  payload:       (phase) a phase record's payload
Outputs:
  fingerprint:   (nonce) the first 8 bytes of SHA-256("evote/v1/nonce\x00" || A)
  payload:       (close) the closing record's canonical payload
  close-hash:    (close) CloseHash = SHA-256(payload)
  phase:         (phase) the phase it names
Rejections:
  malformed:     (phase) not the canonical encoding of a phase record`)
	pk, err := crypto.PublicKeyFromElement(crypto.NewElement().ScalarBaseMult(scalarOf(t, "vector election key")))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []uint64{0, 1} {
		ct := pk.EncryptWithRandomness(v, scalarOf(t, fmt.Sprintf("vector randomness %d", v)))
		w.Vector(fmt.Sprintf("nonce-%d", v))
		w.Input("op", "nonce")
		w.Input("ciphertext", ct.Bytes())
		w.Expect("fingerprint", fmt.Sprintf("%016x", uint64(nonceOf(ct.Bytes()))))
	}
	mh, root, sums := label("vector manifest"), label("vector root"), label("vector sums")
	p := &PhaseChange{Election: hex.EncodeToString(mh[:]), Phase: PhaseClosed, Size: 1234, Root: hex.EncodeToString(root[:]), Sums: hex.EncodeToString(sums[:])}
	closing, err := Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	w.Vector("close")
	w.Input("op", "close")
	w.Input("manifest-hash", mh)
	w.Input("size", p.Size)
	w.Input("root", root)
	w.Input("sums", sums)
	w.Expect("payload", string(closing))
	w.Expect("close-hash", CloseHash(closing))
	opening, err := Marshal(&PhaseChange{Election: hex.EncodeToString(mh[:]), Phase: PhaseOpen})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, comment, payload, reason string
	}{
		{"phase-open", "", string(opening), ""},
		{"phase-closed", "the payload of close", string(closing), ""},
		{"phase-space", "a space after a colon", strings.Replace(string(closing), `"phase":`, `"phase": `, 1), "malformed"},
		{"phase-unknown-field", "", strings.Replace(string(opening), `}`, `,"note":"x"}`, 1), "malformed"},
		{"phase-size-as-string", "", strings.Replace(string(closing), `"size":1234`, `"size":"1234"`, 1), "malformed"},
	} {
		w.Vector(tc.name)
		w.Input("op", "phase")
		w.Input("payload", tc.payload)
		if tc.comment != "" {
			w.Comment(tc.comment)
		}
		ph, got := phaseOutcome([]byte(tc.payload))
		if want := strings.Fields(tc.reason); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("vector %s: the code gives %q, the generator says %q", tc.name, got, want)
		}
		if ph == nil {
			w.Reject(tc.reason)
		} else {
			w.Expect("phase", ph.Phase)
		}
	}
	return w.Bytes()
}
