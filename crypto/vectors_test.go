package crypto_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/evote/evote/crypto"
	"github.com/evote/evote/crypto/cryptotest"
	"github.com/evote/evote/internal/specvectors"
)

// The transcript and proof vectors of docs/spec/crypto-proofs.md, in
// docs/spec/vectors/{transcript,schnorr,dleq,range}.txt. Their secrets
// and nonces come from cryptotest.NewReader(seed) and are written out;
// the proofs are made by cryptotest's plain provers and the runners check
// them against crypto's own. "go test ./crypto -run Vectors -update"
// rewrites the files.

func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the vector files of docs/spec/vectors")
	}
}

// Transcript domain labels of docs/spec/crypto-proofs.md §3.
const (
	schnorrLabel = "evote/v1/proof/schnorr"
	dleqLabel    = "evote/v1/proof/dleq"
	rangeLabel   = "evote/v1/proof/range"
)

// vectorCtx is the context of the proof vectors.
var vectorCtx = []byte("evote/v1 test vectors")

// item is a transcript item: its label and data.
type item struct {
	label string
	data  []byte
}

// transcriptOf is the transcript of domain with items appended in order.
func transcriptOf(domain string, items ...item) *crypto.Transcript {
	t := crypto.NewTranscript(domain)
	for _, it := range items {
		t.AppendMessage(it.label, it.data)
	}
	return t
}

// challengeOf returns the transcript T and the challenge "c" drawn from it.
func challengeOf(domain string, items ...item) (T []byte, c *crypto.Scalar) {
	t := transcriptOf(domain, items...)
	return crypto.TranscriptBytes(t), t.ChallengeScalar("c")
}

// u64 is the 8-byte big-endian encoding of a transcript integer.
func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// nonceReader returns a random stream from which crypto's provers draw
// exactly the scalars given: each is read as 64 bytes, the scalar's
// encoding and 32 zero bytes, whose reduction mod ℓ is the scalar.
func nonceReader(scalars ...*crypto.Scalar) io.Reader {
	var b []byte
	for _, s := range scalars {
		b = append(append(b, s.Bytes()...), make([]byte, 32)...)
	}
	return bytes.NewReader(b)
}

// proofOutcome is the outcome of a proof's parsing and verification.
func proofOutcome(err error) []string {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, crypto.ErrInvalidEncoding):
		return []string{"invalid-encoding"}
	case errors.Is(err, crypto.ErrInvalidProof):
		return []string{"invalid-proof"}
	}
	return []string{err.Error()}
}

func element(t testing.TB, v *specvectors.Vector, key string) *crypto.Element {
	t.Helper()
	e, err := crypto.NewElement().SetCanonicalBytes(v.Hex(key))
	if err != nil {
		t.Fatalf("input %s: %v", key, err)
	}
	return e
}

func scalar(t testing.TB, v *specvectors.Vector, key string) *crypto.Scalar {
	t.Helper()
	s, err := crypto.NewScalar().SetCanonicalBytes(v.Hex(key))
	if err != nil {
		t.Fatalf("input %s: %v", key, err)
	}
	return s
}

func scalars(t testing.TB, v *specvectors.Vector, key string) []*crypto.Scalar {
	t.Helper()
	var out []*crypto.Scalar
	for _, s := range v.Strings(key) {
		b, err := specvectors.DecodeHex(s)
		if err != nil {
			t.Fatalf("input %s: %v", key, err)
		}
		x, err := crypto.NewScalar().SetCanonicalBytes(b)
		if err != nil {
			t.Fatalf("input %s: %v", key, err)
		}
		out = append(out, x)
	}
	return out
}

// l is ℓ, little-endian: a scalar encoding that is not reduced.
var l = func() []byte {
	b, err := specvectors.DecodeHex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
	if err != nil {
		panic(err)
	}
	return b
}()

