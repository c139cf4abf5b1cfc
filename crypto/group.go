// Package crypto implements the cryptography of evote: the ristretto255
// prime-order group (RFC 9496), exponential ElGamal, Fiat–Shamir transcripts,
// zero-knowledge proofs, threshold key sharing and small discrete logarithms.
//
// It knows nothing about elections and does no I/O. Secret-dependent
// arithmetic is constant time; functions whose names start with VarTime are
// not, and take only public inputs. Every encoding is canonical: parsers
// reject all but the one encoding that Bytes produces.
//
// The group is built on filippo.io/edwards25519, following RFC 9496
// section 4: an Element is an Edwards point standing for its coset of the
// 4-torsion subgroup, and two Elements are equal when their cosets are.
package crypto

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// ElementSize and ScalarSize are the lengths of canonical encodings.
const (
	ElementSize = 32
	ScalarSize  = 32
	// UniformSize is the input length of the hash-to-element and
	// hash-to-scalar maps.
	UniformSize = 64
)

// ErrInvalidEncoding is returned, wrapped, for a byte string that is not the
// canonical encoding of an element or scalar.
var ErrInvalidEncoding = errors.New("invalid encoding")

// Scalar is an integer modulo the prime group order
// ℓ = 2^252 + 27742317777372353535851937790883648493.
// The zero value is the scalar 0. Methods set and return the receiver and
// allow aliasing of arguments, like math/big.
type Scalar struct {
	s edwards25519.Scalar
}

// NewScalar returns a new zero Scalar.
func NewScalar() *Scalar { return &Scalar{} }

// RandomScalar returns a uniformly random scalar drawn from crypto/rand.
func RandomScalar() *Scalar {
	var b [UniformSize]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto: crypto/rand failed: " + err.Error())
	}
	s := new(Scalar)
	if _, err := s.s.SetUniformBytes(b[:]); err != nil {
		panic("crypto: internal error: " + err.Error())
	}
	return s
}

// Set sets s = x and returns s.
func (s *Scalar) Set(x *Scalar) *Scalar { s.s.Set(&x.s); return s }

// SetUint64 sets s = v and returns s.
func (s *Scalar) SetUint64(v uint64) *Scalar {
	var b [ScalarSize]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(v >> (8 * i))
	}
	if _, err := s.s.SetCanonicalBytes(b[:]); err != nil {
		panic("crypto: internal error: " + err.Error())
	}
	return s
}

// SetInt64 sets s = v mod ℓ and returns s.
func (s *Scalar) SetInt64(v int64) *Scalar {
	if v >= 0 {
		return s.SetUint64(uint64(v))
	}
	s.SetUint64(uint64(-(v + 1)) + 1)
	return s.Negate(s)
}

// SetCanonicalBytes sets s to the little-endian integer b, which must be 32
// bytes and less than ℓ. On error the receiver is unchanged.
func (s *Scalar) SetCanonicalBytes(b []byte) (*Scalar, error) {
	if _, err := s.s.SetCanonicalBytes(b); err != nil {
		return nil, fmt.Errorf("%w: non-canonical scalar", ErrInvalidEncoding)
	}
	return s, nil
}

// SetUniformBytes sets s to the 64-byte little-endian integer b reduced
// modulo ℓ, the map from uniform bytes to a uniform scalar.
func (s *Scalar) SetUniformBytes(b []byte) (*Scalar, error) {
	if len(b) != UniformSize {
		return nil, fmt.Errorf("%w: uniform input must be 64 bytes", ErrInvalidEncoding)
	}
	if _, err := s.s.SetUniformBytes(b); err != nil {
		return nil, err
	}
	return s, nil
}

// Bytes returns the 32-byte canonical little-endian encoding of s.
func (s *Scalar) Bytes() []byte { return s.s.Bytes() }

// Add sets s = x + y and returns s.
func (s *Scalar) Add(x, y *Scalar) *Scalar { s.s.Add(&x.s, &y.s); return s }

// Subtract sets s = x - y and returns s.
func (s *Scalar) Subtract(x, y *Scalar) *Scalar { s.s.Subtract(&x.s, &y.s); return s }

// Multiply sets s = x * y and returns s.
func (s *Scalar) Multiply(x, y *Scalar) *Scalar { s.s.Multiply(&x.s, &y.s); return s }

// MultiplyAdd sets s = x * y + z and returns s.
func (s *Scalar) MultiplyAdd(x, y, z *Scalar) *Scalar {
	s.s.MultiplyAdd(&x.s, &y.s, &z.s)
	return s
}

