// Package ballottest builds ballots for tests of what a board, a
// participant or the verifier must refuse. It is not for production use.
package ballottest

import (
	"fmt"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/crypto"
)

// Reprove returns b's ciphertexts under prev instead of b.Prev, with fresh
// valid proofs for prev: what anyone holding the credential can post once
// b's randomness s is public (a challenged ballot), or what a voter can post
// of their own ballot. The result verifies (ballot.VerifyBallot).
func Reprove(e *ballot.Election, b *ballot.EncryptedBallot, s *ballot.BallotSecrets, prev ballot.ConfirmationCode) (*ballot.EncryptedBallot, error) {
	out := &ballot.EncryptedBallot{Version: b.Version, Election: b.Election, Credential: b.Credential, Prev: prev,
		Contests: make([]ballot.EncryptedContest, len(b.Contests))}
	for i, c := range b.Contests {
		mc := e.Manifest.Contests[i]
		sumR, sum := crypto.NewScalar(), uint64(0)
		for k, o := range c.Options {
			v, r := s.Choices[i][k], s.Randomness[i][k]
			p, err := crypto.ProveRange(ballot.ProofContext(e.BaseHash, b.Credential, prev, i, k), e.PublicKey, o.Ciphertext, v, r, 0, uint64(mc.OptionMax))
			if err != nil {
				return nil, fmt.Errorf("ballottest: contest %d option %d: %w", i, k, err)
			}
			out.Contests[i].Options = append(out.Contests[i].Options, ballot.EncryptedOption{Ciphertext: o.Ciphertext, Proof: p})
			sumR.Add(sumR, r)
			sum += v
		}
		lo, hi := mc.SumRange()
		p, err := crypto.ProveRange(ballot.ProofContext(e.BaseHash, b.Credential, prev, i, ballot.SumOption), e.PublicKey, c.Sum(), sum, sumR, lo, hi)
		if err != nil {
			return nil, fmt.Errorf("ballottest: contest %d sum: %w", i, err)
		}
		out.Contests[i].SumProof = p
	}
	if err := ballot.VerifyBallot(e, out, b.Credential); err != nil {
		return nil, fmt.Errorf("ballottest: the re-proven ballot does not verify: %w", err)
	}
	return out, nil
}
