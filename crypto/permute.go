package crypto

import (
	"encoding/binary"
	"io"
	"math/bits"

	"filippo.io/edwards25519/field"
)

// obliviousPermutation is a secret permutation ψ of n positions that can be
// applied to arrays without a memory access or branch that depends on ψ.
//
// ψ is drawn by sorting n random 64-bit keys with Batcher's merge-exchange
// sorting network (Knuth, TAOCP vol. 3, section 5.2.2, Algorithm M), whose
// comparators depend on n only; the secret is the bit each comparator
// decided (swap or not). Replaying those bits on an array x indexed by
// input gives y with y_i = x_{ψ(i)} (forward); replaying them in reverse
// order undoes it, placing y_i at position ψ(i) (backward). Each replay
// is O(n log² n) constant-time conditional swaps. The keys are drawn again
// if two are equal (probability below n²/2^65), so ψ is uniform.
type obliviousPermutation struct {
	pairs []uint32 // comparators (i, j), i < j, flattened: public
	swap  []int    // 1 if comparator m swapped: secret
}

// sortingNetwork returns the comparators of Batcher's merge exchange for n
// items, in order, as flattened pairs (i, j) with i < j.
func sortingNetwork(n int) []uint32 {
	var pairs []uint32
	if n < 2 {
		return pairs
	}
	t := bits.Len(uint(n - 1)) // ⌈log2 n⌉
	for p := 1 << (t - 1); p > 0; p >>= 1 {
		q, r, d := 1<<(t-1), 0, p
		for {
			for i := 0; i < n-d; i++ {
				if i&p == r {
					pairs = append(pairs, uint32(i), uint32(i+d))
				}
			}
			if q == p {
				break
			}
			d, q, r = q-p, q>>1, p
		}
	}
	return pairs
}

// newObliviousPermutation draws a uniformly random permutation of n
// positions: 8·n bytes from rnd, read as little-endian 64-bit keys, sorted
// in increasing order; ψ(i) is the input position of the i-th smallest key.
func newObliviousPermutation(rnd io.Reader, n int) *obliviousPermutation {
	p := &obliviousPermutation{pairs: sortingNetwork(n)}
	p.swap = make([]int, len(p.pairs)/2)
	keys := make([]uint64, n)
	buf := make([]byte, 8*n)
	for {
		if _, err := io.ReadFull(rnd, buf); err != nil {
			panic("crypto: random source failed: " + err.Error())
		}
		for i := range keys {
			keys[i] = binary.LittleEndian.Uint64(buf[8*i:])
		}
		for m := range p.swap {
			i, j := p.pairs[2*m], p.pairs[2*m+1]
			a, b := keys[i], keys[j]
			_, gt := bits.Sub64(b, a, 0) // 1 if a > b
			x := (a ^ b) & -gt
			keys[i], keys[j] = a^x, b^x
			p.swap[m] = int(gt)
		}
		var dup uint64
		for i := 1; i < n; i++ {
			dup |= ctEq64(keys[i-1], keys[i])
		}
		if dup == 0 {
			break
		}
	}
	clear(keys)
	clear(buf)
	return p
}

// apply replays the network with cswap(i, j, cond), which must swap items i
// and j if cond is 1 and leave them if 0, in constant time: forward, or
// backward to apply the inverse.
func (p *obliviousPermutation) apply(backward bool, cswap func(i, j, cond int)) {
	n := len(p.swap)
	for k := range n {
		m := k
		if backward {
			m = n - 1 - k
		}
		cswap(int(p.pairs[2*m]), int(p.pairs[2*m+1]), p.swap[m])
	}
}

// pointCoords are the extended coordinates of an element, which can be
// swapped in constant time.
type pointCoords [4]field.Element

func (c *pointCoords) from(e *Element) {
	X, Y, Z, T := e.p.ExtendedCoordinates()
	c[0], c[1], c[2], c[3] = *X, *Y, *Z, *T
}

func (c *pointCoords) to(e *Element) {
	if _, err := e.p.SetExtendedCoordinates(&c[0], &c[1], &c[2], &c[3]); err != nil {
		panic("crypto: internal error: " + err.Error())
	}
}

// permuteElements applies p (forward or backward) to groups of w elements:
// group i is elems[w·i : w·(i+1)].
func (p *obliviousPermutation) permuteElements(backward bool, elems []Element, w int) {
	cs := make([]pointCoords, len(elems))
	for i := range elems {
		cs[i].from(&elems[i])
	}
	p.apply(backward, func(i, j, cond int) {
		a, b := cs[w*i:w*(i+1)], cs[w*j:w*(j+1)]
		for k := range a {
			for q := range a[k] {
				a[k][q].Swap(&b[k][q], cond)
			}
		}
	})
	for i := range elems {
		cs[i].to(&elems[i])
	}
	clear(cs)
}

// permuteScalars applies p forward to s. The scalars are swapped as 64-byte
// strings (the encoding and 32 zero bytes) and read back by the
// constant-time wide reduction: SetCanonicalBytes's range check would
// branch on their values, and so on where each went.
func (p *obliviousPermutation) permuteScalars(s []Scalar) {
	bs := make([][UniformSize]byte, len(s))
	for i := range s {
		copy(bs[i][:], s[i].Bytes())
	}
	p.apply(false, func(i, j, cond int) {
		mask := -byte(cond)
		for k := range bs[i] {
			x := (bs[i][k] ^ bs[j][k]) & mask
			bs[i][k] ^= x
			bs[j][k] ^= x
		}
	})
	for i := range s {
		if _, err := s[i].s.SetUniformBytes(bs[i][:]); err != nil {
			panic("crypto: internal error: " + err.Error())
		}
	}
	clear(bs)
}
