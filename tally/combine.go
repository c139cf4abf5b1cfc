package tally

import (
	"errors"
	"fmt"
	"github.com/evote/evote/internal/parallel"
	"slices"
	"strconv"
	"strings"

	"github.com/evote/evote/crypto"
)

// Result is the outcome of a tally (docs/spec/tally.md §5, §6). Its JSON
// encoding is canonical: see Marshal and ParseResult.
type Result struct {
	// Counts are the decrypted totals v_k, one per position.
	Counts []uint64
	// Trustees are the t trustees whose partial decryptions were combined,
	// in increasing order: the t lowest indices among the valid ones.
	Trustees []uint32
	// Rejected lists the partial decryptions that were not valid, in the
	// order they were given.
	Rejected []Rejection
	// Combined are M_k = x·A_k, one per position, so that
	// Counts[k]·G = B_k − Combined[k].
	Combined []*crypto.Element
}

// Rejection names a partial decryption that Combine did not use and why.
type Rejection struct {
	// Trustee is the index the partial decryption claims.
	Trustee uint32
	// Reason is one of the strings of docs/spec/tally.md §5: "unknown
	// trustee", "wrong length", "duplicate trustee" or "invalid proof at
	// position N".
	Reason string
}

// Rejection reasons (docs/spec/tally.md §5).
const (
	reasonUnknown   = "unknown trustee"
	reasonLength    = "wrong length"
	reasonDuplicate = "duplicate trustee"
	reasonProof     = "invalid proof at position "
)

// validReason reports whether r is one of the reasons of §5, with N in
// canonical decimal.
func validReason(r string) bool {
	switch r {
	case reasonUnknown, reasonLength, reasonDuplicate:
		return true
	}
	n, ok := strings.CutPrefix(r, reasonProof)
	if !ok {
		return false
	}
	v, err := strconv.ParseUint(n, 10, 32)
	return err == nil && strconv.FormatUint(v, 10) == n
}

// InsufficientPartialsError is returned when fewer than t partial
// decryptions are valid. It wraps ErrNotEnoughPartials.
type InsufficientPartialsError struct {
	// Threshold is t.
	Threshold int
	// Valid are the trustees with a valid partial decryption.
	Valid []uint32
	// Missing are the trustees that sent no partial decryption at all.
	Missing []uint32
	// Rejected are the invalid partial decryptions, in the order given.
	Rejected []Rejection
}

// Error returns a message naming the valid, missing and rejected trustees.
func (e *InsufficientPartialsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tally: %d valid partial decryptions %v, need %d; missing trustees %v", len(e.Valid), e.Valid, e.Threshold, e.Missing)
	if len(e.Rejected) > 0 {
		b.WriteString("; rejected:")
		for i, r := range e.Rejected {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, " trustee %d (%s)", r.Trustee, r.Reason)
		}
	}
	return b.String()
}

// Unwrap returns ErrNotEnoughPartials.
func (e *InsufficientPartialsError) Unwrap() error { return ErrNotEnoughPartials }

// selection is the outcome of §5: which partial decryptions are used.
type selection struct {
	valid    []uint32 // increasing
	accepted map[uint32]*PartialDecryption
	rejected []Rejection
	missing  []uint32 // increasing
}

// checkArgs validates the caller's arguments common to Combine and VerifyResult.
func checkArgs(t int, sums []*crypto.Ciphertext, vks map[uint32]*crypto.Element, partials []*PartialDecryption) error {
	if len(sums) == 0 {
		return errors.New("no sums")
	}
	for k, c := range sums {
		if c == nil {
			return fmt.Errorf("nil sum at position %d", k)
		}
	}
	if t < 1 || t > len(vks) {
		return fmt.Errorf("threshold %d out of range [1, %d]", t, len(vks))
	}
	for j, vk := range vks {
		if j == 0 {
			return errors.New("verification key for trustee index 0")
		}
		if vk == nil {
			return fmt.Errorf("nil verification key for trustee %d", j)
		}
	}
	for i, p := range partials {
		if p == nil {
			return fmt.Errorf("nil partial decryption at index %d", i)
		}
	}
	return nil
}

