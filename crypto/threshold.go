package crypto

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrInvalidShare is wrapped by VerifyShare failures: the share does not
// match the dealer's commitments, which is grounds for a complaint.
var ErrInvalidShare = errors.New("invalid share")

// Polynomial is a secret polynomial f of degree t−1 over the scalars, the
// dealer's part of a Feldman verifiable secret sharing: share i is f(i) and
// the public commitments are a_k·G for each coefficient a_k.
//
// See docs/spec/crypto-group.md, section 4 (Feldman VSS).
type Polynomial struct {
	coeffs []Scalar // a_0 … a_{t−1}; a_0 = f(0) is the secret
}

// NewRandomPolynomial returns a polynomial of degree t−1 with coefficients
// from crypto/rand. It panics if t < 1.
func NewRandomPolynomial(t int) *Polynomial {
	if t < 1 {
		panic("crypto: NewRandomPolynomial called with t < 1")
	}
	p := &Polynomial{coeffs: make([]Scalar, t)}
	for k := range p.coeffs {
		p.coeffs[k].Set(RandomScalar())
	}
	return p
}

// Secret returns a copy of the constant term f(0).
func (p *Polynomial) Secret() *Scalar { return NewScalar().Set(&p.coeffs[0]) }

// Commitments returns the Feldman commitments a_k·G, k = 0..t−1.
func (p *Polynomial) Commitments() []*Element {
	out := make([]*Element, len(p.coeffs))
	for k := range p.coeffs {
		out[k] = NewElement().ScalarBaseMult(&p.coeffs[k])
	}
	return out
}

// coefficientContext is the Schnorr context of coefficient k: the caller's
// ctx followed by k as a 4-byte big-endian integer. The suffix has a fixed
// length, so (ctx, k) ↦ ctx || u32be(k) is injective, and a proof for one
// position does not verify at another.
func coefficientContext(ctx []byte, k int) []byte {
	out := make([]byte, 0, len(ctx)+4)
	out = append(out, ctx...)
	return binary.BigEndian.AppendUint32(out, uint32(k))
}

// ProveCoefficients returns a Schnorr proof of knowledge of each
// coefficient, bound to ctx and to the coefficient's position.
//
// Proof k is ProveSchnorr(ctx || u32be(k), a_k, a_k·G). The caller's ctx
// must bind the election and the dealer (for example the base hash and the
// trustee index), so that proofs cannot be replayed by another trustee.
func (p *Polynomial) ProveCoefficients(ctx []byte) []*SchnorrProof {
	cs := p.Commitments()
	out := make([]*SchnorrProof, len(p.coeffs))
	for k := range p.coeffs {
		out[k] = ProveSchnorr(coefficientContext(ctx, k), &p.coeffs[k], cs[k])
	}
	return out
}

// VerifyCoefficients checks the proofs made by ProveCoefficients. It also
// rejects an empty list, mismatched lengths and identity commitments (an
// identity a_{t−1}·G would lower the degree, hence the threshold).
// Errors wrap ErrInvalidProof.
func VerifyCoefficients(ctx []byte, commitments []*Element, proofs []*SchnorrProof) error {
	if len(commitments) == 0 {
		return fmt.Errorf("%w: no coefficient commitments", ErrInvalidProof)
	}
	if len(proofs) != len(commitments) {
		return fmt.Errorf("%w: %d coefficient proofs for %d commitments", ErrInvalidProof, len(proofs), len(commitments))
	}
	for k, c := range commitments {
		if c == nil || proofs[k] == nil {
			return fmt.Errorf("%w: coefficient %d: missing commitment or proof", ErrInvalidProof, k)
		}
		if c.IsIdentity() == 1 {
			return fmt.Errorf("%w: coefficient %d: identity commitment", ErrInvalidProof, k)
		}
		if err := VerifySchnorr(coefficientContext(ctx, k), c, proofs[k]); err != nil {
			return fmt.Errorf("coefficient %d: %w", k, err)
		}
	}
	return nil
}

// Share returns f(i) for the participant numbered i ≥ 1. It panics if i = 0.
func (p *Polynomial) Share(i uint32) *Scalar {
	if i == 0 {
		panic("crypto: Polynomial.Share called with i = 0, the secret")
	}
	x := NewScalar().SetUint64(uint64(i))
	s := NewScalar().Set(&p.coeffs[len(p.coeffs)-1])
	for k := len(p.coeffs) - 2; k >= 0; k-- {
		s.MultiplyAdd(s, x, &p.coeffs[k]) // Horner: s = s·i + a_k
	}
	return s
}

