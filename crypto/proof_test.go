package crypto_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/evote/evote/crypto"
	"github.com/evote/evote/crypto/cryptotest"
)

type fixture struct {
	sk  *crypto.PrivateKey
	pk  *crypto.PublicKey
	pk2 *crypto.PublicKey
	rnd io.Reader
}

func newFixture(seed string) *fixture {
	rnd := cryptotest.NewReader([]byte(seed))
	sk := cryptotest.GenerateKey(rnd)
	sk2 := cryptotest.GenerateKey(rnd)
	return &fixture{sk: sk, pk: sk.PublicKey(), pk2: sk2.PublicKey(), rnd: rnd}
}

func (f *fixture) element() *crypto.Element {
	return crypto.NewElement().ScalarBaseMult(cryptotest.Scalar(f.rnd))
}

// alterElement returns the encoding of the element enc + G.
func alterElement(t *testing.T, enc []byte) []byte {
	t.Helper()
	e, err := crypto.NewElement().SetCanonicalBytes(enc)
	if err != nil {
		t.Fatal(err)
	}
	return e.Add(e, crypto.NewGeneratorElement()).Bytes()
}

// alterScalar returns the encoding of the scalar enc + 1.
func alterScalar(t *testing.T, enc []byte) []byte {
	t.Helper()
	s, err := crypto.NewScalar().SetCanonicalBytes(enc)
	if err != nil {
		t.Fatal(err)
	}
	return s.Add(s, crypto.NewScalar().SetUint64(1)).Bytes()
}

func replaced(b []byte, off int, with []byte) []byte {
	out := bytes.Clone(b)
	copy(out[off:], with)
	return out
}

func wantInvalid(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: verification succeeded, want failure", what)
	} else if !errors.Is(err, crypto.ErrInvalidProof) {
		t.Errorf("%s: error %v does not wrap ErrInvalidProof", what, err)
	}
}

var ctx = []byte("election base hash || contest 3 || selection 1")

func TestSchnorr(t *testing.T) {
	f := newFixture("schnorr")
	x := f.sk.Scalar()
	X := f.pk.Element()
	p := crypto.ProveSchnorr(ctx, x, X)
	if err := crypto.VerifySchnorr(ctx, X, p); err != nil {
		t.Fatalf("VerifySchnorr(valid) = %v", err)
	}
	enc := p.Bytes()
	if len(enc) != crypto.SchnorrProofSize {
		t.Fatalf("len(Bytes()) = %d, want %d", len(enc), crypto.SchnorrProofSize)
	}
	q, err := new(crypto.SchnorrProof).SetBytes(enc)
	if err != nil || !bytes.Equal(q.Bytes(), enc) {
		t.Fatalf("SetBytes(Bytes()) = %v, round trip mismatch", err)
	}
	if err := crypto.VerifySchnorr(ctx, X, q); err != nil {
		t.Fatalf("VerifySchnorr(parsed) = %v", err)
	}

	wantInvalid(t, "wrong X", crypto.VerifySchnorr(ctx, f.element(), p))
	wantInvalid(t, "wrong ctx", crypto.VerifySchnorr([]byte("other"), X, p))
	wantInvalid(t, "nil ctx", crypto.VerifySchnorr(nil, X, p))
	for name, b := range map[string][]byte{
		"R altered": replaced(enc, 0, alterElement(t, enc[:32])),
		"z altered": replaced(enc, 32, alterScalar(t, enc[32:])),
	} {
		q, err := new(crypto.SchnorrProof).SetBytes(b)
		if err != nil {
			t.Fatalf("%s: SetBytes: %v", name, err)
		}
		wantInvalid(t, name, crypto.VerifySchnorr(ctx, X, q))
	}
	// A proof for a wrong witness does not verify.
	bad := crypto.ProveSchnorr(ctx, crypto.NewScalar().SetUint64(7), X)
	wantInvalid(t, "wrong witness", crypto.VerifySchnorr(ctx, X, bad))

	testMangling(t, enc, parseThenVerify(t, func(q *crypto.SchnorrProof) error {
		return crypto.VerifySchnorr(ctx, X, q)
	}))
}

