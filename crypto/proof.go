package crypto

import "errors"

// ErrInvalidProof is wrapped by every proof verification failure.
var ErrInvalidProof = errors.New("invalid proof")

// Proof sizes in bytes.
const (
	SchnorrProofSize = 2 * 32 // commitment, response
	DLEQProofSize    = 3 * 32 // two commitments, response
)

// SchnorrProof proves knowledge of x such that X = x·G.
type SchnorrProof struct{}

// ProveSchnorr proves knowledge of x with X = x·G, bound to ctx.
func ProveSchnorr(ctx []byte, x *Scalar, X *Element) *SchnorrProof { panic("unimplemented") }

// VerifySchnorr checks p for X under ctx; errors wrap ErrInvalidProof.
func VerifySchnorr(ctx []byte, X *Element, p *SchnorrProof) error { panic("unimplemented") }

// Bytes returns the canonical encoding of p.
func (p *SchnorrProof) Bytes() []byte { panic("unimplemented") }

// SetBytes parses a canonical encoding; on error p is unchanged.
func (p *SchnorrProof) SetBytes(b []byte) (*SchnorrProof, error) { panic("unimplemented") }

// DLEQProof is a Chaum–Pedersen proof that log_g X = log_h Y.
type DLEQProof struct{}

// ProveDLEQ proves knowledge of x with X = x·g and Y = x·h, bound to ctx.
func ProveDLEQ(ctx []byte, x *Scalar, g, X, h, Y *Element) *DLEQProof { panic("unimplemented") }

// VerifyDLEQ checks p for (g, X, h, Y) under ctx; errors wrap ErrInvalidProof.
func VerifyDLEQ(ctx []byte, g, X, h, Y *Element, p *DLEQProof) error { panic("unimplemented") }

// Bytes returns the canonical encoding of p.
func (p *DLEQProof) Bytes() []byte { panic("unimplemented") }

// SetBytes parses a canonical encoding; on error p is unchanged.
func (p *DLEQProof) SetBytes(b []byte) (*DLEQProof, error) { panic("unimplemented") }

// RangeProof is a disjunctive Chaum–Pedersen proof that a ciphertext
// encrypts an integer in [lo, hi]; its size is linear in hi − lo.
type RangeProof struct{}

// RangeProofSize returns the encoded size of a proof for [lo, hi].
func RangeProofSize(lo, hi uint64) int { panic("unimplemented") }

// ProveRange proves that ct = Enc_pk(v; r) with lo ≤ v ≤ hi, bound to ctx.
// It returns an error if v is outside [lo, hi] or the range is too wide.
func ProveRange(ctx []byte, pk *PublicKey, ct *Ciphertext, v uint64, r *Scalar, lo, hi uint64) (*RangeProof, error) {
	panic("unimplemented")
}

// VerifyRange checks p for ct ∈ [lo, hi] under ctx; errors wrap ErrInvalidProof.
func VerifyRange(ctx []byte, pk *PublicKey, ct *Ciphertext, lo, hi uint64, p *RangeProof) error {
	panic("unimplemented")
}

// Bytes returns the canonical encoding of p.
func (p *RangeProof) Bytes() []byte { panic("unimplemented") }

// SetBytes parses a canonical encoding; on error p is unchanged.
func (p *RangeProof) SetBytes(b []byte) (*RangeProof, error) { panic("unimplemented") }
