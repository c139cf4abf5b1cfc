package ballot

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"

	"github.com/evote/evote/crypto"
)

// Sentinel errors of ballot verification (docs/spec/ballot.md §4.4).
var (
	// ErrWrongElection means the ballot's base hash is not the election's.
	ErrWrongElection = errors.New("ballot is for another election")
	// ErrCredentialMismatch means the ballot's credential is not the key
	// that signed the record carrying it.
	ErrCredentialMismatch = errors.New("ballot credential is not the record signer")
	// ErrBadProof is wrapped by every *ProofError.
	ErrBadProof = errors.New("invalid ballot proof")
	// ErrVersion means the ballot has an unknown version.
	ErrVersion = errors.New("unknown ballot version")
)

// ProofError names the proof of a ballot that failed to verify. It wraps
// ErrBadProof and the error from package crypto.
type ProofError struct {
	Contest   int
	ContestID string
	Option    int // SumOption for the contest sum proof
	OptionID  string
	Err       error
}

// Error names the contest and option (or sum) whose proof is invalid.
func (e *ProofError) Error() string {
	return where(e.Contest, e.ContestID, e.Option, e.OptionID) + e.Err.Error()
}

// Unwrap returns ErrBadProof and the underlying error.
func (e *ProofError) Unwrap() []error { return []error{ErrBadProof, e.Err} }

// WriteInProofError names the write-in text ciphertext of a ballot whose
// proof of knowledge fails (docs/spec/ballot.md §4.4 check 7). It wraps
// ErrBadProof, ErrWriteIn and the error from package crypto.
type WriteInProofError struct {
	Contest     int // index in the manifest
	ContestID   string
	Text, Texts int // the ciphertext's index among the contest's Texts
	Err         error
}

// Error names the contest and the text ciphertext.
func (e *WriteInProofError) Error() string {
	return fmt.Sprintf("ballot: %swrite-in text %d of %d: its proof of knowledge does not verify (copied from another ballot, altered, or proved without its randomness): %v",
		where(e.Contest, e.ContestID, wholeContest, ""), e.Text, e.Texts, e.Err)
}

// Unwrap returns ErrBadProof, ErrWriteIn and the underlying error.
func (e *WriteInProofError) Unwrap() []error { return []error{ErrBadProof, ErrWriteIn, e.Err} }

// ProofRef names one proof of a ballot: Contest is the contest's index in
// the manifest, and Option is SumOption for the sum proof of the contest.
type ProofRef struct {
	Contest, Option int
}

// VerifyBallot checks a ballot posted in a record signed by signer
// (docs/spec/ballot.md §4.4): the version, the base hash (ErrWrongElection),
// the credential against signer (ErrCredentialMismatch) and the roll
// (ErrNotEligible), the ballot style the roll gives the voter (ErrStyle),
// the shape against that style's contests (ErrShape), and every
// proof (a *ProofError wrapping ErrBadProof, naming the first bad proof).
func VerifyBallot(e *Election, b *EncryptedBallot, signer ed25519.PublicKey) error {
	if err := checkSigner(b, signer); err != nil {
		return err
	}
	v, err := checkBallot(e, b)
	if err != nil {
		return err
	}
	pk := e.PublicKey
	for j, i := range v.Contests {
		mc := &e.Manifest.Contests[i]
		bc := &b.Contests[j]
		for k := range bc.Options {
			o := &bc.Options[k]
			ctx := ProofContext(e.BaseHash, b.Credential, b.Prev, i, k)
			if err := crypto.VerifyRange(ctx, pk, o.Ciphertext, 0, uint64(mc.OptionMax), o.Proof); err != nil {
				return e.proofError(ProofRef{i, k}, err)
			}
		}
		ctx := ProofContext(e.BaseHash, b.Credential, b.Prev, i, SumOption)
		lo, hi := mc.SumRange()
		if err := crypto.VerifyRange(ctx, pk, bc.Sum(), lo, hi, bc.SumProof); err != nil {
			return e.proofError(ProofRef{i, SumOption}, err)
		}
	}
	return verifyWriteIns(e, v, b)
}

// verifyWriteIns checks the proof of knowledge of every write-in text
// ciphertext of b, a ballot of v's style whose shape checkBallot checked
// (docs/spec/ballot.md §4.4 check 7). They are few, and checked one by
// one, also by the batch verifier.
func verifyWriteIns(e *Election, v Voter, b *EncryptedBallot) error {
	for j, i := range v.Contests {
		for k, t := range b.Contests[j].WriteIn {
			if err := crypto.VerifySchnorr(WriteInContext(e.BaseHash, b.Credential, b.Prev, i, k), &t.Ciphertext.A, t.Proof); err != nil {
				return &WriteInProofError{Contest: i, ContestID: e.Manifest.Contests[i].ID, Text: k, Texts: len(b.Contests[j].WriteIn), Err: err}
			}
		}
	}
	return nil
}