// selectPartials verifies every partial decryption and decides which are
// accepted, as in docs/spec/tally.md §5.
func selectPartials(ctx []byte, sums []*crypto.Ciphertext, vks map[uint32]*crypto.Element, partials []*PartialDecryption) *selection {
	errs := VerifyPartials(ctx, vks, sums, partials)
	s := &selection{accepted: make(map[uint32]*PartialDecryption)}
	present := make(map[uint32]bool)
	for i, p := range partials {
		present[p.Trustee] = true
		var reason string
		var pe *PartialError
		switch err := errs[i]; {
		case err == nil:
			if s.accepted[p.Trustee] != nil {
				reason = reasonDuplicate
			}
		case errors.Is(err, ErrUnknownTrustee):
			reason = reasonUnknown
		case errors.Is(err, ErrLengthMismatch):
			reason = reasonLength
		case errors.As(err, &pe) && pe.Position >= 0:
			reason = reasonProof + strconv.Itoa(pe.Position)
		default:
			panic("tally: internal error: unexpected verification error: " + err.Error())
		}
		if reason != "" {
			s.rejected = append(s.rejected, Rejection{Trustee: p.Trustee, Reason: reason})
			continue
		}
		s.accepted[p.Trustee] = p
		s.valid = append(s.valid, p.Trustee)
	}
	slices.Sort(s.valid)
	for j := range vks {
		if !present[j] {
			s.missing = append(s.missing, j)
		}
	}
	slices.Sort(s.missing)
	return s
}

// combine returns M_k = Σ_{j∈used} λ_j·M_{j,k} for every position k
// (docs/spec/tally.md §6), each by crypto.CombinePartials.
func (s *selection) combine(used []uint32, n int) ([]*crypto.Element, error) {
	out := make([]*crypto.Element, n)
	errs := make([]error, n)
	parallel.Ranges(n, func(lo, hi int) {
		points := make([]*crypto.Element, len(used))
		for k := lo; k < hi; k++ {
			for i, j := range used {
				points[i] = s.accepted[j].Shares[k]
			}
			out[k], errs[k] = crypto.CombinePartials(used, points)
		}
	})
	for k, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("position %d: %w", k, err)
		}
	}
	return out, nil
}

// Combine verifies every partial decryption of sums, rejects the invalid
// ones (unknown trustee, wrong length, failed proof, or a trustee that
// already has an accepted one), combines the valid ones of the t lowest
// trustee indices by Lagrange interpolation at 0, decrypts every position
// and recovers its count with solver (docs/spec/tally.md §5, §6).
//
// ctx is the context the trustees' proofs bind to, t the threshold, vks the
// verification keys VK_j = s_j·G of all n trustees (computable by anyone
// from the key ceremony's commitments). solver bounds the counts: its Max
// should be at least the largest possible total, such as the number of
// ballots times the largest value of one position.
//
// If fewer than t partial decryptions are valid it returns an
// *InsufficientPartialsError naming the missing and the rejected trustees.
// A count beyond the solver's range is an error wrapping
// crypto.ErrDlogOutOfRange.
func Combine(ctx []byte, t int, sums []*crypto.Ciphertext, verificationKeys map[uint32]*crypto.Element, partials []*PartialDecryption, solver *crypto.DlogSolver) (*Result, error) {
	if err := checkArgs(t, sums, verificationKeys, partials); err != nil {
		return nil, fmt.Errorf("tally: combine: %w", err)
	}
	if solver == nil {
		return nil, errors.New("tally: combine: nil discrete log solver")
	}
	s, used, combined, err := selectAndCombine(ctx, t, sums, verificationKeys, partials)
	if err != nil {
		return nil, err
	}
	counts := make([]uint64, len(sums))
	solveErrs := make([]error, len(sums))
	parallel.Ranges(len(sums), func(lo, hi int) {
		for k := lo; k < hi; k++ {
			d := crypto.NewElement().Subtract(&sums[k].B, combined[k])
			counts[k], solveErrs[k] = solver.Solve(d)
		}
	})
	for k, err := range solveErrs {
		if err != nil {
			return nil, fmt.Errorf("tally: combine: position %d: count above %d: %w", k, solver.Max(), err)
		}
	}
	return &Result{
		Counts:   counts,
		Trustees: slices.Clone(used),
		Rejected: s.rejected,
		Combined: combined,
	}, nil
}