func TestDLEQ(t *testing.T) {
	f := newFixture("dleq")
	x := f.sk.Scalar()
	g := crypto.NewGeneratorElement()
	X := f.pk.Element()
	h := f.element()
	Y := crypto.NewElement().ScalarMult(x, h)
	p := crypto.ProveDLEQ(ctx, x, g, X, h, Y)
	if err := crypto.VerifyDLEQ(ctx, g, X, h, Y, p); err != nil {
		t.Fatalf("VerifyDLEQ(valid) = %v", err)
	}
	enc := p.Bytes()
	if len(enc) != crypto.DLEQProofSize {
		t.Fatalf("len(Bytes()) = %d, want %d", len(enc), crypto.DLEQProofSize)
	}
	other := f.element()
	wantInvalid(t, "wrong g", crypto.VerifyDLEQ(ctx, other, X, h, Y, p))
	wantInvalid(t, "wrong X", crypto.VerifyDLEQ(ctx, g, other, h, Y, p))
	wantInvalid(t, "wrong h", crypto.VerifyDLEQ(ctx, g, X, other, Y, p))
	wantInvalid(t, "wrong Y", crypto.VerifyDLEQ(ctx, g, X, h, other, p))
	wantInvalid(t, "swapped", crypto.VerifyDLEQ(ctx, h, Y, g, X, p))
	wantInvalid(t, "wrong ctx", crypto.VerifyDLEQ(ctx[1:], g, X, h, Y, p))
	for name, b := range map[string][]byte{
		"a altered": replaced(enc, 0, alterElement(t, enc[:32])),
		"b altered": replaced(enc, 32, alterElement(t, enc[32:64])),
		"z altered": replaced(enc, 64, alterScalar(t, enc[64:])),
	} {
		q, err := new(crypto.DLEQProof).SetBytes(b)
		if err != nil {
			t.Fatalf("%s: SetBytes: %v", name, err)
		}
		wantInvalid(t, name, crypto.VerifyDLEQ(ctx, g, X, h, Y, q))
	}
	// Unequal logarithms: Y' = (x+1)·h.
	Y2 := crypto.NewElement().Add(Y, h)
	bad := crypto.ProveDLEQ(ctx, x, g, X, h, Y2)
	wantInvalid(t, "unequal logs", crypto.VerifyDLEQ(ctx, g, X, h, Y2, bad))

	testMangling(t, enc, parseThenVerify(t, func(q *crypto.DLEQProof) error {
		return crypto.VerifyDLEQ(ctx, g, X, h, Y, q)
	}))
}

// testMangling checks that every truncation, extension and single-byte
// change of the valid encoding enc is rejected by check, which parses and
// verifies.
func testMangling(t *testing.T, enc []byte, check func([]byte) error) {
	t.Helper()
	if err := check(enc); err != nil {
		t.Fatalf("valid encoding rejected: %v", err)
	}
	for i := 0; i < len(enc); i++ {
		if check(enc[:i]) == nil {
			t.Errorf("truncation to %d bytes accepted", i)
		}
	}
	for _, ext := range [][]byte{{0}, {1}, make([]byte, 32), make([]byte, 128)} {
		if check(append(bytes.Clone(enc), ext...)) == nil {
			t.Errorf("extension by %d bytes accepted", len(ext))
		}
	}
	flips := []byte{0x01, 0x80, 0xff}
	if testing.Short() {
		flips = flips[:1]
	}
	for i := range enc {
		for _, f := range flips {
			b := bytes.Clone(enc)
			b[i] ^= f
			if check(b) == nil {
				t.Errorf("byte %d ^ %#x accepted", i, f)
			}
		}
	}
}

