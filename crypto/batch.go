package crypto

// BatchVerifier checks many proofs at once: it re-derives every challenge
// by hashing, then combines all verification equations with random weights
// into one variable-time multi-scalar multiplication. If the combination
// fails it checks the proofs one by one to name the invalid ones.
// A BatchVerifier is not safe for concurrent use; use one per goroutine.
type BatchVerifier struct{}

// NewBatchVerifier returns an empty batch.
func NewBatchVerifier() *BatchVerifier { panic("unimplemented") }

// AddSchnorr queues a Schnorr proof; arguments as for VerifySchnorr.
func (b *BatchVerifier) AddSchnorr(ctx []byte, X *Element, p *SchnorrProof) { panic("unimplemented") }

// AddDLEQ queues a Chaum–Pedersen proof; arguments as for VerifyDLEQ.
func (b *BatchVerifier) AddDLEQ(ctx []byte, g, X, h, Y *Element, p *DLEQProof) {
	panic("unimplemented")
}

// AddRange queues a range proof; arguments as for VerifyRange.
func (b *BatchVerifier) AddRange(ctx []byte, pk *PublicKey, ct *Ciphertext, lo, hi uint64, p *RangeProof) {
	panic("unimplemented")
}

// Len returns the number of queued proofs.
func (b *BatchVerifier) Len() int { panic("unimplemented") }

// Verify checks every queued proof. It returns nil if all hold, and
// otherwise a *BatchError listing the positions (in order of addition,
// from 0) of the invalid ones.
func (b *BatchVerifier) Verify() error { panic("unimplemented") }

// BatchError names the invalid proofs of a batch. It wraps ErrInvalidProof.
type BatchError struct {
	Invalid []int
}

func (e *BatchError) Error() string { panic("unimplemented") }

// Unwrap returns ErrInvalidProof.
func (e *BatchError) Unwrap() error { return ErrInvalidProof }