// Negate sets s = -x and returns s.
func (s *Scalar) Negate(x *Scalar) *Scalar { s.s.Negate(&x.s); return s }

// Invert sets s = 1/x and returns s. If x is zero, s is set to zero.
func (s *Scalar) Invert(x *Scalar) *Scalar { s.s.Invert(&x.s); return s }

// Equal returns 1 if s and x are equal, and 0 otherwise, in constant time.
func (s *Scalar) Equal(x *Scalar) int { return s.s.Equal(&x.s) }

// IsZero returns 1 if s is zero, and 0 otherwise, in constant time.
func (s *Scalar) IsZero() int { return s.s.Equal(edwards25519.NewScalar()) }

// Element is an element of the ristretto255 group. The zero value is NOT
// valid; use NewElement, NewGeneratorElement or a setter. Methods set and
// return the receiver and allow aliasing of arguments.
type Element struct {
	p edwards25519.Point
}

// NewElement returns a new Element set to the identity.
func NewElement() *Element {
	e := new(Element)
	e.p.Set(edwards25519.NewIdentityPoint())
	return e
}

// NewGeneratorElement returns a new Element set to the canonical generator G.
func NewGeneratorElement() *Element {
	e := new(Element)
	e.p.Set(edwards25519.NewGeneratorPoint())
	return e
}

// Set sets e = x and returns e.
func (e *Element) Set(x *Element) *Element { e.p.Set(&x.p); return e }

// Add sets e = x + y and returns e.
func (e *Element) Add(x, y *Element) *Element { e.p.Add(&x.p, &y.p); return e }

// Subtract sets e = x - y and returns e.
func (e *Element) Subtract(x, y *Element) *Element { e.p.Subtract(&x.p, &y.p); return e }

// Negate sets e = -x and returns e.
func (e *Element) Negate(x *Element) *Element { e.p.Negate(&x.p); return e }

// ScalarBaseMult sets e = s·G, using a precomputed table, and returns e.
// It is constant time in s.
func (e *Element) ScalarBaseMult(s *Scalar) *Element { e.p.ScalarBaseMult(&s.s); return e }

// ScalarMult sets e = s·x and returns e. It is constant time in s.
func (e *Element) ScalarMult(s *Scalar, x *Element) *Element {
	e.p.ScalarMult(&s.s, &x.p)
	return e
}

// VarTimeDoubleScalarBaseMult sets e = a·A + b·G and returns e.
// It runs in variable time: use only with public inputs.
func (e *Element) VarTimeDoubleScalarBaseMult(a *Scalar, A *Element, b *Scalar) *Element {
	e.p.VarTimeDoubleScalarBaseMult(&a.s, &A.p, &b.s)
	return e
}

// VarTimeMultiScalarMult sets e = Σ scalars[i]·points[i] with the Straus
// method and returns e. It runs in variable time: use only with public
// inputs. It panics if the slices differ in length.
func (e *Element) VarTimeMultiScalarMult(scalars []*Scalar, points []*Element) *Element {
	if len(scalars) != len(points) {
		panic("crypto: VarTimeMultiScalarMult called with mismatched lengths")
	}
	ss := make([]*edwards25519.Scalar, len(scalars))
	ps := make([]*edwards25519.Point, len(points))
	for i := range scalars {
		ss[i] = &scalars[i].s
		ps[i] = &points[i].p
	}
	e.p.VarTimeMultiScalarMult(ss, ps)
	return e
}

// Equal returns 1 if e and x are the same group element, and 0 otherwise,
// in constant time (RFC 9496, section 4.3.3).
func (e *Element) Equal(x *Element) int {
	X1, Y1, _, _ := e.p.ExtendedCoordinates()
	X2, Y2, _, _ := x.p.ExtendedCoordinates()
	var f1, f2 field.Element
	f1.Multiply(X1, Y2)
	f2.Multiply(Y1, X2)
	out := f1.Equal(&f2)
	f1.Multiply(Y1, Y2)
	f2.Multiply(X1, X2)
	return out | f1.Equal(&f2)
}

// IsIdentity returns 1 if e is the identity element, and 0 otherwise.
func (e *Element) IsIdentity() int {
	return e.Equal(NewElement())
}