func (e *Election) proofError(r ProofRef, err error) *ProofError {
	mc := &e.Manifest.Contests[r.Contest]
	pe := &ProofError{Contest: r.Contest, ContestID: mc.ID, Option: r.Option, Err: err}
	if r.Option != SumOption {
		pe.OptionID = mc.Options[r.Option].ID
	}
	return pe
}

func checkSigner(b *EncryptedBallot, signer ed25519.PublicKey) error {
	if !b.Credential.Equal(signer) {
		return fmt.Errorf("ballot: %w", ErrCredentialMismatch)
	}
	return nil
}

// checkBallot runs every check of VerifyBallot but the signer and proofs,
// and returns what the roll says of the ballot's voter.
func checkBallot(e *Election, b *EncryptedBallot) (Voter, error) {
	v, err := checkBallotStyle(e, b)
	if err != nil {
		return v, err
	}
	return v, checkBallotShape(e, v, b)
}

// checkBallotStyle checks the ballot's version, election, eligibility
// and style (§4.4): the style the voter's roll entry gives (ErrStyle), and
// as many contests as that style has (ErrShape).
func checkBallotStyle(e *Election, b *EncryptedBallot) (Voter, error) {
	if b.Version != Version {
		return Voter{}, fmt.Errorf("ballot: %w %q", ErrVersion, b.Version)
	}
	if b.Election != e.BaseHash {
		return Voter{}, fmt.Errorf("ballot: %w", ErrWrongElection)
	}
	v, ok := e.Voter(b.Credential)
	if !ok {
		return v, fmt.Errorf("ballot: %w", ErrNotEligible)
	}
	if b.Style != v.Style {
		return v, fmt.Errorf("ballot: %w: the ballot is of style %q, but the voter's roll entry gives style %q", ErrStyle, b.Style, v.Style)
	}
	if len(b.Contests) != len(v.Contests) {
		return v, fmt.Errorf("ballot: %w: %d contests, the ballot of style %q has %d", ErrShape, len(b.Contests), v.Style, len(v.Contests))
	}
	return v, nil
}

// checkBallotShape checks that each contest of a ballot of v's style has
// the options and proof sizes of the manifest's contest (ErrShape).
func checkBallotShape(e *Election, v Voter, b *EncryptedBallot) error {
	m := e.Manifest
	for j, i := range v.Contests {
		mc := &m.Contests[i]
		bc := &b.Contests[j]
		if len(bc.Options) != len(mc.Options) {
			return fmt.Errorf("ballot: %s%w: %d options, the manifest has %d", where(i, mc.ID, wholeContest, ""), ErrShape, len(bc.Options), len(mc.Options))
		}
		want := crypto.RangeProofSize(0, uint64(mc.OptionMax))
		for k := range bc.Options {
			o := &bc.Options[k]
			if o.Ciphertext == nil || o.Proof == nil {
				return fmt.Errorf("ballot: %s%w: missing ciphertext or proof", where(i, mc.ID, k, mc.Options[k].ID), ErrShape)
			}
			if n := len(o.Proof.Bytes()); n != want {
				return fmt.Errorf("ballot: %s%w: proof is %d bytes, a proof for [0, %d] is %d", where(i, mc.ID, k, mc.Options[k].ID), ErrShape, n, mc.OptionMax, want)
			}
		}
		if bc.SumProof == nil {
			return fmt.Errorf("ballot: %s%w: missing proof", where(i, mc.ID, SumOption, ""), ErrShape)
		}
		lo, hi := mc.SumRange()
		want = crypto.RangeProofSize(lo, hi)
		if n := len(bc.SumProof.Bytes()); n != want {
			return fmt.Errorf("ballot: %s%w: proof is %d bytes, a proof for [%d, %d] is %d", where(i, mc.ID, SumOption, ""), ErrShape, n, lo, hi, want)
		}
		if err := checkWriteInShape(mc, bc.WriteIn); err != nil {
			return fmt.Errorf("ballot: %s%w: %w: %w", where(i, mc.ID, wholeContest, ""), ErrShape, ErrWriteIn, err)
		}
	}
	return nil
}

// checkWriteInShape checks that a ballot's contest carries the write-in
// text ciphertexts of the manifest's contest mc: m of them, each with a
// proof, if it has a write-in; none otherwise.
func checkWriteInShape(mc *Contest, w []EncryptedText) error {
	switch {
	case mc.WriteIn == nil && w != nil:
		return fmt.Errorf("the ballot carries %d write-in text ciphertexts, but the contest has no write-in", len(w))
	case mc.WriteIn == nil:
		return nil
	case w == nil:
		return fmt.Errorf("the write-in text ciphertexts are missing: the contest has a write-in of %d ciphertexts", mc.WriteIn.TextCiphertexts())
	case len(w) != mc.WriteIn.TextCiphertexts():
		return fmt.Errorf("%d write-in text ciphertexts, the contest's write-in has %d", len(w), mc.WriteIn.TextCiphertexts())
	}
	for k, t := range w {
		if t.Ciphertext == nil || t.Proof == nil {
			return fmt.Errorf("write-in text %d: missing ciphertext or proof", k)
		}
	}
	return nil
}