// scalarAt decodes the scalar at b[i:i+32] of a proof.
func scalarAt(t testing.TB, b []byte, i int) *crypto.Scalar {
	t.Helper()
	s, err := crypto.NewScalar().SetCanonicalBytes(b[i : i+32])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// solveChallenge returns c from a response z = k + c·x.
func solveChallenge(z, k, x *crypto.Scalar) *crypto.Scalar {
	c := crypto.NewScalar().Subtract(z, k)
	return c.Multiply(c, crypto.NewScalar().Invert(x))
}

// checkChallenge compares the challenge c of transcript T, which the
// vector expects, with got, the challenge that crypto's prover used.
func checkChallenge(t *testing.T, v *specvectors.Vector, T []byte, c, got *crypto.Scalar) {
	t.Helper()
	if c.Equal(got) != 1 {
		t.Errorf("crypto's prover used the challenge %x, the transcript gives %x", got.Bytes(), c.Bytes())
	}
	v.Expect("transcript", T)
	v.Expect("challenge", got.Bytes())
}

func TestTranscriptVectors(t *testing.T) {
	specvectors.Generated(t, "transcript.txt", generateTranscriptVectors())
	specvectors.Run(t, "transcript.txt", func(t *testing.T, v *specvectors.Vector) {
		label := v.String("label")
		switch op := v.String("op"); op {
		case "challenge":
			var items []item
			for _, s := range v.Strings("item") {
				lbl, h, _ := strings.Cut(s, " ")
				data, err := specvectors.DecodeHex(h)
				if err != nil {
					t.Fatalf("item %q: %v", s, err)
				}
				items = append(items, item{lbl, data})
			}
			tr := transcriptOf(label, items...)
			v.Expect("transcript", crypto.TranscriptBytes(tr))
			v.Expect("challenge", tr.ChallengeScalar(v.String("challenge-label")).Bytes())
		case "hash-to-element":
			v.Expect("element", crypto.HashToElement(label, v.Hex("msg")).Bytes())
		case "hash-to-scalar":
			var parts [][]byte
			for _, s := range v.Strings("part") {
				b, err := specvectors.DecodeHex(s)
				if err != nil {
					t.Fatal(err)
				}
				parts = append(parts, b)
			}
			v.Expect("scalar", crypto.HashToScalar(label, parts...).Bytes())
		default:
			t.Fatalf("unknown op %q", op)
		}
	})
}

func generateTranscriptVectors() []byte {
	w := specvectors.NewWriter(`Fiat–Shamir transcripts and hashes to the group: docs/spec/crypto-proofs.md §2,
docs/spec/crypto-group.md §1.4. Format: docs/spec/vectors.md.
Runner: TestTranscriptVectors (crypto); regenerate with
  go test ./crypto -run TestTranscriptVectors -update

Inputs:
  op:              challenge | hash-to-element | hash-to-scalar
  label:           the domain label (text)
  item:            (challenge, repeated, in order) an item: its label, a space,
                   its data in hex
  challenge-label: (challenge) the label of the challenge item
  msg:             (hash-to-element) the message, hex
  part:            (hash-to-scalar, repeated, in order) a part, hex
Outputs:
  transcript:      T, the bytes of the transcript before the challenge
  challenge:       ChallengeScalar(challenge-label) on T, a scalar
  element:         HashToElement(label, msg)
  scalar:          HashToScalar(label, part...)`)
	G := crypto.NewGeneratorElement().Bytes()
	for _, tc := range []struct {
		name, label string
		items       []item
	}{
		{"no-items", "evote/v1/test/transcript", nil},
		{"one-item", "evote/v1/test/transcript", []item{{"ctx", []byte("evote/v1 test vectors")}}},
		{"schnorr-shape", schnorrLabel, []item{{"ctx", vectorCtx}, {"G", G}, {"X", G}, {"R", G}}},
		{"integers", rangeLabel, []item{{"lo", u64(0)}, {"hi", u64(1)}}},
		{"long-label", strings.Repeat("evote/v1/", 30) + "long", []item{{strings.Repeat("x", 300), []byte{0}}}},
	} {
		w.Vector("challenge-" + tc.name)
		w.Input("op", "challenge")
		w.Input("label", tc.label)
		for _, it := range tc.items {
			w.Input("item", fmt.Sprintf("%s %x", it.label, it.data))
		}
		w.Input("challenge-label", "c")
		T, c := challengeOf(tc.label, tc.items...)
		w.Expect("transcript", T)
		w.Expect("challenge", c.Bytes())
	}
	for i, msg := range []string{"evote/v1 test vectors", "a second message"} {
		w.Vector(fmt.Sprintf("hash-to-element-%d", i))
		w.Input("op", "hash-to-element")
		w.Input("label", "evote/v1/test/dleq-base")
		w.Input("msg", []byte(msg))
		w.Expect("element", crypto.HashToElement("evote/v1/test/dleq-base", []byte(msg)).Bytes())
	}
	for i, parts := range [][][]byte{{[]byte("one part")}, {[]byte("two"), []byte("parts")}, {[]byte("twop"), []byte("arts")}} {
		w.Vector(fmt.Sprintf("hash-to-scalar-%d", i))
		w.Input("op", "hash-to-scalar")
		w.Input("label", "evote/v1/test/hash-to-scalar")
		for _, p := range parts {
			w.Input("part", p)
		}
		w.Expect("scalar", crypto.HashToScalar("evote/v1/test/hash-to-scalar", parts...).Bytes())
	}
	return w.Bytes()
}

// proofHeader is the part of every proof file's header after its first
// lines.
const proofHeader = `Format: docs/spec/vectors.md. A vector with the witness and the nonces is
proved with them, and its proof must verify; a vector with a proof input
is only verified. The secrets and nonces come from cryptotest.NewReader(seed),
SHAKE128 of the seed that names the vector, 64 bytes a scalar reduced mod ℓ;
they are written out, so that no reader needs SHAKE128.
Rejections: invalid-proof (a verification equation fails), invalid-encoding
(the proof is not a canonical encoding).
Outputs: transcript (T, the bytes hashed for the challenge, without the
challenge item), challenge (c), proof (the proof's encoding).`

func TestSchnorrVectors(t *testing.T) {
	specvectors.Generated(t, "schnorr.txt", generateSchnorrVectors())
	specvectors.Run(t, "schnorr.txt", func(t *testing.T, v *specvectors.Vector) {
		ctx, X := v.Hex("ctx"), element(t, v, "X")
		var enc []byte
		if _, proves := v.Lookup("x"); proves {
			x, k := scalar(t, v, "x"), scalar(t, v, "k")
			if X.Equal(crypto.NewElement().ScalarBaseMult(x)) != 1 {
				t.Fatal("X ≠ x·G")
			}
			p := crypto.ProveSchnorrFrom(nonceReader(k), ctx, x, X).Bytes()
			v.Expect("proof", p)
			T, c := challengeOf(schnorrLabel, item{"ctx", ctx}, item{"G", crypto.NewGeneratorElement().Bytes()}, item{"X", X.Bytes()}, item{"R", p[:32]})
			checkChallenge(t, v, T, c, solveChallenge(scalarAt(t, p, 32), k, x))
			enc = v.PeekHex("proof")
		} else {
			enc = v.Hex("proof")
		}
		var p crypto.SchnorrProof
		_, err := p.SetBytes(enc)
		if err == nil {
			err = crypto.VerifySchnorr(ctx, X, &p)
		}
		v.Outcome(proofOutcome(err)...)
	})
}

func generateSchnorrVectors() []byte {
	w := specvectors.NewWriter(`Schnorr proofs of knowledge: docs/spec/crypto-proofs.md §4.
Runner: TestSchnorrVectors (crypto); regenerate with
  go test ./crypto -run TestSchnorrVectors -update
Inputs: ctx (hex), X = x·G, and either x and the nonce k, or a proof.
` + proofHeader)
	for i := range 2 {
		rnd := cryptotest.NewReader(fmt.Appendf(nil, "schnorr %d", i))
		x := cryptotest.GenerateKey(rnd).Scalar()
		X := crypto.NewElement().ScalarBaseMult(x)
		k := cryptotest.Scalar(rnd)
		p := cryptotest.ProveSchnorr(vectorCtx, x, X, nonceReader(k)).Bytes()
		T, c := challengeOf(schnorrLabel, item{"ctx", vectorCtx}, item{"G", crypto.NewGeneratorElement().Bytes()}, item{"X", X.Bytes()}, item{"R", p[:32]})
		w.Vector(fmt.Sprintf("schnorr-%d", i))
		w.Input("ctx", vectorCtx)
		w.Input("X", X.Bytes())
		w.Input("x", x.Bytes())
		w.Input("k", k.Bytes())
		w.Expect("transcript", T)
		w.Expect("challenge", c.Bytes())
		w.Expect("proof", p)
		if i == 1 {
			w.Vector("schnorr-other-ctx")
			w.Input("ctx", []byte("another context"))
			w.Input("X", X.Bytes())
			w.Input("proof", p)
			w.Comment("the proof of schnorr-1 under another context")
			w.Reject("invalid-proof")
			bad := bytes.Clone(p)
			copy(bad[32:], l)
			w.Vector("schnorr-z-not-reduced")
			w.Input("ctx", vectorCtx)
			w.Input("X", X.Bytes())
			w.Input("proof", bad)
			w.Comment("z = ℓ, not reduced")
			w.Reject("invalid-encoding")
		}
	}
	return w.Bytes()
}

func TestDLEQVectors(t *testing.T) {
	specvectors.Generated(t, "dleq.txt", generateDLEQVectors())
	specvectors.Run(t, "dleq.txt", func(t *testing.T, v *specvectors.Vector) {
		ctx := v.Hex("ctx")
		g, X, h, Y := element(t, v, "g"), element(t, v, "X"), element(t, v, "h"), element(t, v, "Y")
		var enc []byte
		if _, proves := v.Lookup("x"); proves {
			x, k := scalar(t, v, "x"), scalar(t, v, "k")
			if X.Equal(crypto.NewElement().ScalarMult(x, g)) != 1 || Y.Equal(crypto.NewElement().ScalarMult(x, h)) != 1 {
				t.Fatal("X ≠ x·g or Y ≠ x·h")
			}
			p := crypto.ProveDLEQFrom(nonceReader(k), ctx, x, g, X, h, Y).Bytes()
			v.Expect("proof", p)
			T, c := challengeOf(dleqLabel, dleqTranscriptItems(ctx, g, X, h, Y, p)...)
			checkChallenge(t, v, T, c, solveChallenge(scalarAt(t, p, 64), k, x))
			enc = v.PeekHex("proof")
		} else {
			enc = v.Hex("proof")
		}
		var p crypto.DLEQProof
		_, err := p.SetBytes(enc)
		if err == nil {
			err = crypto.VerifyDLEQ(ctx, g, X, h, Y, &p)
		}
		v.Outcome(proofOutcome(err)...)
	})
}

// dleqTranscriptItems are the transcript items of a DLEQ proof p (a || b || z).
func dleqTranscriptItems(ctx []byte, g, X, h, Y *crypto.Element, p []byte) []item {
	return []item{{"ctx", ctx}, {"g", g.Bytes()}, {"X", X.Bytes()}, {"h", h.Bytes()}, {"Y", Y.Bytes()}, {"a", p[:32]}, {"b", p[32:64]}}
}

func generateDLEQVectors() []byte {
	w := specvectors.NewWriter(`Chaum–Pedersen (DLEQ) proofs: docs/spec/crypto-proofs.md §5.
Runner: TestDLEQVectors (crypto); regenerate with
  go test ./crypto -run TestDLEQVectors -update
Inputs: ctx (hex), the statement g, X = x·g, h, Y = x·h, and either x and
the nonce k, or a proof. h = HashToElement("evote/v1/test/dleq-base", seed).
` + proofHeader)
	for i := range 2 {
		seed := fmt.Sprintf("dleq %d", i)
		rnd := cryptotest.NewReader([]byte(seed))
		x := cryptotest.GenerateKey(rnd).Scalar()
		g := crypto.NewGeneratorElement()
		X := crypto.NewElement().ScalarBaseMult(x)
		h := crypto.HashToElement("evote/v1/test/dleq-base", []byte(seed))
		Y := crypto.NewElement().ScalarMult(x, h)
		k := cryptotest.Scalar(rnd)
		p := cryptotest.ProveDLEQ(vectorCtx, x, g, X, h, Y, nonceReader(k)).Bytes()
		statement := func(Y *crypto.Element) {
			w.Input("ctx", vectorCtx)
			w.Input("g", g.Bytes())
			w.Input("X", X.Bytes())
			w.Input("h", h.Bytes())
			w.Input("Y", Y.Bytes())
		}
		w.Vector(fmt.Sprintf("dleq-%d", i))
		statement(Y)
		w.Input("x", x.Bytes())
		w.Input("k", k.Bytes())
		T, c := challengeOf(dleqLabel, dleqTranscriptItems(vectorCtx, g, X, h, Y, p)...)
		w.Expect("transcript", T)
		w.Expect("challenge", c.Bytes())
		w.Expect("proof", p)
		if i == 1 {
			w.Vector("dleq-wrong-Y")
			statement(crypto.NewElement().Add(Y, h))
			w.Input("proof", p)
			w.Comment("the proof of dleq-1 with Y replaced by Y + h")
			w.Reject("invalid-proof")
		}
	}
	return w.Bytes()
}

// rangeTranscriptItems are the transcript items of a range proof enc of n branches.
func rangeTranscriptItems(ctx []byte, pk *crypto.PublicKey, ct *crypto.Ciphertext, lo, hi uint64, enc []byte) []item {
	c := ct.Bytes()
	items := []item{{"ctx", ctx}, {"G", crypto.NewGeneratorElement().Bytes()}, {"K", pk.Bytes()}, {"A", c[:32]}, {"B", c[32:]}, {"lo", u64(lo)}, {"hi", u64(hi)}}
	for k := 0; k < (len(enc)+32)/128; k++ {
		items = append(items, item{"a", enc[96*k : 96*k+32]}, item{"b", enc[96*k+32 : 96*k+64]})
	}
	return items
}

// rangeChallenge returns c = Σ c_k from a proof made with the nonces
// e_0, c_0, e_1, c_1, … for the value v of [lo, hi] with randomness r:
// the simulated branches' c_k are nonces, and the real branch's is
// (z − e)/r.
func rangeChallenge(t testing.TB, enc []byte, nonces []*crypto.Scalar, r *crypto.Scalar, v, lo uint64) *crypto.Scalar {
	real := int(v - lo)
	c := solveChallenge(scalarAt(t, enc, 96*real+64), nonces[2*real], r)
	for k := 0; k < len(nonces)/2; k++ {
		if k != real {
			c.Add(c, nonces[2*k+1])
		}
	}
	return c
}

func TestRangeVectors(t *testing.T) {
	specvectors.Generated(t, "range.txt", generateRangeVectors(t))
	specvectors.Run(t, "range.txt", func(t *testing.T, v *specvectors.Vector) {
		ctx := v.Hex("ctx")
		pk, err := crypto.NewPublicKey(v.Hex("pk"))
		if err != nil {
			t.Fatal(err)
		}
		ct, err := crypto.NewCiphertext().SetBytes(v.Hex("ciphertext"))
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := v.Uint("lo"), v.Uint("hi")
		var enc []byte
		if _, proves := v.Lookup("r"); proves {
			val, r, nonces := v.Uint("v"), scalar(t, v, "r"), scalars(t, v, "nonce")
			if pk.EncryptWithRandomness(val, r).Equal(ct) != 1 {
				t.Fatal("ciphertext ≠ Enc(v; r)")
			}
			p, err := crypto.ProveRangeFrom(nonceReader(nonces...), ctx, pk, ct, val, r, lo, hi)
			if err != nil {
				t.Fatal(err)
			}
			v.Expect("proof", p.Bytes())
			T, c := challengeOf(rangeLabel, rangeTranscriptItems(ctx, pk, ct, lo, hi, p.Bytes())...)
			checkChallenge(t, v, T, c, rangeChallenge(t, p.Bytes(), nonces, r, val, lo))
			enc = v.PeekHex("proof")
		} else {
			enc = v.Hex("proof")
		}
		var p crypto.RangeProof
		_, err = p.SetBytes(enc)
		if err == nil {
			err = crypto.VerifyRange(ctx, pk, ct, lo, hi, &p)
		}
		v.Outcome(proofOutcome(err)...)
	})
}

func generateRangeVectors(t *testing.T) []byte {
	w := specvectors.NewWriter(`Disjunctive range proofs: docs/spec/crypto-proofs.md §6.
Runner: TestRangeVectors (crypto); regenerate with
  go test ./crypto -run TestRangeVectors -update
Inputs: ctx (hex), the public key pk (K), the ciphertext A || B, the range
lo, hi (decimal), and either the value v, the randomness r with
ciphertext = Enc(v; r), and the nonces (nonce, repeated: e_0, c_0, e_1,
c_1, … in the order the prover draws them), or a proof.
` + proofHeader)
	statement := func(pk *crypto.PublicKey, ct *crypto.Ciphertext, lo, hi uint64) {
		w.Input("ctx", vectorCtx)
		w.Input("pk", pk.Bytes())
		w.Input("ciphertext", ct.Bytes())
		w.Input("lo", lo)
		w.Input("hi", hi)
	}
	for _, tc := range []struct{ v, lo, hi uint64 }{{0, 0, 1}, {1, 0, 1}, {0, 0, 0}, {3, 1, 5}, {7, 7, 9}} {
		rnd := cryptotest.NewReader(fmt.Appendf(nil, "range %d in [%d, %d]", tc.v, tc.lo, tc.hi))
		pk := cryptotest.GenerateKey(rnd).PublicKey()
		ct, r := cryptotest.Encrypt(pk, tc.v, rnd)
		nonces := make([]*crypto.Scalar, 2*(tc.hi-tc.lo+1))
		for i := range nonces {
			nonces[i] = cryptotest.Scalar(rnd)
		}
		p, err := cryptotest.ProveRange(vectorCtx, pk, ct, tc.v, r, tc.lo, tc.hi, nonceReader(nonces...))
		if err != nil {
			t.Fatal(err)
		}
		enc := p.Bytes()
		w.Vector(fmt.Sprintf("range-%d-in-%d-%d", tc.v, tc.lo, tc.hi))
		statement(pk, ct, tc.lo, tc.hi)
		w.Input("v", tc.v)
		w.Input("r", r.Bytes())
		for _, n := range nonces {
			w.Input("nonce", n.Bytes())
		}
		T, c := challengeOf(rangeLabel, rangeTranscriptItems(vectorCtx, pk, ct, tc.lo, tc.hi, enc)...)
		w.Expect("transcript", T)
		w.Expect("challenge", c.Bytes())
		w.Expect("proof", enc)
		if tc.v != 1 || tc.hi != 1 {
			continue
		}
		bad := func(name, comment string, lo, hi uint64, proof []byte, reason string) {
			w.Vector(name)
			statement(pk, ct, lo, hi)
			w.Input("proof", proof)
			w.Comment(comment)
			w.Reject(reason)
		}
		bad("range-shifted", "the proof of range-1-in-0-1 for the range [1, 2]", 1, 2, enc, "invalid-proof")
		bad("range-more-branches", "the proof of range-1-in-0-1 for the range [0, 2]: a proof of 2 branches", 0, 2, enc, "invalid-proof")
		z := bytes.Clone(enc)
		copy(z[64:96], l)
		bad("range-z-not-reduced", "the proof of range-1-in-0-1 with z_0 = ℓ, not reduced", 0, 1, z, "invalid-encoding")
		a := bytes.Clone(enc)
		copy(a[0:32], a[96:128])
		bad("range-a0-replaced", "the proof of range-1-in-0-1 with a_0 replaced by a_1", 0, 1, a, "invalid-proof")
	}
	// A prover lying about v: the ciphertext encrypts 2, the proof is
	// built as if v = 1 ∈ [0, 1].
	rnd := cryptotest.NewReader([]byte("range lie"))
	pk := cryptotest.GenerateKey(rnd).PublicKey()
	ct, r := cryptotest.Encrypt(pk, 2, rnd)
	p, err := cryptotest.ProveRange(vectorCtx, pk, ct, 1, r, 0, 1, rnd)
	if err != nil {
		t.Fatal(err)
	}
	w.Vector("range-lie")
	statement(pk, ct, 0, 1)
	w.Input("proof", p.Bytes())
	w.Comment("the ciphertext encrypts 2; the prover claimed v = 1")
	w.Reject("invalid-proof")
	return w.Bytes()
}
