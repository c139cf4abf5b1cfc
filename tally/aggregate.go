package tally

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/evote/evote/crypto"
)

// Sentinel errors, for errors.Is. Errors returned by this package wrap them.
var (
	// ErrLengthMismatch means a vector (ballot, partial decryption, result)
	// does not have the length of the tally.
	ErrLengthMismatch = errors.New("length mismatch")
	// ErrUnknownTrustee means a partial decryption names a trustee that has
	// no verification key.
	ErrUnknownTrustee = errors.New("unknown trustee")
	// ErrDuplicateTrustee means a trustee already has an accepted partial
	// decryption.
	ErrDuplicateTrustee = errors.New("duplicate trustee")
	// ErrNotEnoughPartials is wrapped by *InsufficientPartialsError.
	ErrNotEnoughPartials = errors.New("not enough valid partial decryptions")
	// ErrResultMismatch is wrapped by VerifyResult's errors when the claimed
	// result differs from the one recomputed from the public data.
	ErrResultMismatch = errors.New("result does not match the public data")
	// ErrInvalidEncoding is wrapped by every parse error.
	ErrInvalidEncoding = errors.New("invalid encoding")
)

// Accumulator sums the ciphertext vectors of ballots position by position
// (docs/spec/tally.md §2). Because exponential ElGamal is additively
// homomorphic, position k of the sum encrypts the sum of the ballots' values
// at position k. A ballot added can be taken back out with Subtract, as
// when a re-vote supersedes it (docs/spec/election.md §4, ballot). The zero
// Accumulator is not usable; call NewAccumulator. An Accumulator is not safe
// for concurrent use.
type Accumulator struct {
	sums []*crypto.Ciphertext
}

// NewAccumulator returns an Accumulator for vectors of the given length,
// every sum set to the identity ciphertext crypto.NewCiphertext(). It
// panics if length < 1.
func NewAccumulator(length int) *Accumulator {
	if length < 1 {
		panic("tally: NewAccumulator called with length < 1")
	}
	a := &Accumulator{sums: make([]*crypto.Ciphertext, length)}
	for k := range a.sums {
		a.sums[k] = crypto.NewCiphertext()
	}
	return a
}

// Len returns the vector length L.
func (a *Accumulator) Len() int { return len(a.sums) }

// Add adds one ballot's ciphertext vector, weight times: each ciphertext
// is multiplied by the voter's public weight (docs/spec/tally.md §2), so
// that position k of the sum encrypts Σ weight·value. A ballot of weight 1
// is added as it is. It returns an error wrapping ErrLengthMismatch if the
// ballot does not have length Len, or an error if it holds a nil
// ciphertext or the weight is 0; on error the Accumulator is unchanged.
func (a *Accumulator) Add(ballot []*crypto.Ciphertext, weight uint64) error {
	if err := a.check(ballot, weight); err != nil {
		return fmt.Errorf("tally: add ballot: %w", err)
	}
	w := weighted(weight)
	for k, c := range ballot {
		a.sums[k].Add(a.sums[k], w(c))
	}
	return nil
}

// Subtract takes one ballot's ciphertext vector, added before with weight,
// back out of the sums, as a re-vote supersedes it. It returns the errors
// of Add; on error the Accumulator is unchanged. It cannot tell whether
// the ballot was added so: subtracting one that was not leaves sums that
// encrypt no total.
func (a *Accumulator) Subtract(ballot []*crypto.Ciphertext, weight uint64) error {
	if err := a.check(ballot, weight); err != nil {
		return fmt.Errorf("tally: subtract ballot: %w", err)
	}
	w := weighted(weight)
	for k, c := range ballot {
		a.sums[k].Subtract(a.sums[k], w(c))
	}
	return nil
}

// weighted returns the function that multiplies a ciphertext by weight,
// which is public (on the roll), into a new ciphertext; for weight 1, the
// ciphertext itself.
func weighted(weight uint64) func(*crypto.Ciphertext) *crypto.Ciphertext {
	if weight == 1 {
		return func(c *crypto.Ciphertext) *crypto.Ciphertext { return c }
	}
	return func(c *crypto.Ciphertext) *crypto.Ciphertext {
		return crypto.NewCiphertext().VarTimeMultiply(weight, c)
	}
}

// check returns the error of Add and Subtract for a ballot that cannot be
// summed.
func (a *Accumulator) check(ballot []*crypto.Ciphertext, weight uint64) error {
	if weight == 0 {
		return errors.New("weight 0")
	}
	if len(ballot) != len(a.sums) {
		return fmt.Errorf("%w: %d ciphertexts, want %d", ErrLengthMismatch, len(ballot), len(a.sums))
	}
	for k, c := range ballot {
		if c == nil {
			return fmt.Errorf("nil ciphertext at position %d", k)
		}
	}
	return nil
}

// Sums returns a copy of the per-position sums (A_k, B_k).
func (a *Accumulator) Sums() []*crypto.Ciphertext {
	out := make([]*crypto.Ciphertext, len(a.sums))
	for k, c := range a.sums {
		out[k] = crypto.NewCiphertext().Set(c)
	}
	return out
}

// sumsLabel separates SumsHash from every other hash (docs/spec/tally.md §2).
const sumsLabel = "evote/v1/sums\x00"

// SumsHash returns the hash that names a vector of encrypted sums
// (docs/spec/tally.md §2):
//
//	SHA-256("evote/v1/sums\x00" || u32be(L) || c_1 || … || c_L)
//
// where each c_k is the 64-byte encoding of a ciphertext. The official's
// closing record names it, so that a trustee decrypts only the sums it
// recomputed itself from the ballots it verified.
func SumsHash(sums []*crypto.Ciphertext) [32]byte {
	h := sha256.New()
	h.Write([]byte(sumsLabel))
	h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(sums))))
	for _, c := range sums {
		h.Write(c.Bytes())
	}
	return [32]byte(h.Sum(nil))
}
