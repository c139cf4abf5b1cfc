package edwards

import (
	"encoding/binary"
	"math/bits"
	"sync"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// pippengerThreshold is the number of points from which
// VarTimeMultiScalarMult uses the bucket method instead of edwards25519's
// Straus method (see BenchmarkMSM).
const pippengerThreshold = 48

// VarTimeMultiScalarMult sets v = Σ scalars[i]·points[i] and returns v:
// below pippengerThreshold points with edwards25519's Straus method
// (edwards25519.Point.VarTimeMultiScalarMult), from there with the bucket
// method (docs/spec/crypto-proofs.md, section 7). It runs in variable time:
// use only with public inputs. It panics if the slices differ in length.
func VarTimeMultiScalarMult(v *edwards25519.Point, scalars []*edwards25519.Scalar, points []*edwards25519.Point) *edwards25519.Point {
	if len(points) < pippengerThreshold {
		return v.VarTimeMultiScalarMult(scalars, points)
	}
	return msmPippenger(v, scalars, points)
}

// msmPippenger sets v = Σ scalars[i]·points[i] with the bucket method of
// Pippenger (as in Bernstein et al., "Faster batch forgery identification",
// section 4) and returns v. It runs in variable time.
//
// Scalars are cut into signed windows of c bits, digits in [−2^(c−1), 2^(c−1)),
// so that a window needs 2^(c−1) buckets. For each window, from the top,
// every point with a non-zero digit is added to (or subtracted from) the
// bucket of its digit, and the buckets are summed as Σ_j j·bucket_j by a
// running sum. Short scalars (the 128-bit batch weights) have zero digits in
// the upper windows and cost nothing there; c is chosen by a cost model that
// counts, for each window, the points whose scalars reach it.
func msmPippenger(v *edwards25519.Point, scalars []*edwards25519.Scalar, points []*edwards25519.Point) *edwards25519.Point {
	if len(scalars) != len(points) {
		panic("edwards: msmPippenger called with mismatched lengths")
	}
	n := len(points)
	sc := msmScratchPool.Get().(*msmScratch)
	defer msmScratchPool.Put(sc)
	limbs := grow(&sc.limbs, n)
	var lenHist [257]int // number of scalars of each bit length
	for i, s := range scalars {
		b := s.Bytes()
		for j := 0; j < 4; j++ {
			limbs[i][j] = binary.LittleEndian.Uint64(b[8*j:])
		}
		l := 0
		for j := 3; j >= 0; j-- {
			if limbs[i][j] != 0 {
				l = 64*j + bits.Len64(limbs[i][j])
				break
			}
		}
		lenHist[l]++
	}
	// reach[b] = number of scalars with bit length > b.
	var reach [258]int
	for b := 255; b >= 0; b-- {
		reach[b] = reach[b+1] + lenHist[b+1]
	}

	// Pick the window size minimising additions: for each window, one per
	// point reaching it (its digit may be non-zero; a carry can reach one
	// window further, ignored here), plus two per bucket for the sums.
	c, best := 4, int(^uint(0)>>1)
	for w := 4; w <= 16; w++ {
		cost := 0
		for off := 0; off < 256; off += w {
			cost += reach[off] + (1 << w)
		}
		if cost < best {
			c, best = w, cost
		}
	}
	windows := (256+c-1)/c + 1

	// Signed digits, window-major.
	digits := grow(&sc.digits, windows*n) // every entry is written below
	half := uint64(1) << (c - 1)
	mask := uint64(1)<<c - 1
	for i := range limbs {
		var carry uint64
		for w := 0; w < windows; w++ {
			off := w * c
			var x uint64
			if limb := off / 64; limb < 4 {
				sh := uint(off % 64)
				x = limbs[i][limb] >> sh
				if sh+uint(c) > 64 && limb+1 < 4 {
					x |= limbs[i][limb+1] << (64 - sh)
				}
			}
			x = x&mask + carry
			if x >= half {
				digits[w*n+i] = int32(int64(x) - int64(1)<<c)
				carry = 1
			} else {
				digits[w*n+i] = int32(x)
				carry = 0
			}
		}
	}

	// Points in extended coordinates (to start a bucket) and in affine
	// Niels form (to add to one, saving a multiplication per addition),
	// with one field inversion for all.
	pts := grow(&sc.pts, n)
	niels := grow(&sc.niels, n)
	for i, p := range points {
		pts[i].fromPoint(p)
	}
	geBatchToNielsScratch(niels, pts, grow(&sc.fe, n))

	nb := int(half)
	buckets := grow(&sc.buckets, nb) // a bucket is set before it is used
	used := grow(&sc.used, nb)       // cleared for each window
	var acc, running, total geP3
	var r geP1P1
	var tmp geCached
	total.identity()
	totalSet := false
	for w := windows - 1; w >= 0; w-- {
		if totalSet {
			total.doubleN(&total, c)
		}
		clear(used)
		row := digits[w*n : (w+1)*n]
		any := false
		for i, d := range row {
			switch {
			case d > 0:
				j := d - 1
				if used[j] {
					buckets[j].fromP1P1(r.addNiels(&buckets[j], &niels[i]))
				} else {
					buckets[j] = pts[i]
					used[j] = true
				}
				any = true
			case d < 0:
				j := -d - 1
				if used[j] {
					buckets[j].fromP1P1(r.subNiels(&buckets[j], &niels[i]))
				} else {
					buckets[j] = pts[i]
					buckets[j].X.Negate(&buckets[j].X)
					buckets[j].T.Negate(&buckets[j].T)
					used[j] = true
				}
				any = true
			}
		}
		if !any {
			continue
		}
		// acc = Σ (j+1)·bucket_j = Σ_j running_j, running_j = Σ_{i ≥ j} bucket_i.
		runSet, accSet := false, false
		for j := nb - 1; j >= 0; j-- {
			if used[j] {
				if runSet {
					running.fromP1P1(r.add(&running, tmp.fromP3(&buckets[j])))
				} else {
					running = buckets[j]
					runSet = true
				}
			}
			if runSet {
				if accSet {
					acc.fromP1P1(r.add(&acc, tmp.fromP3(&running)))
				} else {
					acc = running
					accSet = true
				}
			}
		}
		if totalSet {
			total.fromP1P1(r.add(&total, tmp.fromP3(&acc)))
		} else {
			total = acc
			totalSet = true
		}
	}
	return total.toPoint(v)
}

// msmScratch holds the buffers of one msmPippenger call, kept in
// msmScratchPool for the next: batches of a verifier call it with
// thousands of points each, and allocating megabytes per call would cost
// in zeroing and garbage collection.
type msmScratch struct {
	limbs   [][4]uint64
	digits  []int32
	pts     []geP3
	niels   []geNiels
	fe      []field.Element
	buckets []geP3
	used    []bool
}

var msmScratchPool = sync.Pool{New: func() any { return new(msmScratch) }}

// grow returns (*buf)[:n], reallocating *buf if it is too short. The
// contents are left over from earlier calls: callers overwrite them.
func grow[T any](buf *[]T, n int) []T {
	if cap(*buf) < n {
		*buf = make([]T, n)
	}
	*buf = (*buf)[:n]
	return *buf
}
