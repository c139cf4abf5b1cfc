package crypto_test

import (
	"bytes"
	"errors"
	"math/big"
	"slices"
	"testing"

	"github.com/evote/evote/crypto"
	"github.com/evote/evote/internal/specvectors"
)

// vectorProofs returns the proof encodings, inputs and outputs, of the
// vector file of docs/spec/vectors for the proof kind ("schnorr", "dleq",
// "range"), as fuzzing seeds.
func vectorProofs(f *testing.F, kind string) [][]byte {
	var out [][]byte
	add := func(s string) {
		b, err := specvectors.DecodeHex(s)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	for _, v := range specvectors.Load(f, kind+".txt") {
		if p, ok := v.Lookup("proof"); ok {
			add(p)
		}
		if v.Expects("proof") {
			add(v.Peek("proof"))
		}
	}
	return out
}

// checkParse is the property of every proof parser: no panic; success
// returns the receiver and round-trips; failure wraps ErrInvalidEncoding.
func checkParse[P interface{ Bytes() []byte }](t *testing.T, b []byte, p P, err error) {
	if err != nil {
		if !errors.Is(err, crypto.ErrInvalidEncoding) {
			t.Fatalf("SetBytes error %v does not wrap ErrInvalidEncoding", err)
		}
		return
	}
	if got := p.Bytes(); !bytes.Equal(got, b) {
		t.Fatalf("SetBytes(%x).Bytes() = %x", b, got)
	}
}

// proofType is a proof type P whose pointer PP parses and encodes.
type proofType[P any] interface {
	*P
	SetBytes([]byte) (*P, error)
	Bytes() []byte
}

// fuzzProofSetBytes fuzzes the parser of proofs of type P, seeded with the
// proofs of the vector file of kind.
func fuzzProofSetBytes[P any, PP proofType[P]](f *testing.F, kind string) {
	for _, b := range vectorProofs(f, kind) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := PP(new(P))
		q, err := p.SetBytes(b)
		if err == nil && q != (*P)(p) {
			t.Fatal("SetBytes did not return the receiver")
		}
		checkParse(t, b, p, err)
	})
}

// parseThenVerify returns a function that parses a proof of type P, checks
// that it re-encodes to the same bytes, and verifies it.
func parseThenVerify[P any, PP proofType[P]](t testing.TB, verify func(PP) error) func([]byte) error {
	return func(b []byte) error {
		q := PP(new(P))
		if _, err := q.SetBytes(b); err != nil {
			return err
		}
		if !bytes.Equal(q.Bytes(), b) {
			t.Fatalf("SetBytes(%x).Bytes() = %x", b, q.Bytes())
		}
		return verify(q)
	}
}

func FuzzSchnorrProofSetBytes(f *testing.F) { fuzzProofSetBytes[crypto.SchnorrProof](f, "schnorr") }

func FuzzDLEQProofSetBytes(f *testing.F) { fuzzProofSetBytes[crypto.DLEQProof](f, "dleq") }

func FuzzRangeProofSetBytes(f *testing.F) { fuzzProofSetBytes[crypto.RangeProof](f, "range") }

func FuzzShuffleProofSetBytes(f *testing.F) { fuzzProofSetBytes[crypto.ShuffleProof](f, "shuffle") }

// TestSetBytesUnchangedOnError checks that a failed SetBytes leaves the
// receiver alone.
func TestSetBytesUnchangedOnError(t *testing.T) {
	f := newFixture("unchanged")
	ct, r := f.pk.Encrypt(1)
	p, err := crypto.ProveRange(ctx, f.pk, ct, 1, r, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	enc := p.Bytes()
	bad := slices.Clone(enc)
	copy(bad[len(bad)-32:], l)
	if _, err := p.SetBytes(bad); err == nil {
		t.Fatal("non-canonical challenge accepted")
	}
	if !bytes.Equal(p.Bytes(), enc) {
		t.Fatal("failed SetBytes changed the receiver")
	}
	if err := crypto.VerifyRange(ctx, f.pk, ct, 0, 1, p); err != nil {
		t.Fatal(err)
	}
	s := crypto.ProveSchnorr(ctx, f.sk.Scalar(), f.pk.Element())
	senc := s.Bytes()
	if _, err := s.SetBytes(senc[:10]); err == nil || !bytes.Equal(s.Bytes(), senc) {
		t.Fatal("failed SetBytes changed the Schnorr proof")
	}
}

// TestConstantL recomputes the ℓ used by the vectors.
func TestConstantL(t *testing.T) {
	want, _ := new(big.Int).SetString("27742317777372353535851937790883648493", 10)
	want.Add(want, new(big.Int).Lsh(big.NewInt(1), 252))
	be := slices.Clone(l)
	slices.Reverse(be)
	if got := new(big.Int).SetBytes(be); got.Cmp(want) != 0 {
		t.Fatalf("l = %v, want %v", got, want)
	}
}