func TestRangeProof(t *testing.T) {
	f := newFixture("range")
	ranges := [][2]uint64{{0, 1}, {0, 0}, {5, 5}, {0, 3}, {2, 6}, {1 << 40, 1<<40 + 2}}
	for _, rg := range ranges {
		lo, hi := rg[0], rg[1]
		for v := lo; v <= hi; v++ {
			t.Run(fmt.Sprintf("[%d,%d]/v=%d", lo, hi, v), func(t *testing.T) {
				ct, r := f.pk.Encrypt(v)
				p, err := crypto.ProveRange(ctx, f.pk, ct, v, r, lo, hi)
				if err != nil {
					t.Fatalf("ProveRange: %v", err)
				}
				if err := crypto.VerifyRange(ctx, f.pk, ct, lo, hi, p); err != nil {
					t.Fatalf("VerifyRange(valid) = %v", err)
				}
				enc := p.Bytes()
				if want := crypto.RangeProofSize(lo, hi); len(enc) != want {
					t.Fatalf("len = %d, RangeProofSize = %d", len(enc), want)
				}
				q, err := new(crypto.RangeProof).SetBytes(enc)
				if err != nil || !bytes.Equal(q.Bytes(), enc) {
					t.Fatalf("SetBytes round trip: %v", err)
				}
				if err := crypto.VerifyRange(ctx, f.pk, ct, lo, hi, q); err != nil {
					t.Fatalf("VerifyRange(parsed) = %v", err)
				}
				testRangeNegatives(t, f, ct, v, r, lo, hi, enc)
			})
		}
	}
}

func testRangeNegatives(t *testing.T, f *fixture, ct *crypto.Ciphertext, v uint64, r *crypto.Scalar, lo, hi uint64, enc []byte) {
	p, err := new(crypto.RangeProof).SetBytes(enc)
	if err != nil {
		t.Fatal(err)
	}
	n := int(hi-lo) + 1
	other, _ := f.pk.Encrypt(v)
	wantInvalid(t, "other ciphertext, same value", crypto.VerifyRange(ctx, f.pk, other, lo, hi, p))
	wantInvalid(t, "wrong ctx", crypto.VerifyRange([]byte("other election"), f.pk, ct, lo, hi, p))
	wantInvalid(t, "other public key", crypto.VerifyRange(ctx, f.pk2, ct, lo, hi, p))
	wantInvalid(t, "shifted range", crypto.VerifyRange(ctx, f.pk, ct, lo+1, hi+1, p))
	if lo > 0 {
		wantInvalid(t, "shifted range down", crypto.VerifyRange(ctx, f.pk, ct, lo-1, hi-1, p))
	}
	wantInvalid(t, "wider range", crypto.VerifyRange(ctx, f.pk, ct, lo, hi+1, p))
	wantInvalid(t, "empty range", crypto.VerifyRange(ctx, f.pk, ct, hi+1, hi, p))
	swapped := crypto.NewCiphertext()
	swapped.A.Set(&ct.B)
	swapped.B.Set(&ct.A)
	wantInvalid(t, "swapped ciphertext", crypto.VerifyRange(ctx, f.pk, swapped, lo, hi, p))
	plus, _ := f.pk.Encrypt(1)
	shifted := crypto.NewCiphertext().Add(ct, plus)
	wantInvalid(t, "ciphertext of v+1", crypto.VerifyRange(ctx, f.pk, shifted, lo, hi, p))

	check := func(name string, b []byte) {
		t.Helper()
		q, err := new(crypto.RangeProof).SetBytes(b)
		if err != nil {
			t.Fatalf("%s: SetBytes: %v", name, err)
		}
		wantInvalid(t, name, crypto.VerifyRange(ctx, f.pk, ct, lo, hi, q))
	}
	for k := 0; k < n; k++ {
		o := 96 * k
		check(fmt.Sprintf("a_%d altered", k), replaced(enc, o, alterElement(t, enc[o:o+32])))
		check(fmt.Sprintf("b_%d altered", k), replaced(enc, o+32, alterElement(t, enc[o+32:o+64])))
		check(fmt.Sprintf("z_%d altered", k), replaced(enc, o+64, alterScalar(t, enc[o+64:o+96])))
	}
	for k := 0; k < n-1; k++ {
		o := 96*n + 32*k
		check(fmt.Sprintf("c_%d altered", k), replaced(enc, o, alterScalar(t, enc[o:o+32])))
	}
}

