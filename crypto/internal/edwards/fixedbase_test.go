package edwards

import (
	"encoding/hex"
	"math/rand/v2"
	"testing"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// detScalar returns a deterministic pseudo-random scalar from rng.
func detScalar(rng *rand.ChaCha8) *edwards25519.Scalar {
	var b [64]byte
	rng.Read(b[:])
	s, err := edwards25519.NewScalar().SetUniformBytes(b[:])
	if err != nil {
		panic(err)
	}
	return s
}

// smallScalar returns v mod ℓ, negated if neg.
func smallScalar(v uint64, neg bool) *edwards25519.Scalar {
	var b [32]byte
	for i := range 8 {
		b[i] = byte(v >> (8 * i))
	}
	s, err := edwards25519.NewScalar().SetCanonicalBytes(b[:])
	if err != nil {
		panic(err)
	}
	if neg {
		s.Negate(s)
	}
	return s
}

// edgeScalars returns scalars whose signed digits or windows sit at the
// edges: 0, small values around the radix, 2^63, ℓ − 1, −8 and −9.
func edgeScalars() []*edwards25519.Scalar {
	return []*edwards25519.Scalar{
		smallScalar(0, false), smallScalar(1, false), smallScalar(2, false),
		smallScalar(8, false), smallScalar(15, false), smallScalar(16, false),
		smallScalar(1<<63, false), smallScalar(1, true), smallScalar(8, true),
		smallScalar(9, true),
	}
}

// lowOrderPoint returns a point of order 8 (RFC 8032's small-order
// encodings; it is also in the Ed25519 test suites of Go and libsodium).
func lowOrderPoint(t testing.TB) *edwards25519.Point {
	b, _ := hex.DecodeString("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	p, err := new(edwards25519.Point).SetBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	if p.Equal(edwards25519.NewIdentityPoint()) == 1 ||
		new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) != 1 {
		t.Fatal("the low-order point is not of small order")
	}
	return p
}

// TestD2 checks d2 against the curve equation −x² + y² = 1 + d·x²·y² at the
// generator: d = (y² − x² − 1)/(x²·y²).
func TestD2(t *testing.T) {
	X, Y, Z, _ := edwards25519.NewGeneratorPoint().ExtendedCoordinates()
	var zinv, x, y, x2, y2, num, den, d field.Element
	zinv.Invert(Z)
	x.Multiply(X, &zinv)
	y.Multiply(Y, &zinv)
	x2.Square(&x)
	y2.Square(&y)
	num.Subtract(&y2, &x2)
	num.Subtract(&num, new(field.Element).One())
	den.Multiply(&x2, &y2)
	d.Multiply(&num, den.Invert(&den))
	if d.Add(&d, &d).Equal(d2) != 1 {
		t.Errorf("d2 = %x, want 2·d = %x", d2.Bytes(), d.Bytes())
	}
}

func TestFixedBaseMult(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{1})
	g := edwards25519.NewGeneratorPoint()
	bases := []*edwards25519.Point{g, new(edwards25519.Point).ScalarBaseMult(detScalar(rng))}
	// Bases with a torsion component: the product must be exactly s·P,
	// torsion included, not only equal up to it.
	low := lowOrderPoint(t)
	bases = append(bases, low, new(edwards25519.Point).Add(bases[1], low))
	n := 50
	if testing.Short() {
		n = 10
	}
	for bi, p := range bases {
		tab := NewTable(p)
		scalars := edgeScalars()
		for i := 0; i < n; i++ {
			scalars = append(scalars, detScalar(rng))
		}
		for _, s := range scalars {
			got := FixedBaseMult(new(edwards25519.Point), s, tab)
			want := new(edwards25519.Point).ScalarMult(s, p)
			if got.Equal(want) != 1 {
				t.Fatalf("base %d: FixedBaseMult(%x) = %x, want %x", bi, s.Bytes(), got.Bytes(), want.Bytes())
			}
		}
	}
	// For G, also compare with ScalarBaseMult, with the table's base as
	// the receiver: the table, not the receiver, holds the base.
	tab := NewTable(g)
	v := edwards25519.NewGeneratorPoint()
	s := detScalar(rng)
	if FixedBaseMult(v, s, tab).Equal(new(edwards25519.Point).ScalarBaseMult(s)) != 1 {
		t.Fatal("FixedBaseMult(G) != ScalarBaseMult")
	}
}

// TestSignedRadix16 checks that the digits are in [−8, 8] and sum back to
// the scalar.
func TestSignedRadix16(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{5})
	scalars := edgeScalars()
	for range 100 {
		scalars = append(scalars, detScalar(rng))
	}
	sixteen := smallScalar(16, false)
	for _, s := range scalars {
		digits := signedRadix16(s)
		sum := edwards25519.NewScalar()
		for i := 63; i >= 0; i-- {
			d := digits[i]
			if d < -8 || d > 8 {
				t.Fatalf("signedRadix16(%x): digit %d = %d", s.Bytes(), i, d)
			}
			sum.Multiply(sum, sixteen)
			if d < 0 {
				sum.Add(sum, smallScalar(uint64(-d), true))
			} else {
				sum.Add(sum, smallScalar(uint64(d), false))
			}
		}
		if sum.Equal(s) != 1 {
			t.Fatalf("signedRadix16(%x) sums to %x", s.Bytes(), sum.Bytes())
		}
	}
}

// TestFixedBaseMultAllocs: a multiplication allocates nothing.
func TestFixedBaseMultAllocs(t *testing.T) {
	tab := NewTable(edwards25519.NewGeneratorPoint())
	s := detScalar(rand.NewChaCha8([32]byte{6}))
	var v edwards25519.Point
	if n := testing.AllocsPerRun(10, func() { FixedBaseMult(&v, s, tab) }); n != 0 {
		t.Errorf("FixedBaseMult allocates %v times, want 0", n)
	}
}

func BenchmarkFixedBaseMult(b *testing.B) {
	rng := rand.NewChaCha8([32]byte{7})
	tab := NewTable(new(edwards25519.Point).ScalarBaseMult(detScalar(rng)))
	s := detScalar(rng)
	var v edwards25519.Point
	b.ReportAllocs()
	for b.Loop() {
		FixedBaseMult(&v, s, tab)
	}
}