var (
	feOne  = new(field.Element).One()
	feD    = mustFe("a3785913ca4deb75abd841414d0a700098e879777940c78c73fe6f2bee6c0352")
	feSqrt = mustFe("b0a00e4a271beec478e42fad0618432fa7d7fb3d99004d2b0bdfc14f8024832b")
	// feSqrtADMinusOne is sqrt(a·d - 1) with a = -1.
	feSqrtADMinusOne = mustFe("1b2e7b49a0f6977ebd54781b0c8e9daffdd1f531c9fc3c0fac48832bbf316937")
	// feInvSqrtAMinusD is 1/sqrt(a - d).
	feInvSqrtAMinusD = mustFe("ea405d80aafdc899be72415a17162f9d40d801fe917bc216a2fcafcf05896c78")
	feOneMinusDSQ    = mustFe("76c15f94c1097ce20f355ecd38a1812ce4df70beddab9499d7e0b3b2a8729002")
	feDMinusOneSQ    = mustFe("204ded44aa5aad3199191eb02c4a9ed2eb4e9b522fd3dc4c41226cf67ab36859")
)

func mustFe(h string) *field.Element {
	b, err := hex.DecodeString(h)
	if err != nil {
		panic(err)
	}
	fe, err := new(field.Element).SetBytes(b)
	if err != nil {
		panic(err)
	}
	return fe
}

var feZeroBytes [32]byte

// feCanonicalNonNegative returns 1 if the 32 bytes b are the canonical
// encoding of a non-negative field element (little-endian, less than
// p = 2^255 − 19, even), and 0 otherwise, in constant time. It is the
// first check of RFC 9496, section 4.3.1, without the field reduction
// and encoding that comparing with field.Element.Bytes would cost.
func feCanonicalNonNegative(b []byte) int {
	_ = b[31]
	// b ≥ p if and only if b = 0x7f ff … ff xx with xx ≥ 0xed.
	allFF := 1
	for _, c := range b[1:31] {
		allFF &= subtle.ConstantTimeByteEq(c, 0xff)
	}
	geP := allFF & subtle.ConstantTimeByteEq(b[31], 0x7f) & subtle.ConstantTimeLessOrEq(0xed, int(b[0]))
	return int(1^b[0]&1) & int(1^b[31]>>7) & (1 ^ geP)
}

// SetCanonicalBytes sets e to the element encoded by b, following RFC 9496
// section 4.3.1. It rejects every string that is not 32 bytes, not a
// canonical field element, negative, or not the encoding of a group element.
// On error the receiver is unchanged.
func (e *Element) SetCanonicalBytes(b []byte) (*Element, error) {
	if len(b) != ElementSize {
		return nil, fmt.Errorf("%w: element must be 32 bytes", ErrInvalidEncoding)
	}
	// Reject non-canonical field encodings (SetBytes ignores the top bit
	// and reduces values ≥ p) and negative s.
	if feCanonicalNonNegative(b) != 1 {
		return nil, fmt.Errorf("%w: non-canonical element", ErrInvalidEncoding)
	}
	s := new(field.Element)
	if _, err := s.SetBytes(b); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidEncoding, err)
	}

	ss := new(field.Element).Square(s)
	u1 := new(field.Element).Subtract(feOne, ss)
	u2 := new(field.Element).Add(feOne, ss)
	u2sq := new(field.Element).Square(u2)

	// v = -(d·u1²) - u2²
	v := new(field.Element).Square(u1)
	v.Multiply(v, feD)
	v.Negate(v)
	v.Subtract(v, u2sq)

	invSqrt, wasSquare := new(field.Element).SqrtRatio(feOne, new(field.Element).Multiply(v, u2sq))

	denX := new(field.Element).Multiply(invSqrt, u2)
	denY := new(field.Element).Multiply(invSqrt, denX)
	denY.Multiply(denY, v)

	x := new(field.Element).Multiply(s, denX)
	x.Add(x, x)
	x.Absolute(x)
	y := new(field.Element).Multiply(u1, denY)
	t := new(field.Element).Multiply(x, y)

	if wasSquare == 0 || t.IsNegative() == 1 || subtle.ConstantTimeCompare(y.Bytes(), feZeroBytes[:]) == 1 {
		return nil, fmt.Errorf("%w: not a ristretto255 element", ErrInvalidEncoding)
	}
	if _, err := e.p.SetExtendedCoordinates(x, y, new(field.Element).One(), t); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidEncoding, err)
	}
	return e, nil
}

// Bytes returns the 32-byte canonical encoding of e (RFC 9496, 4.3.2).
func (e *Element) Bytes() []byte {
	var out [ElementSize]byte
	return e.appendBytes(out[:0])
}

