// Package edwards implements the edwards25519 point arithmetic that
// package crypto needs and filippo.io/edwards25519 does not export:
// multiplication by a secret scalar with a precomputed table for any base
// point (Table, FixedBaseMult), and multi-scalar multiplication of public
// inputs by the bucket method of Pippenger (VarTimeMultiScalarMult).
//
// Points are edwards25519.Point values; the representations of
// https://eprint.iacr.org/2008/522 are rebuilt here on the public field
// package of filippo.io/edwards25519 (whose own are unexported), with the
// formulas of filippo.io/edwards25519/edwards25519.go. Package crypto gives
// the points their ristretto255 meaning (docs/spec/crypto-group.md); this
// package knows nothing of it.
//
// As in package crypto, arithmetic on secrets is constant time and
// functions whose names start with VarTime are not.
package edwards

import (
	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// geP3 is a point in extended coordinates: x = X/Z, y = Y/Z, xy = T/Z.
type geP3 struct{ X, Y, Z, T field.Element }

// geP2 is a point in projective coordinates: x = X/Z, y = Y/Z.
type geP2 struct{ X, Y, Z field.Element }

// geP1P1 is a completed point: x = X/Z, y = Y/T.
type geP1P1 struct{ X, Y, Z, T field.Element }

// geCached is a point prepared for addition: (Y+X, Y−X, Z, 2d·T).
type geCached struct{ YplusX, YminusX, Z, T2d field.Element }

// geNiels is an affine point prepared for addition: (y+x, y−x, 2d·xy).
type geNiels struct{ YplusX, YminusX, T2d field.Element }

// d2 is 2·d, with d = −121665/121666 the curve constant of edwards25519
// (RFC 8032, section 5.1), computed rather than written out.
var d2 = func() *field.Element {
	var num, den field.Element
	if _, err := num.SetBytes(littleEndian32(121665)); err != nil {
		panic(err)
	}
	if _, err := den.SetBytes(littleEndian32(121666)); err != nil {
		panic(err)
	}
	d := new(field.Element).Multiply(num.Negate(&num), den.Invert(&den))
	return d.Add(d, d)
}()

// littleEndian32 returns the 32-byte little-endian encoding of v.
func littleEndian32(v uint32) []byte {
	b := make([]byte, 32)
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	return b
}

func (v *geP3) identity() *geP3 {
	v.X.Zero()
	v.Y.One()
	v.Z.One()
	v.T.Zero()
	return v
}

func (v *geP3) fromPoint(p *edwards25519.Point) *geP3 {
	X, Y, Z, T := p.ExtendedCoordinates()
	v.X, v.Y, v.Z, v.T = *X, *Y, *Z, *T
	return v
}

// toPoint sets p to v. The coordinates come from valid curve arithmetic, so
// the on-curve check of SetExtendedCoordinates cannot fail.
func (v *geP3) toPoint(p *edwards25519.Point) *edwards25519.Point {
	if _, err := p.SetExtendedCoordinates(&v.X, &v.Y, &v.Z, &v.T); err != nil {
		panic("edwards: internal error: invalid point: " + err.Error())
	}
	return p
}

func (v *geP3) fromP1P1(p *geP1P1) *geP3 {
	v.X.Multiply(&p.X, &p.T)
	v.Y.Multiply(&p.Y, &p.Z)
	v.Z.Multiply(&p.Z, &p.T)
	v.T.Multiply(&p.X, &p.Y)
	return v
}

func (v *geP2) fromP1P1(p *geP1P1) *geP2 {
	v.X.Multiply(&p.X, &p.T)
	v.Y.Multiply(&p.Y, &p.Z)
	v.Z.Multiply(&p.Z, &p.T)
	return v
}

func (v *geP2) fromP3(p *geP3) *geP2 {
	v.X = p.X
	v.Y = p.Y
	v.Z = p.Z
	return v
}

func (v *geCached) fromP3(p *geP3) *geCached {
	v.YplusX.Add(&p.Y, &p.X)
	v.YminusX.Subtract(&p.Y, &p.X)
	v.Z = p.Z
	v.T2d.Multiply(&p.T, d2)
	return v
}

func (v *geNiels) identity() *geNiels {
	v.YplusX.One()
	v.YminusX.One()
	v.T2d.Zero()
	return v
}

// select sets v = a if cond == 1 and v = b if cond == 0, in constant time.
func (v *geNiels) selectNiels(a, b *geNiels, cond int) {
	v.YplusX.Select(&a.YplusX, &b.YplusX, cond)
	v.YminusX.Select(&a.YminusX, &b.YminusX, cond)
	v.T2d.Select(&a.T2d, &b.T2d, cond)
}

// condNeg negates v if cond == 1, in constant time.
func (v *geNiels) condNeg(cond int) {
	var neg field.Element
	v.YplusX.Swap(&v.YminusX, cond)
	v.T2d.Select(neg.Negate(&v.T2d), &v.T2d, cond)
}

func (v *geP1P1) add(p *geP3, q *geCached) *geP1P1 {
	var YplusX, YminusX, PP, MM, TT2d, ZZ2 field.Element
	YplusX.Add(&p.Y, &p.X)
	YminusX.Subtract(&p.Y, &p.X)
	PP.Multiply(&YplusX, &q.YplusX)
	MM.Multiply(&YminusX, &q.YminusX)
	TT2d.Multiply(&p.T, &q.T2d)
	ZZ2.Multiply(&p.Z, &q.Z)
	ZZ2.Add(&ZZ2, &ZZ2)
	v.X.Subtract(&PP, &MM)
	v.Y.Add(&PP, &MM)
	v.Z.Add(&ZZ2, &TT2d)
	v.T.Subtract(&ZZ2, &TT2d)
	return v
}

func (v *geP1P1) addNiels(p *geP3, q *geNiels) *geP1P1 {
	var YplusX, YminusX, PP, MM, TT2d, Z2 field.Element
	YplusX.Add(&p.Y, &p.X)
	YminusX.Subtract(&p.Y, &p.X)
	PP.Multiply(&YplusX, &q.YplusX)
	MM.Multiply(&YminusX, &q.YminusX)
	TT2d.Multiply(&p.T, &q.T2d)
	Z2.Add(&p.Z, &p.Z)
	v.X.Subtract(&PP, &MM)
	v.Y.Add(&PP, &MM)
	v.Z.Add(&Z2, &TT2d)
	v.T.Subtract(&Z2, &TT2d)
	return v
}

func (v *geP1P1) subNiels(p *geP3, q *geNiels) *geP1P1 {
	var YplusX, YminusX, PP, MM, TT2d, Z2 field.Element
	YplusX.Add(&p.Y, &p.X)
	YminusX.Subtract(&p.Y, &p.X)
	PP.Multiply(&YplusX, &q.YminusX)
	MM.Multiply(&YminusX, &q.YplusX)
	TT2d.Multiply(&p.T, &q.T2d)
	Z2.Add(&p.Z, &p.Z)
	v.X.Subtract(&PP, &MM)
	v.Y.Add(&PP, &MM)
	v.Z.Subtract(&Z2, &TT2d)
	v.T.Add(&Z2, &TT2d)
	return v
}

func (v *geP1P1) double(p *geP2) *geP1P1 {
	var XX, YY, ZZ2, XplusYsq field.Element
	XX.Square(&p.X)
	YY.Square(&p.Y)
	ZZ2.Square(&p.Z)
	ZZ2.Add(&ZZ2, &ZZ2)
	XplusYsq.Add(&p.X, &p.Y)
	XplusYsq.Square(&XplusYsq)
	v.Y.Add(&YY, &XX)
	v.Z.Subtract(&YY, &XX)
	v.X.Subtract(&XplusYsq, &v.Y)
	v.T.Subtract(&ZZ2, &v.Z)
	return v
}

// addP3 sets v = p + q.
func (v *geP3) addP3(p, q *geP3) *geP3 {
	var qc geCached
	var r geP1P1
	return v.fromP1P1(r.add(p, qc.fromP3(q)))
}

// doubleN sets v = 2^n·p, n ≥ 1.
func (v *geP3) doubleN(p *geP3, n int) *geP3 {
	var p2 geP2
	var r geP1P1
	p2.fromP3(p)
	for i := 0; i < n-1; i++ {
		p2.fromP1P1(r.double(&p2))
	}
	return v.fromP1P1(r.double(&p2))
}

// geBatchToNiels sets out[i] to the affine form of in[i], with one field
// inversion for all (Montgomery's trick). It runs in variable time in the
// number of points only.
func geBatchToNiels(out []geNiels, in []geP3) {
	geBatchToNielsScratch(out, in, make([]field.Element, len(in)))
}

// geBatchToNielsScratch is geBatchToNiels with a scratch buffer of
// len(in) elements, whose contents are overwritten.
func geBatchToNielsScratch(out []geNiels, in []geP3, acc []field.Element) {
	if len(in) == 0 {
		return
	}
	var prod field.Element
	prod.One()
	for i := range in {
		acc[i] = prod
		prod.Multiply(&prod, &in[i].Z)
	}
	var inv, zi, x, y field.Element
	inv.Invert(&prod)
	for i := len(in) - 1; i >= 0; i-- {
		zi.Multiply(&inv, &acc[i]) // 1/Z_i
		inv.Multiply(&inv, &in[i].Z)
		x.Multiply(&in[i].X, &zi)
		y.Multiply(&in[i].Y, &zi)
		out[i].YplusX.Add(&y, &x)
		out[i].YminusX.Subtract(&y, &x)
		out[i].T2d.Multiply(&x, &y)
		out[i].T2d.Multiply(&out[i].T2d, d2)
	}
}
