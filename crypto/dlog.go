package crypto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// ErrDlogOutOfRange is returned when a discrete logarithm is not in the
// solver's range.
var ErrDlogOutOfRange = errors.New("discrete logarithm out of range")

// Baby-step table bounds. The table holds m+1 entries where m grows as
// 4·√(max+1), clamped to [dlogMinBaby, dlogMaxBaby]: about 40 000 entries
// (a few MB, tens of milliseconds to build) for max = 10^8, whose worst-case
// Solve then takes about 1 250 giant steps.
const (
	dlogMinBaby = 64
	dlogMaxBaby = 1 << 20
	// dlogChunk is the number of giant steps whose Z coordinates are
	// inverted together with Montgomery's trick.
	dlogChunk = 128
)

// DlogSolver finds v in [0, max] from v·G by baby-step giant-step.
// It is safe for concurrent use once built.
//
// The table is keyed by a coset invariant rather than by the RFC 9496
// encoding, which would cost one inverse square root per entry: for an
// Edwards representative (x, y) of an element, adding a 4-torsion point
// maps (x, y) to (−x, −y) or (±i·y, ±i·x), so |x·y| is the same for all four
// representatives, and the only other element with the same |x·y| is the
// negation. One key therefore stands for ±j·G, which halves the table, and
// the affine x·y = T/Z of many points costs one field inversion in all.
// Every candidate is confirmed by a full comparison with v·G before it is
// returned, so key collisions (of the invariant or of its 64-bit prefix)
// cost time, never correctness.
type DlogSolver struct {
	max uint64
	m   uint64 // baby steps cover j ∈ [0, m]; giant stride is 2m
	// baby maps the key of ±j·G to j. Keys shared by several j (a 64-bit
	// collision, never observed) keep the first in baby and all in dups.
	baby map[uint64]uint32
	dups map[uint64][]uint32
	// first is −m·G, stride is −2m·G.
	first, stride edwards25519.Point
}

// NewDlogSolver precomputes the baby steps for values up to max.
func NewDlogSolver(max uint64) *DlogSolver {
	m := uint64(math.Ceil(math.Sqrt(float64(max)+1))) * 4
	if m < dlogMinBaby {
		m = dlogMinBaby
	}
	if m > dlogMaxBaby {
		m = dlogMaxBaby
	}
	d := &DlogSolver{
		max:  max,
		m:    m,
		baby: make(map[uint64]uint32, m+1),
	}

	// Baby steps j·G, j = 0..m, keyed in batches.
	g := edwards25519.NewGeneratorPoint()
	pts := make([]edwards25519.Point, 0, dlogChunk)
	p := edwards25519.NewIdentityPoint()
	keys := make([]uint64, dlogChunk)
	var j0 uint64
	for j := uint64(0); j <= m; j++ {
		pts = append(pts, *p)
		p.Add(p, g)
		if len(pts) == dlogChunk || j == m {
			cosetKeys(keys, pts)
			for k := range pts {
				d.insert(keys[k], uint32(j0+uint64(k)))
			}
			j0 += uint64(len(pts))
			pts = pts[:0]
		}
	}

	var s edwards25519.Scalar
	d.first.ScalarBaseMult(scalarFromUint64(&s, m))
	d.first.Negate(&d.first)
	d.stride.ScalarBaseMult(scalarFromUint64(&s, 2*m))
	d.stride.Negate(&d.stride)
	return d
}

func (d *DlogSolver) insert(key uint64, j uint32) {
	if prev, ok := d.baby[key]; ok {
		if d.dups == nil {
			d.dups = make(map[uint64][]uint32)
		}
		if len(d.dups[key]) == 0 {
			d.dups[key] = append(d.dups[key], prev)
		}
		d.dups[key] = append(d.dups[key], j)
		return
	}
	d.baby[key] = j
}

// Max returns the largest value the solver finds.
func (d *DlogSolver) Max() uint64 { return d.max }

// Solve returns v with e = v·G, or an error wrapping ErrDlogOutOfRange.
// It runs in variable time: use only on public values.
func (d *DlogSolver) Solve(e *Element) (uint64, error) {
	// Giant step i looks at Q_i = e − (2m·i + m)·G, which is ±j·G with
	// j ≤ m when v ∈ [2m·i, 2m·i + 2m].
	giants := d.max/(2*d.m) + 1
	pts := make([]edwards25519.Point, 0, dlogChunk)
	keys := make([]uint64, dlogChunk)
	q := new(edwards25519.Point).Add(&e.p, &d.first)
	var i0 uint64
	for i := uint64(0); i < giants; i++ {
		pts = append(pts, *q)
		q.Add(q, &d.stride)
		if len(pts) < dlogChunk && i+1 < giants {
			continue
		}
		cosetKeys(keys, pts)
		for k := range pts {
			center := 2*d.m*(i0+uint64(k)) + d.m
			if j, ok := d.baby[keys[k]]; ok {
				if v, ok := d.confirm(e, center, j); ok {
					return v, nil
				}
				for _, j := range d.dups[keys[k]] {
					if v, ok := d.confirm(e, center, j); ok {
						return v, nil
					}
				}
			}
		}
		i0 += uint64(len(pts))
		pts = pts[:0]
	}
	return 0, fmt.Errorf("%w: not v·G for any v in [0, %d]", ErrDlogOutOfRange, d.max)
}

// confirm checks the two candidates center ± j against e.
func (d *DlogSolver) confirm(e *Element, center uint64, j uint32) (uint64, bool) {
	var s edwards25519.Scalar
	var p edwards25519.Point
	cands := [2]uint64{center + uint64(j), center - uint64(j)}
	for k, v := range cands {
		if v > d.max || (k == 1 && uint64(j) > center) {
			continue
		}
		p.ScalarBaseMult(scalarFromUint64(&s, v))
		if (&Element{p: p}).Equal(e) == 1 {
			return v, true
		}
	}
	return 0, false
}

// cosetKeys sets keys[k] to the first 8 bytes of |x·y| = |T/Z| for pts[k],
// inverting all the Z coordinates at once (Montgomery's trick).
func cosetKeys(keys []uint64, pts []edwards25519.Point) {
	n := len(pts)
	if n == 0 {
		return
	}
	zs := make([]field.Element, n)
	ts := make([]field.Element, n)
	prefix := make([]field.Element, n)
	for k := range pts {
		_, _, Z, T := pts[k].ExtendedCoordinates()
		zs[k].Set(Z)
		ts[k].Set(T)
		if k == 0 {
			prefix[k].Set(Z)
		} else {
			prefix[k].Multiply(&prefix[k-1], Z)
		}
	}
	var inv, zInv, xy field.Element
	inv.Invert(&prefix[n-1]) // 1/(Z_0·…·Z_{n−1}); Z is never zero
	for k := n - 1; k >= 0; k-- {
		if k > 0 {
			zInv.Multiply(&inv, &prefix[k-1])
			inv.Multiply(&inv, &zs[k])
		} else {
			zInv.Set(&inv)
		}
		xy.Multiply(&ts[k], &zInv)
		xy.Absolute(&xy)
		keys[k] = binary.LittleEndian.Uint64(xy.Bytes())
	}
}

func scalarFromUint64(s *edwards25519.Scalar, v uint64) *edwards25519.Scalar {
	var b [32]byte
	binary.LittleEndian.PutUint64(b[:], v)
	if _, err := s.SetCanonicalBytes(b[:]); err != nil {
		panic("crypto: internal error: " + err.Error())
	}
	return s
}
