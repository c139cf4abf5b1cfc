package election

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/evote/evote/ballot"
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
		case "mix-ctx":
			bh := [32]byte(v.Hex("base-hash"))
			got := MixContext(bh, int(v.Int("contest")), int(v.Int("mix")), uint32(v.Int("trustee")))
			// The definition of election.md §2.5, written out.
			def := sha256.Sum256(fmt.Appendf([]byte("evote/v1/mix/ctx\x00"), "%s%s%s%s", bh[:],
				u32be(v.Int("contest")), u32be(v.Int("mix")), u32be(v.Int("trustee"))))
			if !bytes.Equal(got, def[:]) {
				t.Errorf("MixContext = %x, its definition gives %x", got, def)
			}
			v.Expect("ctx", got)
		case "mix-decrypt-ctx":
			bh := [32]byte(v.Hex("base-hash"))
			v.Expect("ctx", MixDecryptionContext(bh, int(v.Int("contest")), int(v.Int("mix"))))
		case "ranked-seed":
			v.Expect("seed", RankedSeed([32]byte(v.Hex("base-hash")), v.String("contest-id")))
		case "writein-count":
			c := writeInVectorContest(v.String("option"), int(v.Int("max-bytes")))
			var plain []*crypto.Element
			for _, h := range strings.Fields(v.String("plaintexts")) {
				b, err := hex.DecodeString(h)
				if err != nil {
					t.Fatal(err)
				}
				e, err := crypto.NewElement().SetCanonicalBytes(b)
				if err != nil {
					t.Fatal(err)
				}
				plain = append(plain, e)
			}
			count, err := CountWriteIns(c, plain)
			if err != nil {
				t.Fatal(err)
			}
			enc, err := json.Marshal(count)
			if err != nil {
				t.Fatal(err)
			}
			v.Expect("count", string(enc))
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
  op:            nonce | close | phase | mix-ctx | mix-decrypt-ctx | ranked-seed |
                 writein-count
  ciphertext:    (nonce) a ciphertext A || B
  manifest-hash, size, root, sums: (close) what the closing record names
  payload:       (phase) a phase record's payload
  base-hash, contest, mix, trustee, contest-id: (mix-ctx, mix-decrypt-ctx,
                 ranked-seed) the election base hash, the ranked contest's
                 index and id, the mix's number, the trustee's index
  option, max-bytes, plaintexts: (writein-count) the id of a contest's
                 write-in option and its max_bytes (so m text elements),
                 and the decrypted rows of its last mix, row by row, each
                 the slot's element (0·G or 1·G) then the m text elements,
                 as canonical encodings separated by spaces
Outputs:
  fingerprint:   (nonce) the first 8 bytes of SHA-256("evote/v1/nonce\x00" || A)
  payload:       (close) the closing record's canonical payload
  close-hash:    (close) CloseHash = SHA-256(payload)
  phase:         (phase) the phase it names
  ctx:           (mix-ctx) the context of a mix's proof of shuffle (§2.5);
                 (mix-decrypt-ctx) that of the decryptions of a mix (§2.6)
  seed:          (ranked-seed) the seed of a ranked contest's lots, in hex
                 (ranked.md §3.2)
  count:         (writein-count) the write-in count of ranked.md §8.6, as
                 the count member of a writein-result (§2.8)
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
	bh := label("vector base hash")
	w.Vector("mix-ctx")
	w.Input("op", "mix-ctx")
	w.Input("base-hash", bh)
	w.Input("contest", 2)
	w.Input("mix", 3)
	w.Input("trustee", 5)
	w.Expect("ctx", MixContext(bh, 2, 3, 5))
	w.Vector("mix-decrypt-ctx")
	w.Input("op", "mix-decrypt-ctx")
	w.Input("base-hash", bh)
	w.Input("contest", 2)
	w.Input("mix", 3)
	w.Expect("ctx", MixDecryptionContext(bh, 2, 3))
	w.Vector("ranked-seed")
	w.Input("op", "ranked-seed")
	w.Input("base-hash", bh)
	w.Input("contest-id", "chair")
	w.Expect("seed", RankedSeed(bh, "chair"))
	writeInCountVector(t, w)
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

// u32be is the 4-byte big-endian encoding of x.
func u32be(x int64) []byte { return []byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)} }

// writeInVectorContest is the contest of the writein-count vectors: a
// plurality contest of "olga" and the write-in option, of maxBytes bytes.
func writeInVectorContest(option string, maxBytes int) *ballot.Contest {
	return &ballot.Contest{ID: "clerk", Title: "Clerk", Kind: ballot.KindPlurality, MaxSelections: 1, OptionMax: 1,
		Options: []ballot.Option{{ID: "olga", Title: "Olga"}, {ID: option, Title: "Write-in"}}, WriteIn: &ballot.WriteIn{Option: 1, MaxBytes: maxBytes}}
}

// writeInCountVector writes the writein-count vector: rows of each case
// of ranked.md §8.6.
func writeInCountVector(t *testing.T, w *specvectors.Writer) {
	c := writeInVectorContest("other", 40)
	m := c.WriteIn.TextCiphertexts()
	var elems []*crypto.Element
	row := func(bit uint64, text string) {
		encoded, err := crypto.EncodeText(text, m)
		if err != nil {
			t.Fatal(err)
		}
		elems = append(append(elems, crypto.NewElement().ScalarBaseMult(crypto.NewScalar().SetUint64(bit))), encoded...)
	}
	row(1, "Zoë")         // NFC
	row(1, " Zoe\u0308 ") // NFD, with spaces: the same name
	row(0, "Ignored")     // not selected
	row(1, "zoë")         // case counts
	row(1, "   ")         // empty once trimmed: discarded
	g := crypto.NewGeneratorElement()
	elems = append(elems, g, g, g) // selected, text that does not decode: discarded
	row(1, "Ada")
	row(0, "")
	var plain []string
	for _, e := range elems {
		plain = append(plain, hex.EncodeToString(e.Bytes()))
	}
	count, err := CountWriteIns(c, elems)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := json.Marshal(count)
	if err != nil {
		t.Fatal(err)
	}
	w.Vector("writein-count")
	w.Input("op", "writein-count")
	w.Input("option", "other")
	w.Input("max-bytes", 40)
	w.Input("plaintexts", strings.Join(plain, " "))
	w.Comment("8 rows: \"Zoë\" in NFC, \" Zoe\" + U+0308 + \" \" in NFD with spaces (the same name), a text whose slot is 0 (not counted), \"zoë\" (case counts), \"   \" (empty once trimmed: discarded), G G G (does not decode: discarded), \"Ada\", and a row not selected")
	w.Expect("count", string(enc))
}
