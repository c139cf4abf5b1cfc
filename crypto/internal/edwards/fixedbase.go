package edwards

import (
	"crypto/subtle"

	"filippo.io/edwards25519"
)

// Table holds precomputed multiples of one point P so that multiplying P
// by a secret scalar (FixedBaseMult) costs about as much as
// edwards25519.Point.ScalarBaseMult.
//
// The method is that of ScalarBaseMult (the Ed25519 paper, section 4): a
// scalar is written in signed radix 16, s = Σ d_i·16^i with d_i ∈ [−8, 8],
// and the table holds, for i = 0..31, the affine multiples 1..8 of 256^i·P
// (32·8 points, 30 KB). A multiplication is then 64 mixed additions of
// table entries, found by constant-time scans, and 4 doublings.
// A Table is safe for concurrent use.
type Table struct {
	table [32][8]geNiels
}

// NewTable precomputes the table of p.
func NewTable(p *edwards25519.Point) *Table {
	t := new(Table)
	pts := make([]geP3, 32*8)
	var q geP3
	q.fromPoint(p)
	for i := 0; i < 32; i++ {
		pts[8*i] = q
		for j := 1; j < 8; j++ {
			pts[8*i+j].addP3(&pts[8*i+j-1], &q)
		}
		q.doubleN(&q, 8)
	}
	flat := make([]geNiels, 32*8)
	geBatchToNiels(flat, pts)
	for i := 0; i < 32; i++ {
		copy(t.table[i][:], flat[8*i:8*i+8])
	}
	return t
}

// selectInto sets dest = x·256^i·P for −8 ≤ x ≤ 8, in constant time.
func (t *Table) selectInto(dest *geNiels, i int, x int8) {
	selectSigned(dest, &t.table[i], x)
}

// selectSigned sets dest = x·Q for −8 ≤ x ≤ 8, given row = (1·Q, …, 8·Q),
// scanning the whole row in constant time.
func selectSigned(dest *geNiels, row *[8]geNiels, x int8) {
	xmask := x >> 7
	xabs := uint8((x + xmask) ^ xmask)
	dest.identity()
	for j := 1; j <= 8; j++ {
		cond := subtle.ConstantTimeByteEq(xabs, uint8(j))
		dest.selectNiels(&row[j-1], dest, cond)
	}
	dest.condNeg(int(xmask & 1))
}

// signedRadix16 returns the digits d_i ∈ [−8, 8] with s = Σ d_i·16^i.
func signedRadix16(s *edwards25519.Scalar) [64]int8 {
	buf := s.Bytes()
	var digits [64]int8
	for i := 0; i < 32; i++ {
		digits[2*i] = int8(buf[i] & 15)
		digits[2*i+1] = int8((buf[i] >> 4) & 15)
	}
	for i := 0; i < 63; i++ {
		carry := (digits[i] + 8) >> 4
		digits[i] -= carry << 4
		digits[i+1] += carry
	}
	return digits
}

// FixedBaseMult sets v = s·P for the point P of table t and returns v.
// It is constant time in s.
func FixedBaseMult(v *edwards25519.Point, s *edwards25519.Scalar, t *Table) *edwards25519.Point {
	digits := signedRadix16(s)
	var e geP3
	var m geNiels
	var r geP1P1
	var p2 geP2
	e.identity()
	for i := 1; i < 64; i += 2 {
		t.selectInto(&m, i/2, digits[i])
		e.fromP1P1(r.addNiels(&e, &m))
	}
	p2.fromP3(&e)
	p2.fromP1P1(r.double(&p2))
	p2.fromP1P1(r.double(&p2))
	p2.fromP1P1(r.double(&p2))
	e.fromP1P1(r.double(&p2))
	for i := 0; i < 64; i += 2 {
		t.selectInto(&m, i/2, digits[i])
		e.fromP1P1(r.addNiels(&e, &m))
	}
	return e.toPoint(v)
}