// selectAndCombine verifies and selects the partial decryptions of sums
// and combines those of the t lowest valid trustees (§5, §6), for Combine
// and DecryptElements, after checkArgs.
func selectAndCombine(ctx []byte, t int, sums []*crypto.Ciphertext, vks map[uint32]*crypto.Element, partials []*PartialDecryption) (*selection, []uint32, []*crypto.Element, error) {
	s := selectPartials(ctx, sums, vks, partials)
	if len(s.valid) < t {
		return nil, nil, nil, &InsufficientPartialsError{Threshold: t, Valid: s.valid, Missing: s.missing, Rejected: s.rejected}
	}
	used := s.valid[:t:t]
	combined, err := s.combine(used, len(sums))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("tally: combine: %w", err)
	}
	return s, used, combined, nil
}

// DecryptElements is Combine for ciphertexts whose plaintexts are group
// elements rather than small counts (the write-in texts of
// docs/spec/ranked.md §8): it verifies, selects and combines the partial
// decryptions of cts as Combine does and returns each plaintext element
// B_k − M_k, with the trustees whose decryptions were combined. Anyone
// calling it on the same public data gets the same elements.
func DecryptElements(ctx []byte, t int, cts []*crypto.Ciphertext, verificationKeys map[uint32]*crypto.Element, partials []*PartialDecryption) (plain []*crypto.Element, trustees []uint32, err error) {
	if err := checkArgs(t, cts, verificationKeys, partials); err != nil {
		return nil, nil, fmt.Errorf("tally: decrypt: %w", err)
	}
	_, used, combined, err := selectAndCombine(ctx, t, cts, verificationKeys, partials)
	if err != nil {
		return nil, nil, err
	}
	plain = make([]*crypto.Element, len(cts))
	for k, c := range cts {
		plain[k] = crypto.NewElement().Subtract(&c.B, combined[k])
	}
	return plain, slices.Clone(used), nil
}

// VerifyResult checks result against the public data, as an independent
// verifier does (docs/spec/tally.md §7): it verifies every partial
// decryption, recomputes the selection (Trustees and Rejected must match
// exactly) and the combination (Combined must match), and checks
// Counts[k]·G = B_k − Combined[k] for every position. It needs no discrete
// log solver. Mismatches are reported by an error wrapping
// ErrResultMismatch that names the field and position.
func VerifyResult(ctx []byte, t int, sums []*crypto.Ciphertext, verificationKeys map[uint32]*crypto.Element, partials []*PartialDecryption, result *Result) error {
	if err := checkArgs(t, sums, verificationKeys, partials); err != nil {
		return fmt.Errorf("tally: verify result: %w", err)
	}
	if result == nil {
		return errors.New("tally: verify result: nil result")
	}
	mismatch := func(format string, args ...any) error {
		return fmt.Errorf("tally: verify result: %w: "+format, append([]any{ErrResultMismatch}, args...)...)
	}
	n := len(sums)
	if len(result.Counts) != n || len(result.Combined) != n {
		return mismatch("%d counts and %d combined elements for %d sums", len(result.Counts), len(result.Combined), n)
	}
	s := selectPartials(ctx, sums, verificationKeys, partials)
	if !slices.Equal(result.Rejected, s.rejected) {
		return mismatch("rejected partial decryptions are %v, want %v", result.Rejected, s.rejected)
	}
	if len(s.valid) < t {
		return mismatch("only %d valid partial decryptions %v, need %d", len(s.valid), s.valid, t)
	}
	used := s.valid[:t:t]
	if !slices.Equal(result.Trustees, used) {
		return mismatch("trustees are %v, want %v", result.Trustees, used)
	}
	combined, err := s.combine(used, n)
	if err != nil {
		return fmt.Errorf("tally: verify result: %w", err)
	}
	bad := make([]string, n)
	parallel.Ranges(n, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			if result.Combined[k] == nil || result.Combined[k].Equal(combined[k]) != 1 {
				bad[k] = "combined element"
				continue
			}
			d := crypto.NewElement().Subtract(&sums[k].B, combined[k])
			v := crypto.NewElement().ScalarBaseMult(crypto.NewScalar().SetUint64(result.Counts[k]))
			if v.Equal(d) != 1 {
				bad[k] = "count " + strconv.FormatUint(result.Counts[k], 10)
			}
		}
	})
	for k, what := range bad {
		if what != "" {
			return mismatch("position %d: wrong %s", k, what)
		}
	}
	return nil
}
