package crypto

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"math/big"
	"testing"
	"testing/quick"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

var (
	bigP = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	bigL = func() *big.Int {
		l, _ := new(big.Int).SetString("27742317777372353535851937790883648493", 10)
		return l.Add(l, new(big.Int).Lsh(big.NewInt(1), 252))
	}()
)

// leBig reads a little-endian integer.
func leBig(b []byte) *big.Int {
	r := make([]byte, len(b))
	for i := range b {
		r[len(b)-1-i] = b[i]
	}
	return new(big.Int).SetBytes(r)
}

// bigLE writes x as a 32-byte little-endian integer.
func bigLE(x *big.Int) []byte {
	out := make([]byte, 32)
	b := x.Bytes()
	for i := range b {
		out[i] = b[len(b)-1-i]
	}
	return out
}

func feBig(fe *field.Element) *big.Int { return leBig(fe.Bytes()) }

// TestFieldConstants recomputes the constants of group.go from their
// definitions in RFC 9496, section 4.1.
func TestFieldConstants(t *testing.T) {
	p := bigP
	mod := func(x *big.Int) *big.Int { return x.Mod(x, p) }
	// d = −121665/121666
	d := mod(new(big.Int).Mul(big.NewInt(-121665), new(big.Int).ModInverse(big.NewInt(121666), p)))
	sqrtM1 := new(big.Int).Exp(big.NewInt(2), new(big.Int).Rsh(new(big.Int).Sub(p, big.NewInt(1)), 2), p)
	dec := func(s string) *big.Int {
		x, ok := new(big.Int).SetString(s, 10)
		if !ok {
			t.Fatal(s)
		}
		return x
	}
	sqrtADMinusOne := dec("25063068953384623474111414158702152701244531502492656460079210482610430750235")
	invSqrtAMinusD := dec("54469307008909316920995813868745141605393597292927456921205312896311721017578")
	one := big.NewInt(1)
	sq := func(x *big.Int) *big.Int { return mod(new(big.Int).Mul(x, x)) }
	// sqrt(a·d − 1)² = −d − 1 (a = −1).
	if sq(sqrtADMinusOne).Cmp(mod(new(big.Int).Sub(new(big.Int).Neg(d), one))) != 0 {
		t.Error("SQRT_AD_MINUS_ONE² ≠ a·d − 1")
	}
	// (1/sqrt(a − d))² · (a − d) = 1.
	if mod(new(big.Int).Mul(sq(invSqrtAMinusD), new(big.Int).Sub(big.NewInt(-1), d))).Cmp(one) != 0 {
		t.Error("INVSQRT_A_MINUS_D² · (a − d) ≠ 1")
	}
	if sq(sqrtM1).Cmp(new(big.Int).Sub(p, one)) != 0 {
		t.Error("SQRT_M1² ≠ −1")
	}
	for _, c := range []struct {
		name string
		got  *field.Element
		want *big.Int
	}{
		{"D", feD, d},
		{"SQRT_M1", feSqrt, sqrtM1},
		{"SQRT_AD_MINUS_ONE", feSqrtADMinusOne, sqrtADMinusOne},
		{"INVSQRT_A_MINUS_D", feInvSqrtAMinusD, invSqrtAMinusD},
		{"ONE_MINUS_D_SQ", feOneMinusDSQ, mod(new(big.Int).Sub(one, sq(d)))},
		{"D_MINUS_ONE_SQ", feDMinusOneSQ, sq(new(big.Int).Sub(d, one))},
	} {
		if feBig(c.got).Cmp(c.want) != 0 {
			t.Errorf("%s = %v, want %v", c.name, feBig(c.got), c.want)
		}
	}
}

// TestScalarVectorConstants checks ℓ, used by the scalar vectors, against
// the scalar arithmetic: (ℓ−1) + 1 = 0.
func TestScalarVectorConstants(t *testing.T) {
	s, err := NewScalar().SetCanonicalBytes(bigLE(new(big.Int).Sub(bigL, big.NewInt(1))))
	if err != nil {
		t.Fatal(err)
	}
	if s.Add(s, NewScalar().SetUint64(1)).IsZero() != 1 {
		t.Error("(ℓ−1) + 1 ≠ 0")
	}
}

// quickConfig runs n cases, or n/10 under -short.
func quickConfig(n int) *quick.Config {
	if testing.Short() {
		n = max(n/10, 5)
	}
	return &quick.Config{MaxCount: n}
}

