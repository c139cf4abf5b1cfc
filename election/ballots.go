package election

import (
	"crypto/ed25519"
	"errors"

	"github.com/evote/evote/ballot"
)

// VerifyBallots checks ballots against election e, each from a record
// signed by signers[i], as the board checks them before admitting them:
// the signer is on the voter roll (ineligible otherwise), and every
// proof of the ballot verifies with the signer as its credential
// (bad-proof). The proofs of all ballots are checked together in one
// ballot.BallotBatch, several times cheaper per ballot than one by one; a
// failing batch names its culprits, so that a bad ballot never fails a good
// one. It returns each ballot's verdict: nil or a *bulletin.RejectError.
//
// The board (for ballots posted at the same time), the verifier and every
// participant's replay (for runs of ballots on the board) all check
// ballots with it.
func VerifyBallots(e *ballot.Election, bs []*ballot.EncryptedBallot, signers []ed25519.PublicKey) []error {
	verdicts := make([]error, len(bs))
	batch := ballot.NewBallotBatch(e)
	added := make([]int, 0, len(bs)) // position in the batch → position in bs
	for i, b := range bs {
		if err := checkEligible(e, signers[i]); err != nil {
			verdicts[i] = err
			continue
		}
		if _, err := batch.Add(b, signers[i]); err != nil {
			verdicts[i] = rejectBallot(err)
			continue
		}
		added = append(added, i)
	}
	err := batch.Verify()
	var be *ballot.BatchError
	switch {
	case err == nil:
	case errors.As(err, &be):
		for _, f := range be.Failures {
			if i := added[f.Ballot]; verdicts[i] == nil {
				verdicts[i] = reject(CodeBadProof, "%v", f.Err)
			}
		}
	default:
		// Not a proof failure: check each ballot on its own.
		for _, i := range added {
			if err := ballot.VerifyBallot(e, bs[i], signers[i]); err != nil {
				verdicts[i] = rejectBallot(err)
			}
		}
	}
	return verdicts
}

// rejectBallot returns the refusal of a ballot or challenged ballot that
// ballot's checks refused with err: wrong-style for a ballot of another
// style than its voter's, bad-write-in for one whose write-in ciphertexts
// are missing, extra or unproved, bad-proof for anything else.
func rejectBallot(err error) error {
	switch {
	case errors.Is(err, ballot.ErrStyle):
		return reject(CodeWrongStyle, "%v", err)
	case errors.Is(err, ballot.ErrWriteIn):
		return reject(CodeBadWriteIn, "%v", err)
	}
	return reject(CodeBadProof, "%v", err)
}

// checkEligible refuses a signer who is not on e's voter roll.
func checkEligible(e *ballot.Election, signer []byte) error {
	if len(signer) != ed25519.PublicKeySize || !e.Eligible(signer) {
		return reject(CodeIneligible, "the credential %x… is not on the voter roll", signer[:min(len(signer), 8)])
	}
	return nil
}