func TestRangeProofOutOfRange(t *testing.T) {
	f := newFixture("range out")
	for _, tc := range []struct{ v, lo, hi uint64 }{
		{2, 0, 1}, {0, 1, 3}, {4, 1, 3}, {1<<64 - 1, 0, 1}, {0, 1, 0}, {0, 0, crypto.MaxRangeProofBranches}, {0, 0, 1<<64 - 1},
	} {
		ct, r := f.pk.Encrypt(tc.v)
		if _, err := crypto.ProveRange(ctx, f.pk, ct, tc.v, r, tc.lo, tc.hi); err == nil {
			t.Errorf("ProveRange(v=%d, [%d, %d]) succeeded", tc.v, tc.lo, tc.hi)
		}
	}
	if got := crypto.RangeProofSize(0, crypto.MaxRangeProofBranches-1); got != 128*crypto.MaxRangeProofBranches-32 {
		t.Errorf("RangeProofSize(max) = %d", got)
	}
	for _, rg := range [][2]uint64{{1, 0}, {0, crypto.MaxRangeProofBranches}, {0, 1<<64 - 1}} {
		if got := crypto.RangeProofSize(rg[0], rg[1]); got != 0 {
			t.Errorf("RangeProofSize(%d, %d) = %d, want 0", rg[0], rg[1], got)
		}
	}
	if got := crypto.RangeProofSize(0, 1); got != 96*2+32 {
		t.Errorf("RangeProofSize(0, 1) = %d, want 224", got)
	}

	// A prover lying about v: ct encrypts 2, the proof claims v = 1 in [0, 1].
	ct, r := f.pk.Encrypt(2)
	p, err := crypto.ProveRangeFrom(f.rnd, ctx, f.pk, ct, 1, r, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	wantInvalid(t, "lying prover", crypto.VerifyRange(ctx, f.pk, ct, 0, 1, p))
	// A valid proof for an in-range ciphertext, applied to one out of range.
	ct1, r1 := f.pk.Encrypt(1)
	p1, err := crypto.ProveRange(ctx, f.pk, ct1, 1, r1, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	wantInvalid(t, "proof moved to out-of-range ciphertext", crypto.VerifyRange(ctx, f.pk, ct, 0, 1, p1))
	// The same randomness, a different value.
	ct2 := f.pk.EncryptWithRandomness(2, r1)
	wantInvalid(t, "same r, v=2", crypto.VerifyRange(ctx, f.pk, ct2, 0, 1, p1))
}

func TestRangeProofMangling(t *testing.T) {
	f := newFixture("range mangling")
	ct, r := f.pk.Encrypt(1)
	p, err := crypto.ProveRange(ctx, f.pk, ct, 1, r, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	testMangling(t, p.Bytes(), parseThenVerify(t, func(q *crypto.RangeProof) error {
		return crypto.VerifyRange(ctx, f.pk, ct, 0, 1, q)
	}))
}

// TestReferenceProvers checks that crypto's constant-time provers and the
// plain provers of cryptotest produce the same bytes from the same stream.
func TestReferenceProvers(t *testing.T) {
	f := newFixture("reference")
	x := f.sk.Scalar()
	X := f.pk.Element()
	seed := []byte("nonces")
	a := crypto.ProveSchnorrFrom(cryptotest.NewReader(seed), ctx, x, X)
	b := cryptotest.ProveSchnorr(ctx, x, X, cryptotest.NewReader(seed))
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("Schnorr: crypto %x, cryptotest %x", a.Bytes(), b.Bytes())
	}
	h := f.element()
	Y := crypto.NewElement().ScalarMult(x, h)
	d1 := crypto.ProveDLEQFrom(cryptotest.NewReader(seed), ctx, x, crypto.NewGeneratorElement(), X, h, Y)
	d2 := cryptotest.ProveDLEQ(ctx, x, crypto.NewGeneratorElement(), X, h, Y, cryptotest.NewReader(seed))
	if !bytes.Equal(d1.Bytes(), d2.Bytes()) {
		t.Errorf("DLEQ: crypto %x, cryptotest %x", d1.Bytes(), d2.Bytes())
	}
	for _, rg := range [][2]uint64{{0, 1}, {0, 0}, {3, 7}} {
		for v := rg[0]; v <= rg[1]; v++ {
			ct, r := cryptotest.Encrypt(f.pk, v, f.rnd)
			p1, err1 := crypto.ProveRangeFrom(cryptotest.NewReader(seed), ctx, f.pk, ct, v, r, rg[0], rg[1])
			p2, err2 := cryptotest.ProveRange(ctx, f.pk, ct, v, r, rg[0], rg[1], cryptotest.NewReader(seed))
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if !bytes.Equal(p1.Bytes(), p2.Bytes()) {
				t.Errorf("range [%d, %d] v=%d: crypto and cryptotest proofs differ", rg[0], rg[1], v)
			}
		}
	}
}
