package tally

import (
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/evote/evote/internal/parallel"
	"sync"

	"github.com/evote/evote/crypto"
)

// shareContextLabel opens the proof context of every decryption share
// (docs/spec/tally.md §3).
const shareContextLabel = "evote/v1/tally/decryption-share\x00"

// ShareContext returns the context bound into the Chaum–Pedersen proof of
// trustee's decryption share at position (docs/spec/tally.md §3):
//
//	"evote/v1/tally/decryption-share\x00" || u64be(len(ctx)) || ctx || u32be(trustee) || u32be(position)
//
// where ctx is the caller's context, normally the election base hash. It is exported for independent
// implementations and test vectors; NewPartialDecryption and the verifiers
// call it themselves.
func ShareContext(ctx []byte, trustee uint32, position int) []byte {
	return appendPosition(shareContextPrefix(ctx, trustee), position)
}

// shareContextPrefix returns everything of ShareContext but the position,
// with room for it.
func shareContextPrefix(ctx []byte, trustee uint32) []byte {
	b := make([]byte, 0, len(shareContextLabel)+8+len(ctx)+4+4)
	b = append(b, shareContextLabel...)
	b = binary.BigEndian.AppendUint64(b, uint64(len(ctx)))
	b = append(b, ctx...)
	return binary.BigEndian.AppendUint32(b, trustee)
}

// appendPosition returns a copy of prefix followed by u32be(position). The
// copy lets the prefix be shared between goroutines.
func appendPosition(prefix []byte, position int) []byte {
	if position < 0 || uint64(position) > 0xffffffff {
		panic("tally: position out of range")
	}
	b := make([]byte, len(prefix), len(prefix)+4)
	copy(b, prefix)
	return binary.BigEndian.AppendUint32(b, uint32(position))
}

// PartialDecryption is trustee Trustee's share of the decryption of a tally
// (docs/spec/tally.md §3): for every sum (A_k, B_k), Shares[k] = s_j·A_k and
// Proofs[k] proves log_G VK_j = log_{A_k} Shares[k]. Its JSON encoding is
// canonical (§4): see Marshal and ParsePartialDecryption.
type PartialDecryption struct {
	// Trustee is the trustee's index j ≥ 1, its evaluation point in the
	// threshold sharing.
	Trustee uint32
	// Shares are the decryption shares M_{j,k} = s_j·A_k, one per position.
	Shares []*crypto.Element
	// Proofs are the Chaum–Pedersen proofs, one per position.
	Proofs []*crypto.DLEQProof
}

// NewPartialDecryption computes trustee trusteeIndex's partial decryption
// of sums with its secret share s_j (docs/spec/tally.md §3). ctx is the
// context the proofs bind to, normally the election base hash; verifiers
// must pass the same. The share is used only in constant-time operations.
func NewPartialDecryption(ctx []byte, trusteeIndex uint32, secretShare *crypto.Scalar, sums []*crypto.Ciphertext) (*PartialDecryption, error) {
	if trusteeIndex == 0 {
		return nil, errors.New("tally: partial decryption: trustee index 0 is not allowed")
	}
	if len(sums) == 0 {
		return nil, errors.New("tally: partial decryption: no sums")
	}
	for k, c := range sums {
		if c == nil {
			return nil, fmt.Errorf("tally: partial decryption: nil sum at position %d", k)
		}
	}
	g := crypto.NewGeneratorElement()
	vk := crypto.NewElement().ScalarBaseMult(secretShare)
	prefix := shareContextPrefix(ctx, trusteeIndex)
	p := &PartialDecryption{
		Trustee: trusteeIndex,
		Shares:  make([]*crypto.Element, len(sums)),
		Proofs:  make([]*crypto.DLEQProof, len(sums)),
	}
	parallel.Ranges(len(sums), func(lo, hi int) {
		for k := lo; k < hi; k++ {
			a := &sums[k].A
			m := crypto.NewElement().ScalarMult(secretShare, a)
			p.Shares[k] = m
			p.Proofs[k] = crypto.ProveDLEQ(appendPosition(prefix, k), secretShare, g, vk, a, m)
		}
	})
	return p, nil
}

// PartialError reports an invalid partial decryption. It wraps
// ErrUnknownTrustee, ErrLengthMismatch or, for a failed proof,
// crypto.ErrInvalidProof.
type PartialError struct {
	// Trustee is the trustee index the partial decryption claims.
	Trustee uint32
	// Position is the first position whose proof fails, or −1 if the
	// error is not about one position.
	Position int
	// Err is the underlying error.
	Err error
}

// Error returns a message naming the trustee and, if any, the position.
func (e *PartialError) Error() string {
	if e.Position >= 0 {
		return fmt.Sprintf("tally: partial decryption of trustee %d: position %d: %v", e.Trustee, e.Position, e.Err)
	}
	return fmt.Sprintf("tally: partial decryption of trustee %d: %v", e.Trustee, e.Err)
}