// edgeBytes fills b with an edge-weighted pattern chosen by sel, or leaves
// the random bytes from quick.
func edgeBytes(b []byte, sel uint8) {
	switch sel % 8 {
	case 0:
		clear(b)
	case 1:
		for i := range b {
			b[i] = 0xff
		}
	case 2:
		clear(b[len(b)/2:])
	case 3:
		for i := len(b) / 2; i < len(b); i++ {
			b[i] = 0xff
		}
	}
}

func TestScalarSetUniformBytesBig(t *testing.T) {
	f := func(in [64]byte, sel uint8) bool {
		edgeBytes(in[:], sel)
		s, err := NewScalar().SetUniformBytes(in[:])
		if err != nil {
			return false
		}
		want := new(big.Int).Mod(leBig(in[:]), bigL)
		return leBig(s.Bytes()).Cmp(want) == 0
	}
	if err := quick.Check(f, quickConfig(2000)); err != nil {
		t.Error(err)
	}
	for _, n := range []int{0, 32, 63, 65} {
		if _, err := NewScalar().SetUniformBytes(make([]byte, n)); !errors.Is(err, ErrInvalidEncoding) {
			t.Errorf("Scalar.SetUniformBytes(%d bytes) error = %v, want ErrInvalidEncoding", n, err)
		}
	}
}

// quickScalar turns 64 random bytes into a scalar and its big.Int value.
func quickScalar(in [64]byte, sel uint8) (*Scalar, *big.Int) {
	edgeBytes(in[:], sel)
	s, _ := NewScalar().SetUniformBytes(in[:])
	return s, leBig(s.Bytes())
}

func TestScalarArithmeticBig(t *testing.T) {
	mod := func(x *big.Int) *big.Int { return x.Mod(x, bigL) }
	f := func(a, b, c [64]byte, sa, sb uint8) bool {
		x, bx := quickScalar(a, sa)
		y, by := quickScalar(b, sb)
		z, bz := quickScalar(c, 0xff)
		ok := func(s *Scalar, want *big.Int) bool { return leBig(s.Bytes()).Cmp(mod(want)) == 0 }
		inv := new(big.Int)
		if bx.Sign() != 0 {
			inv.ModInverse(bx, bigL)
		}
		return ok(NewScalar().Add(x, y), new(big.Int).Add(bx, by)) &&
			ok(NewScalar().Subtract(x, y), new(big.Int).Sub(bx, by)) &&
			ok(NewScalar().Multiply(x, y), new(big.Int).Mul(bx, by)) &&
			ok(NewScalar().MultiplyAdd(x, y, z), new(big.Int).Add(new(big.Int).Mul(bx, by), bz)) &&
			ok(NewScalar().Negate(x), new(big.Int).Neg(bx)) &&
			ok(NewScalar().Invert(x), inv) &&
			// Aliasing: the receiver is also an argument.
			ok(NewScalar().Set(x).Add(x, x), new(big.Int).Add(bx, bx)) &&
			ok(func() *Scalar { s := NewScalar().Set(x); return s.Multiply(s, s) }(), new(big.Int).Mul(bx, bx)) &&
			ok(func() *Scalar { s := NewScalar().Set(x); return s.Subtract(y, s) }(), new(big.Int).Sub(by, bx)) &&
			ok(func() *Scalar { s := NewScalar().Set(x); return s.Negate(s) }(), new(big.Int).Neg(bx)) &&
			ok(func() *Scalar { s := NewScalar().Set(z); return s.MultiplyAdd(x, y, s) }(), new(big.Int).Add(new(big.Int).Mul(bx, by), bz))
	}
	if err := quick.Check(f, quickConfig(500)); err != nil {
		t.Error(err)
	}
	if NewScalar().Invert(NewScalar()).IsZero() != 1 {
		t.Error("Invert(0) ≠ 0")
	}
}

func TestScalarSetInt(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 2, -2, 1 << 40, -(1 << 40), 1<<63 - 1, -1 << 63} {
		want := new(big.Int).Mod(big.NewInt(v), bigL)
		if got := leBig(NewScalar().SetInt64(v).Bytes()); got.Cmp(want) != 0 {
			t.Errorf("SetInt64(%d) = %v, want %v", v, got, want)
		}
	}
	for _, v := range []uint64{0, 1, 255, 256, 1<<64 - 1} {
		if got := leBig(NewScalar().SetUint64(v).Bytes()); got.Cmp(new(big.Int).SetUint64(v)) != 0 {
			t.Errorf("SetUint64(%d) = %v", v, got)
		}
	}
	if NewScalar().IsZero() != 1 || NewScalar().SetUint64(1).IsZero() != 0 {
		t.Error("IsZero is wrong")
	}
	var zero Scalar
	if zero.Equal(NewScalar()) != 1 {
		t.Error("the zero Scalar is not 0")
	}
}

