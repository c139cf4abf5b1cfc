package crypto

// Polynomial is a secret polynomial f of degree t−1 over the scalars, the
// dealer's part of a Feldman verifiable secret sharing: share i is f(i) and
// the public commitments are a_k·G for each coefficient a_k.
type Polynomial struct{}

// NewRandomPolynomial returns a polynomial of degree t−1 with coefficients
// from crypto/rand. It panics if t < 1.
func NewRandomPolynomial(t int) *Polynomial { panic("unimplemented") }

// Threshold returns t, the number of coefficients.
func (p *Polynomial) Threshold() int { panic("unimplemented") }

// Secret returns a copy of the constant term f(0).
func (p *Polynomial) Secret() *Scalar { panic("unimplemented") }

// Commitments returns the Feldman commitments a_k·G, k = 0..t−1.
func (p *Polynomial) Commitments() []*Element { panic("unimplemented") }

// ProveCoefficients returns a Schnorr proof of knowledge of each
// coefficient, bound to ctx and to the coefficient's position.
func (p *Polynomial) ProveCoefficients(ctx []byte) []*SchnorrProof { panic("unimplemented") }

// VerifyCoefficients checks the proofs made by ProveCoefficients.
func VerifyCoefficients(ctx []byte, commitments []*Element, proofs []*SchnorrProof) error {
	panic("unimplemented")
}

// Share returns f(i) for the participant numbered i ≥ 1. It panics if i = 0.
func (p *Polynomial) Share(i uint32) *Scalar { panic("unimplemented") }

// VerifyShare checks share·G = Σ_k C_k·i^k; errors say what failed.
func VerifyShare(commitments []*Element, i uint32, share *Scalar) error { panic("unimplemented") }

// CommitmentEval returns Σ_k C_k·i^k, the public image f(i)·G of one
// dealer's share for participant i.
func CommitmentEval(commitments []*Element, i uint32) *Element { panic("unimplemented") }

// LagrangeCoefficient returns λ_i = Π_{j∈set, j≠i} j/(j−i), the coefficient
// of participant i at 0 for the given set of distinct participants ≥ 1.
func LagrangeCoefficient(i uint32, set []uint32) (*Scalar, error) { panic("unimplemented") }

// CombinePartials returns Σ λ_i·partials[k] for i = indices[k]: given
// partial decryptions s_i·A from any t participants, this is x·A.
func CombinePartials(indices []uint32, partials []*Element) (*Element, error) {
	panic("unimplemented")
}