// Unwrap returns e.Err.
func (e *PartialError) Unwrap() error { return e.Err }

// checkShape checks everything about p but the proofs.
func checkShape(p *PartialDecryption, n int) error {
	if len(p.Shares) != n || len(p.Proofs) != n {
		return &PartialError{Trustee: p.Trustee, Position: -1,
			Err: fmt.Errorf("%w: %d shares and %d proofs for %d sums", ErrLengthMismatch, len(p.Shares), len(p.Proofs), n)}
	}
	for k := range n {
		if p.Shares[k] == nil || p.Proofs[k] == nil {
			return &PartialError{Trustee: p.Trustee, Position: -1,
				Err: fmt.Errorf("%w: missing share or proof at position %d", ErrLengthMismatch, k)}
		}
	}
	return nil
}

// VerifyPartial checks partial decryption p of sums against the trustee's
// verification key vk = s_j·G, one proof after the other
// (docs/spec/tally.md §7). It returns nil or a *PartialError naming the first
// failing position. ctx must be the context the trustee used.
func VerifyPartial(ctx []byte, vk *crypto.Element, sums []*crypto.Ciphertext, p *PartialDecryption) error {
	if p == nil {
		return errors.New("tally: nil partial decryption")
	}
	if err := checkShape(p, len(sums)); err != nil {
		return err
	}
	g := crypto.NewGeneratorElement()
	prefix := shareContextPrefix(ctx, p.Trustee)
	for k, c := range sums {
		if err := crypto.VerifyDLEQ(appendPosition(prefix, k), g, vk, &c.A, p.Shares[k], p.Proofs[k]); err != nil {
			return &PartialError{Trustee: p.Trustee, Position: k, Err: err}
		}
	}
	return nil
}

// VerifyPartials checks many partial decryptions of sums at once, each
// against the verification key of the trustee it names in vks
// (docs/spec/tally.md §7). All proofs go into crypto.BatchVerifier batches,
// one per CPU, which find the invalid ones. It returns one error per
// partial, in order: nil if it is valid, and otherwise a *PartialError
// (unknown trustee, wrong length, or the first failing position). It does
// not look for duplicate trustees; Combine does.
func VerifyPartials(ctx []byte, vks map[uint32]*crypto.Element, sums []*crypto.Ciphertext, partials []*PartialDecryption) []error {
	errs := make([]error, len(partials))
	type item struct{ partial, position int }
	var items []item
	prefixes := make([][]byte, len(partials))
	for i, p := range partials {
		switch {
		case p == nil:
			errs[i] = errors.New("tally: nil partial decryption")
			continue
		case vks[p.Trustee] == nil:
			errs[i] = &PartialError{Trustee: p.Trustee, Position: -1, Err: ErrUnknownTrustee}
			continue
		}
		if err := checkShape(p, len(sums)); err != nil {
			errs[i] = err
			continue
		}
		prefixes[i] = shareContextPrefix(ctx, p.Trustee)
		for k := range sums {
			items = append(items, item{i, k})
		}
	}

	g := crypto.NewGeneratorElement()
	// firstBad[i] is the lowest failing position of partial i, or -1.
	firstBad := make([]int, len(partials))
	for i := range firstBad {
		firstBad[i] = -1
	}
	var mu sync.Mutex
	parallel.Ranges(len(items), func(lo, hi int) {
		bv := crypto.NewBatchVerifier()
		for _, it := range items[lo:hi] {
			p := partials[it.partial]
			bv.AddDLEQ(appendPosition(prefixes[it.partial], it.position), g, vks[p.Trustee],
				&sums[it.position].A, p.Shares[it.position], p.Proofs[it.position])
		}
		err := bv.Verify()
		if err == nil {
			return
		}
		var bad []int
		var be *crypto.BatchError
		if errors.As(err, &be) {
			bad = be.Invalid
		} else {
			// Not expected from BatchVerifier; fall back to one by one.
			for j, it := range items[lo:hi] {
				p := partials[it.partial]
				if crypto.VerifyDLEQ(appendPosition(prefixes[it.partial], it.position), g, vks[p.Trustee],
					&sums[it.position].A, p.Shares[it.position], p.Proofs[it.position]) != nil {
					bad = append(bad, j)
				}
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for _, j := range bad {
			it := items[lo+j]
			if fb := firstBad[it.partial]; fb < 0 || it.position < fb {
				firstBad[it.partial] = it.position
			}
		}
	})
	for i, k := range firstBad {
		if k >= 0 {
			errs[i] = &PartialError{Trustee: partials[i].Trustee, Position: k,
				Err: fmt.Errorf("%w: decryption share", crypto.ErrInvalidProof)}
		}
	}
	return errs
}