func (e *Element) appendBytes(out []byte) []byte {
	X0, Y0, Z0, T0 := e.p.ExtendedCoordinates()

	u1 := new(field.Element).Add(Z0, Y0)
	u1.Multiply(u1, new(field.Element).Subtract(Z0, Y0))
	u2 := new(field.Element).Multiply(X0, Y0)

	u2sq := new(field.Element).Square(u2)
	invSqrt, _ := new(field.Element).SqrtRatio(feOne, new(field.Element).Multiply(u1, u2sq))
	den1 := new(field.Element).Multiply(invSqrt, u1)
	den2 := new(field.Element).Multiply(invSqrt, u2)
	zInv := new(field.Element).Multiply(den1, den2)
	zInv.Multiply(zInv, T0)

	ix0 := new(field.Element).Multiply(X0, feSqrt)
	iy0 := new(field.Element).Multiply(Y0, feSqrt)
	enchantedDenominator := new(field.Element).Multiply(den1, feInvSqrtAMinusD)

	rotate := new(field.Element).Multiply(T0, zInv).IsNegative()

	x := new(field.Element).Select(iy0, X0, rotate)
	y := new(field.Element).Select(ix0, Y0, rotate)
	z := new(field.Element).Set(Z0)
	denInv := new(field.Element).Select(enchantedDenominator, den2, rotate)

	isNegX := new(field.Element).Multiply(x, zInv).IsNegative()
	y.Select(new(field.Element).Negate(y), y, isNegX)

	s := new(field.Element).Subtract(z, y)
	s.Multiply(s, denInv)
	s.Absolute(s)
	return append(out, s.Bytes()...)
}

// SetUniformBytes sets e to the element derived from 64 uniformly random
// bytes by the one-way map of RFC 9496, section 4.3.4. The result is
// uniform and nobody knows its discrete logarithm.
func (e *Element) SetUniformBytes(b []byte) (*Element, error) {
	if len(b) != UniformSize {
		return nil, fmt.Errorf("%w: uniform input must be 64 bytes", ErrInvalidEncoding)
	}
	var r0, r1 field.Element
	// SetBytes masks the top bit, as the map requires; it errs only on length.
	if _, err := r0.SetBytes(b[:32]); err != nil {
		return nil, err
	}
	if _, err := r1.SetBytes(b[32:]); err != nil {
		return nil, err
	}
	var p1, p2 edwards25519.Point
	elligator(&p1, &r0)
	elligator(&p2, &r1)
	e.p.Add(&p1, &p2)
	return e, nil
}

// elligator is MAP from RFC 9496, section 4.3.4.
func elligator(p *edwards25519.Point, t *field.Element) {
	one := feOne
	r := new(field.Element).Square(t)
	r.Multiply(r, feSqrt)

	u := new(field.Element).Add(r, one)
	u.Multiply(u, feOneMinusDSQ)

	// v = (-1 - r·d) · (r + d)
	rd := new(field.Element).Multiply(r, feD)
	v := new(field.Element).Negate(one)
	v.Subtract(v, rd)
	v.Multiply(v, new(field.Element).Add(r, feD))

	s, wasSquare := new(field.Element).SqrtRatio(u, v)
	sPrime := new(field.Element).Multiply(s, t)
	sPrime.Absolute(sPrime)
	sPrime.Negate(sPrime)
	s.Select(s, sPrime, wasSquare)
	minusOne := new(field.Element).Negate(one)
	c := new(field.Element).Select(minusOne, r, wasSquare)

	// N = c·(r - 1)·(d - 1)² - v
	N := new(field.Element).Subtract(r, one)
	N.Multiply(N, c)
	N.Multiply(N, feDMinusOneSQ)
	N.Subtract(N, v)

	ss := new(field.Element).Square(s)
	w0 := new(field.Element).Multiply(s, v)
	w0.Add(w0, w0)
	w1 := new(field.Element).Multiply(N, feSqrtADMinusOne)
	w2 := new(field.Element).Subtract(one, ss)
	w3 := new(field.Element).Add(one, ss)

	X := new(field.Element).Multiply(w0, w3)
	Y := new(field.Element).Multiply(w2, w1)
	Z := new(field.Element).Multiply(w1, w3)
	T := new(field.Element).Multiply(w0, w2)
	if _, err := p.SetExtendedCoordinates(X, Y, Z, T); err != nil {
		panic("crypto: internal error: elligator produced an invalid point: " + err.Error())
	}
}