// AddToBatch runs every check of VerifyBallot except the signer and the
// range proofs, then queues the ballot's range proofs on bv; the few
// proofs of knowledge of its write-in texts it checks at once. The caller must check
// that b.Credential is the key that signed the record. It returns which
// proof each queued position holds: refs[j] is at position bv.Len()−len(refs)+j
// after the call. On error nothing is queued.
func AddToBatch(bv *crypto.BatchVerifier, e *Election, b *EncryptedBallot) ([]ProofRef, error) {
	v, err := checkBallot(e, b)
	if err != nil {
		return nil, err
	}
	if err := verifyWriteIns(e, v, b); err != nil {
		return nil, err
	}
	refs := make([]ProofRef, 0, len(b.Contests)*4)
	pk := e.PublicKey
	for j, i := range v.Contests {
		mc := &e.Manifest.Contests[i]
		bc := &b.Contests[j]
		for k := range bc.Options {
			o := &bc.Options[k]
			ctx := ProofContext(e.BaseHash, b.Credential, b.Prev, i, k)
			if enc := o.encoding(); enc != nil {
				bv.AddRangeEncoded(ctx, pk, o.Ciphertext, enc, 0, uint64(mc.OptionMax), o.Proof)
			} else {
				bv.AddRange(ctx, pk, o.Ciphertext, 0, uint64(mc.OptionMax), o.Proof)
			}
			refs = append(refs, ProofRef{i, k})
		}
		lo, hi := mc.SumRange()
		bv.AddRange(ProofContext(e.BaseHash, b.Credential, b.Prev, i, SumOption), pk, bc.Sum(), lo, hi, bc.SumProof)
		refs = append(refs, ProofRef{i, SumOption})
	}
	return refs, nil
}

// BallotBatch verifies the proofs of many ballots of one election at once
// with a crypto.BatchVerifier, and names the ballot and proof of every
// failure. It is not safe for concurrent use; use one per goroutine.
type BallotBatch struct {
	e    *Election
	bv   *crypto.BatchVerifier
	pos  []batchPos
	next int
}

type batchPos struct {
	ballot int
	ref    ProofRef
}

// NewBallotBatch returns an empty batch for election e.
func NewBallotBatch(e *Election) *BallotBatch {
	return &BallotBatch{e: e, bv: crypto.NewBatchVerifier()}
}

// Add runs the checks of VerifyBallot that need no proof verification on
// a ballot from a record signed by signer, and queues its proofs. It
// returns the ballot's index in the batch (counting only ballots added), or
// an error, and then queues nothing.
func (bb *BallotBatch) Add(b *EncryptedBallot, signer ed25519.PublicKey) (int, error) {
	if err := checkSigner(b, signer); err != nil {
		return -1, err
	}
	refs, err := AddToBatch(bb.bv, bb.e, b)
	if err != nil {
		return -1, err
	}
	idx := bb.next
	bb.next++
	for _, r := range refs {
		bb.pos = append(bb.pos, batchPos{idx, r})
	}
	return idx, nil
}

// Verify checks every queued proof. It returns nil if all hold, and
// otherwise a *BatchError naming each invalid proof. Call it once.
func (bb *BallotBatch) Verify() error {
	err := bb.bv.Verify()
	if err == nil {
		return nil
	}
	var be *crypto.BatchError
	if !errors.As(err, &be) {
		return fmt.Errorf("ballot batch: %w", err)
	}
	out := &BatchError{}
	for _, p := range be.Invalid {
		if p < 0 || p >= len(bb.pos) {
			return fmt.Errorf("ballot batch: invalid position %d: %w", p, err)
		}
		bp := bb.pos[p]
		out.Failures = append(out.Failures, BallotFailure{Ballot: bp.ballot, Err: bb.e.proofError(bp.ref, crypto.ErrInvalidProof)})
	}
	return out
}

// BatchError lists the invalid proofs of a BallotBatch. It wraps
// ErrBadProof.
type BatchError struct {
	Failures []BallotFailure
}

// BallotFailure is one invalid proof: the ballot's index in the batch and
// the proof.
type BallotFailure struct {
	Ballot int
	Err    *ProofError
}

// Error gives the number of invalid proofs and the first one.
func (e *BatchError) Error() string {
	if len(e.Failures) == 0 {
		return "ballot batch: invalid proofs"
	}
	f := e.Failures[0]
	s := fmt.Sprintf("ballot batch: %d invalid proofs; first: ballot %d: %v", len(e.Failures), f.Ballot, f.Err)
	return s
}

// Unwrap returns ErrBadProof.
func (e *BatchError) Unwrap() error { return ErrBadProof }

// Ballots returns the indices of the ballots with an invalid proof, in
// increasing order, each once.
func (e *BatchError) Ballots() []int {
	out := make([]int, 0, len(e.Failures))
	for _, f := range e.Failures {
		out = append(out, f.Ballot)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