// torsion4 returns the four points of the 4-torsion subgroup E[4] of
// edwards25519: (0, 1), (0, −1), (±√−1, 0). Adding one to a
// representative does not change the ristretto255 element.
func torsion4(t testing.TB) []*edwards25519.Point {
	t.Helper()
	yMinusOne, _ := hex.DecodeString("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
	y0 := make([]byte, 32)
	y0neg := make([]byte, 32)
	y0neg[31] = 0x80
	out := []*edwards25519.Point{edwards25519.NewIdentityPoint()}
	for _, b := range [][]byte{yMinusOne, y0, y0neg} {
		p, err := new(edwards25519.Point).SetBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		// Check the order: 4·p is the identity, and p is distinct.
		q := new(edwards25519.Point).Add(p, p)
		q.Add(q, q)
		if q.Equal(edwards25519.NewIdentityPoint()) != 1 {
			t.Fatalf("%x is not 4-torsion", b)
		}
		for _, o := range out {
			if o.Equal(p) == 1 {
				t.Fatalf("%x is a duplicate", b)
			}
		}
		out = append(out, p)
	}
	return out
}

func TestElementRepresentatives(t *testing.T) {
	ts := torsion4(t)
	f := func(a [64]byte, sel uint8) bool {
		s, _ := quickScalar(a, sel)
		e := NewElement().ScalarBaseMult(s)
		for _, tp := range ts {
			r := NewElement().Set(e)
			r.p.Add(&r.p, tp)
			if r.Equal(e) != 1 || e.Equal(r) != 1 || !bytes.Equal(r.Bytes(), e.Bytes()) {
				return false
			}
			// Another element is never equal, whatever the representative.
			o := NewElement().Add(e, NewGeneratorElement())
			if r.Equal(o) != 0 || r.Equal(NewElement().Negate(e)) != e.IsIdentity() {
				return false
			}
		}
		return true
	}
	if err := quick.Check(f, quickConfig(200)); err != nil {
		t.Error(err)
	}
	// The identity's representatives are exactly E[4].
	for _, tp := range ts {
		e := NewElement()
		e.p.Set(tp)
		if e.IsIdentity() != 1 || !bytes.Equal(e.Bytes(), make([]byte, 32)) {
			t.Errorf("torsion point %x is not the identity", tp.Bytes())
		}
	}
}

func TestElementAliasing(t *testing.T) {
	f := func(a, b [64]byte, sa, sb uint8) bool {
		s, _ := quickScalar(a, sa)
		u, _ := quickScalar(b, sb)
		x := NewElement().ScalarBaseMult(s)
		y := NewElement().ScalarBaseMult(u)
		two := NewScalar().SetUint64(2)
		eq := func(p, q *Element) bool { return p.Equal(q) == 1 }

		p := NewElement().Set(x)
		if !eq(p.Add(p, p), NewElement().ScalarMult(two, x)) {
			return false
		}
		p.Set(x)
		if !eq(p.Add(p, y), NewElement().Add(x, y)) || !eq(NewElement().Set(y).Add(x, NewElement().Set(y)), NewElement().Add(x, y)) {
			return false
		}
		p.Set(x)
		if p.Subtract(p, p).IsIdentity() != 1 {
			return false
		}
		p.Set(x)
		if !eq(p.Subtract(y, p), NewElement().Subtract(y, x)) {
			return false
		}
		p.Set(x)
		if !eq(p.Negate(p), NewElement().Negate(x)) || !eq(NewElement().Add(p, x), NewElement()) {
			return false
		}
		p.Set(x)
		if !eq(p.ScalarMult(u, p), NewElement().ScalarMult(u, x)) {
			return false
		}
		// (s·u)·G = u·(s·G) = s·(u·G)
		su := NewScalar().Multiply(s, u)
		if !eq(NewElement().ScalarBaseMult(su), NewElement().ScalarMult(u, x)) {
			return false
		}
		// a·A + b·G, with the receiver aliasing A.
		p.Set(x)
		want := NewElement().Add(NewElement().ScalarMult(u, x), NewElement().ScalarBaseMult(s))
		if !eq(p.VarTimeDoubleScalarBaseMult(u, p, s), want) {
			return false
		}
		p.Set(x)
		if !eq(p.VarTimeMultiScalarMult([]*Scalar{u, s}, []*Element{p, NewGeneratorElement()}), want) {
			return false
		}
		// Round trip through the encoding.
		d, err := NewElement().SetCanonicalBytes(x.Bytes())
		return err == nil && eq(d, x) && bytes.Equal(d.Bytes(), x.Bytes())
	}
	if err := quick.Check(f, quickConfig(100)); err != nil {
		t.Error(err)
	}
}

func TestElementSetCanonicalBytesUnchanged(t *testing.T) {
	g := NewGeneratorElement()
	bad := [][]byte{nil, make([]byte, 31), make([]byte, 33), bytes.Repeat([]byte{0xff}, 32)}
	bad = append(bad, invalidElementVectors(t)...)
	// Every valid encoding with its top bit set.
	for i := range 16 {
		b := vG(uint64(i)).Bytes()
		b[31] |= 0x80
		bad = append(bad, b)
	}
	for _, b := range bad {
		e := NewGeneratorElement()
		if r, err := e.SetCanonicalBytes(b); err == nil || r != nil || !errors.Is(err, ErrInvalidEncoding) {
			t.Errorf("SetCanonicalBytes(%x) = %v, %v, want nil, ErrInvalidEncoding", b, r, err)
		}
		if e.Equal(g) != 1 {
			t.Errorf("failed SetCanonicalBytes(%x) changed the receiver", b)
		}
	}
	for _, n := range []int{0, 32, 63, 65} {
		e := NewGeneratorElement()
		if _, err := e.SetUniformBytes(make([]byte, n)); !errors.Is(err, ErrInvalidEncoding) || e.Equal(g) != 1 {
			t.Errorf("SetUniformBytes(%d bytes) error = %v, want ErrInvalidEncoding, receiver unchanged", n, err)
		}
	}
}

func TestElementIdentity(t *testing.T) {
	id := NewElement()
	zero := make([]byte, 32)
	if id.IsIdentity() != 1 || !bytes.Equal(id.Bytes(), zero) {
		t.Errorf("NewElement() = %x, want the identity", id.Bytes())
	}
	d, err := NewElement().SetCanonicalBytes(zero)
	if err != nil || d.IsIdentity() != 1 {
		t.Errorf("SetCanonicalBytes(0) = %v, %v", d, err)
	}
	g := NewGeneratorElement()
	if g.IsIdentity() != 0 || NewElement().Subtract(g, g).IsIdentity() != 1 {
		t.Error("G or G − G has the wrong IsIdentity")
	}
	if !bytes.Equal(NewElement().Add(g, id).Bytes(), g.Bytes()) {
		t.Error("G + 0 ≠ G")
	}
	// ℓ·G = (ℓ−1)·G + G = 0.
	lm1 := NewScalar().SetInt64(-1)
	if NewElement().ScalarBaseMult(lm1).Add(NewElement().ScalarBaseMult(lm1), g).Add(NewElement().ScalarBaseMult(lm1), g).IsIdentity() != 1 {
		t.Error("ℓ·G ≠ 0")
	}
	if NewElement().ScalarBaseMult(NewScalar()).IsIdentity() != 1 || NewElement().ScalarMult(NewScalar(), g).IsIdentity() != 1 {
		t.Error("0·G ≠ 0")
	}
	if NewElement().ScalarMult(RandomScalar(), id).IsIdentity() != 1 {
		t.Error("r·0 ≠ 0")
	}
	if NewElement().VarTimeMultiScalarMult(nil, nil).IsIdentity() != 1 {
		t.Error("empty VarTimeMultiScalarMult ≠ 0")
	}
}

// TestElementEncodingAccumulated decodes and re-encodes a chain of elements
// and hashes the encodings, so that any change of the encoding or of the
// one-way map shows up. The expected prefixes were produced by this code
// after it passed the RFC 9496 vectors; they guard against regressions.
func TestElementEncodingAccumulated(t *testing.T) {
	n, want := 1000, "ff50b6f735f1c6fb7256520a022b0c50"
	if testing.Short() {
		n, want = 100, "28f12d71e4cfaf06379d822eae0c1a14"
	}
	h := sha512.New()
	e := NewGeneratorElement()
	for i := 0; i < n; i++ {
		b := e.Bytes()
		d, err := NewElement().SetCanonicalBytes(b)
		if err != nil || !bytes.Equal(d.Bytes(), b) {
			t.Fatalf("round trip of %x: %v", b, err)
		}
		h.Write(b)
		// Next: map the running hash, add to e.
		u, _ := NewElement().SetUniformBytes(h.Sum(nil))
		e.Add(e, u)
	}
	if got := hex.EncodeToString(h.Sum(nil)[:16]); got != want {
		t.Errorf("accumulated hash (n=%d) = %s, want %s", n, got, want)
	}
}
