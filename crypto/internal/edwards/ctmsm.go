package edwards

import "filippo.io/edwards25519"

// MultiScalarMult sets v = Σ scalars[i]·points[i] and returns v. It is
// constant time in the scalars, for sums of secret nonces times public
// points (the commitments of the proof of shuffle, docs/spec/crypto-proofs.md
// section 9.7); its cost depends only on the number of points.
//
// The method is Straus's: each point gets a row of its affine multiples
// 1..8 (one field inversion for all rows, Montgomery's trick), each scalar
// is written in signed radix 16 (digits in [−8, 8]), and from the top digit
// down the running sum is multiplied by 16 (4 doublings shared by all
// points) and each point's row is scanned in constant time for its digit,
// which is added. A point costs 7 additions for its row and 64 mixed
// additions, against some 250 doublings and 64 additions for
// edwards25519.Point.ScalarMult. It panics if the slices differ in length.
func MultiScalarMult(v *edwards25519.Point, scalars []*edwards25519.Scalar, points []*edwards25519.Point) *edwards25519.Point {
	if len(scalars) != len(points) {
		panic("edwards: MultiScalarMult called with mismatched lengths")
	}
	n := len(points)
	pts := make([]geP3, 8*n)
	for i, p := range points {
		pts[8*i].fromPoint(p)
		for j := 1; j < 8; j++ {
			pts[8*i+j].addP3(&pts[8*i+j-1], &pts[8*i])
		}
	}
	rows := make([][8]geNiels, n)
	flat := make([]geNiels, 8*n)
	geBatchToNiels(flat, pts)
	for i := range rows {
		copy(rows[i][:], flat[8*i:8*i+8])
	}
	digits := make([][64]int8, n)
	for i, s := range scalars {
		digits[i] = signedRadix16(s)
	}
	var e geP3
	var m geNiels
	var r geP1P1
	e.identity()
	for d := 63; d >= 0; d-- {
		if d < 63 {
			e.doubleN(&e, 4)
		}
		for i := range rows {
			selectSigned(&m, &rows[i], digits[i][d])
			e.fromP1P1(r.addNiels(&e, &m))
		}
	}
	clear(digits)
	return e.toPoint(v)
}