// VerifyShare checks share·G = Σ_k C_k·i^k; errors say what failed.
// It runs in variable time in the commitments but computes share·G in
// constant time.
func VerifyShare(commitments []*Element, i uint32, share *Scalar) error {
	if i == 0 {
		return fmt.Errorf("%w: participant index 0", ErrInvalidShare)
	}
	if len(commitments) == 0 {
		return fmt.Errorf("%w: no commitments", ErrInvalidShare)
	}
	for k, c := range commitments {
		if c == nil {
			return fmt.Errorf("%w: commitment %d missing", ErrInvalidShare, k)
		}
	}
	want := CommitmentEval(commitments, i)
	if NewElement().ScalarBaseMult(share).Equal(want) != 1 {
		return fmt.Errorf("%w: share of participant %d does not match the %d commitments", ErrInvalidShare, i, len(commitments))
	}
	return nil
}

// CommitmentEval returns Σ_k C_k·i^k, the public image f(i)·G of one
// dealer's share for participant i.
//
// It runs in variable time (the inputs are public). Summed over all
// dealers, it gives participant i's public verification key s_i·G, against
// which its partial decryptions are checked. It returns the identity for
// no commitments and panics if one is nil.
func CommitmentEval(commitments []*Element, i uint32) *Element {
	scalars := make([]*Scalar, len(commitments))
	x := NewScalar().SetUint64(uint64(i))
	pow := NewScalar().SetUint64(1)
	for k := range commitments {
		scalars[k] = NewScalar().Set(pow)
		pow.Multiply(pow, x)
	}
	return NewElement().VarTimeMultiScalarMult(scalars, commitments)
}

// LagrangeCoefficient returns λ_i = Π_{j∈set, j≠i} j/(j−i), the coefficient
// of participant i at 0 for the given set of distinct participants ≥ 1.
//
// It returns an error if set holds 0 or a duplicate, or does not hold i.
func LagrangeCoefficient(i uint32, set []uint32) (*Scalar, error) {
	if err := checkIndexSet(set); err != nil {
		return nil, err
	}
	found := false
	num := NewScalar().SetUint64(1)
	den := NewScalar().SetUint64(1)
	xi := NewScalar().SetUint64(uint64(i))
	for _, j := range set {
		if j == i {
			found = true
			continue
		}
		xj := NewScalar().SetUint64(uint64(j))
		num.Multiply(num, xj)
		den.Multiply(den, NewScalar().Subtract(xj, xi))
	}
	if !found {
		return nil, fmt.Errorf("lagrange: participant %d not in the set", i)
	}
	// den is a product of non-zero differences of distinct indices below
	// 2^32 < ℓ, hence invertible.
	return num.Multiply(num, den.Invert(den)), nil
}

func checkIndexSet(set []uint32) error {
	if len(set) == 0 {
		return errors.New("lagrange: empty participant set")
	}
	seen := make(map[uint32]bool, len(set))
	for _, j := range set {
		if j == 0 {
			return errors.New("lagrange: participant index 0")
		}
		if seen[j] {
			return fmt.Errorf("lagrange: duplicate participant %d", j)
		}
		seen[j] = true
	}
	return nil
}

// CombinePartials returns Σ λ_i·partials[k] for i = indices[k]: given
// partial decryptions s_i·A from any t participants, this is x·A.
//
// It runs in variable time (partial decryptions are public). It does not
// check the partials: the caller must first verify each one's Chaum–Pedersen
// proof against the participant's verification key, since a single wrong
// partial makes the result wrong. It returns an error for mismatched
// lengths, an empty or invalid index set, or a nil partial.
func CombinePartials(indices []uint32, partials []*Element) (*Element, error) {
	if len(indices) != len(partials) {
		return nil, fmt.Errorf("combine: %d indices for %d partials", len(indices), len(partials))
	}
	if err := checkIndexSet(indices); err != nil {
		return nil, fmt.Errorf("combine: %w", err)
	}
	scalars := make([]*Scalar, len(indices))
	for k, i := range indices {
		if partials[k] == nil {
			return nil, fmt.Errorf("combine: partial of participant %d missing", i)
		}
		l, err := LagrangeCoefficient(i, indices)
		if err != nil {
			return nil, fmt.Errorf("combine: %w", err)
		}
		scalars[k] = l
	}
	return NewElement().VarTimeMultiScalarMult(scalars, partials), nil
}
