// Package participant holds the steps of an election's participants: the
// trustees' key ceremony (docs/spec/ceremony.md §6) and partial decryption
// (tally.md §3), the official's joint key and result (tally.md §6), and the
// voter's ballot encryption (ballot.md §4).
//
// Each step reads an election.State that the caller has verified (a
// follow.Follower's, as election.md §6 requires, or in tests the board's
// own) and computes the record the participant posts. The rules that decide what the board admits stay
// in package election: a participant's step only prepares a record that
// those rules will admit. The CLI (cmd/evote) and the simulation
// (election/simulate) both act through this package, so that a
// participant's sequence, such as the trustee's "save, then post"
// (Trustee), is written once.
//
// The voter's page does not use this package: package voterclient
// encrypts from the election context it reads (ballot.Encrypt), not from a
// replayed State.
package participant

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/ceremony"
	"github.com/evote/evote/crypto"
	"github.com/evote/evote/election"
	"github.com/evote/evote/tally"
)

// Deal runs trustee index's first ceremony step (docs/spec/ceremony.md §6,
// step 2): its commitments and the shares it sends the other trustees, and
// the dealer secret it must keep until Receive. Trustee.Deal keeps the
// secret before posting; call Deal directly only to inspect or tamper with
// the messages.
func Deal(st *election.State, index uint32) (*ceremony.Commitments, *ceremony.Shares, *ceremony.DealerSecret, error) {
	if ph := st.Phase(); ph != election.Ceremony {
		return nil, nil, nil, fmt.Errorf("deal: the election is %s, not in its key ceremony", ph)
	}
	m, mh := st.Manifest(), st.ManifestHash()
	pubs := make([]*ceremony.TrusteePublicKey, len(m.Trustees))
	for i, t := range m.Trustees {
		pubs[i] = &ceremony.TrusteePublicKey{SignKey: t.SignKey, EncKey: t.EncKey}
	}
	return ceremony.Deal(mh[:], index, m.Threshold, len(m.Trustees), pubs)
}

// Receive runs a trustee's second ceremony step (docs/spec/ceremony.md §6,
// step 3) once every trustee's commitments and shares are on the board
// (State.CeremonyComplete): it opens and checks the shares addressed to
// it, and returns its secret share and its verdict. The share is nil if
// the verdict complains.
func Receive(st *election.State, keys *ceremony.TrusteeKeys, own *ceremony.DealerSecret) (*ceremony.TrusteeShare, *ceremony.Verdict, error) {
	mh := st.ManifestHash()
	commitments, shares, _ := st.Ceremony()
	return ceremony.Receive(mh[:], keys, own, commitments, shares)
}

// JointKeyRecord computes the joint key record the official posts once
// every trustee accepted (State.VerdictsComplete). It fails, naming the
// accused (a *ceremony.ComplaintError), if any trustee complained.
func JointKeyRecord(st *election.State) (*ceremony.JointKey, error) {
	if ph := st.Phase(); ph != election.Ceremony {
		return nil, fmt.Errorf("joint key: the election is %s, not in its key ceremony", ph)
	}
	m, mh := st.Manifest(), st.ManifestHash()
	commitments, _, verdicts := st.Ceremony() // copies
	n := len(verdicts)
	posted := slices.DeleteFunc(verdicts, func(v *ceremony.Verdict) bool { return v == nil })
	if err := ceremony.CheckVerdicts(mh[:], n, posted); err != nil {
		return nil, fmt.Errorf("joint key: %w", err)
	}
	return ceremony.ComputeJointKey(mh[:], m.Threshold, len(m.Trustees), commitments)
}

// EncryptBallot encrypts a voter's choices and write-in texts (nil for
// none; ballot.EncryptWriteIns) for the election of st, on the voter's
// device. prev is the device's previous confirmation code (zero for its
// first ballot).
func EncryptBallot(st *election.State, cred ed25519.PublicKey, choices ballot.Choices, writeIns ballot.WriteIns, prev ballot.ConfirmationCode) (*ballot.EncryptedBallot, *ballot.BallotSecrets, error) {
	e := st.Election()
	if e == nil {
		return nil, nil, fmt.Errorf("encrypt: the election key is not ready (the election is %s)", st.Phase())
	}
	return ballot.EncryptWriteIns(e, cred, choices, writeIns, prev)
}

// PartialDecryption computes a trustee's partial decryption of the
// encrypted sums once voting has closed, naming the closing record
// (docs/spec/election.md §2.3). The sums are the state's own, recomputed
// from the ballots it admitted, and the closing record was admitted only
// because it names those very sums and every record before it. It refuses
// below the definition's privacy floor (State.CheckPrivacyFloor).
// Trustee.Decrypt computes and posts it.
func PartialDecryption(st *election.State, share *ceremony.TrusteeShare) (*election.PartialRecord, error) {
	if ph := st.Phase(); ph != election.Closed {
		return nil, fmt.Errorf("partial decryption: the election is %s; trustees decrypt once voting has closed", ph)
	}
	if err := st.CheckPrivacyFloor(); err != nil {
		return nil, fmt.Errorf("partial decryption refused: %w", err)
	}
	e := st.Election()
	p, err := tally.NewPartialDecryption(e.BaseHash[:], share.Index(), share.Secret(), st.Sums())
	if err != nil {
		return nil, err
	}
	bh, closing := closedRefs(st)
	return &election.PartialRecord{Election: bh, Close: closing, Partial: p}, nil
}

// closedRefs returns how the records made after the close name the
// election and the closing record: the base hash and CloseHash, in hex.
func closedRefs(st *election.State) (baseHash, closing string) {
	e := st.Election()
	c, _, _ := st.Closing()
	return hex.EncodeToString(e.BaseHash[:]), hex.EncodeToString(c[:])
}

// ComputeResult combines the posted partial decryptions into the result
// record the official posts (docs/spec/tally.md §5, §6). Invalid partials are
// named in the result and ignored; fewer than t valid ones is an error
// naming the missing trustees.
func ComputeResult(st *election.State) (*election.ResultRecord, error) {
	if ph := st.Phase(); ph != election.Closed {
		return nil, fmt.Errorf("result: the election is %s; the result is computed once voting has closed", ph)
	}
	m, e := st.Manifest(), st.Election()
	// The counts are at most option_max times the weight of the ballots
	// carrying their contest (State.MaxCounts).
	solver := crypto.NewDlogSolver(max(1, slices.Max(st.MaxCounts())))
	r, err := tally.Combine(e.BaseHash[:], m.Threshold, st.Sums(), st.VerificationKeys(), st.Partials(), solver)
	if err != nil {
		return nil, err
	}
	return &election.ResultRecord{Election: hex.EncodeToString(e.BaseHash[:]), Tally: r, Contests: st.ResultContests()}, nil
}

// Mix re-encrypts and shuffles the ballots of the mix-net contest at
// manifest index contest as trustee index, the contest's next mix
// (docs/spec/election.md §2.5): its input is st.MixInput, its proof of
// shuffle is bound to MixContext. The shuffle's randomness is drawn from
// crypto/rand and forgotten, so nothing needs saving before the record is
// posted: a mix lost before posting is simply made afresh.
func Mix(st *election.State, index uint32, contest int) (*election.MixRecord, error) {
	if ph := st.Phase(); ph < election.Closed {
		return nil, fmt.Errorf("mix: the election is %s; trustees mix once voting has closed", ph)
	}
	in, err := st.MixInput(contest)
	if err != nil {
		return nil, fmt.Errorf("mix: %w", err)
	}
	e := st.Election()
	n := len(st.Mixes(contest)) + 1
	out, proof := crypto.ShuffleList(election.MixContext(e.BaseHash, contest, n, index), e.PublicKey, in)
	bh, closing := closedRefs(st)
	return &election.MixRecord{
		Election: bh,
		Close:    closing,
		Contest:  st.Manifest().Contests[contest].ID,
		Mix:      n,
		Trustee:  index,
		Output:   out.Bytes(),
		Proof:    proof.Bytes(),
	}, nil
}

// MixDecryption computes trustee share's partial decryption of the
// output of the last mix of the mix-net contest at manifest index contest
// (docs/spec/election.md §2.6): one Chaum–Pedersen proof per ciphertext,
// bound to MixDecryptionContext. It refuses below the contest's privacy
// floor and before the contest has threshold mixes (State.MixOutput).
func MixDecryption(st *election.State, share *ceremony.TrusteeShare, contest int) (*election.MixDecryptionRecord, error) {
	cts, mixes, ctx, err := st.MixOutput(contest)
	if err != nil {
		return nil, fmt.Errorf("mix decryption: %w", err)
	}
	p, err := tally.NewPartialDecryption(ctx, share.Index(), share.Secret(), cts)
	if err != nil {
		return nil, err
	}
	bh, closing := closedRefs(st)
	return &election.MixDecryptionRecord{Election: bh, Close: closing, Contest: st.Manifest().Contests[contest].ID, Mixes: mixes, Partial: p}, nil
}

// ComputeRankedResult combines the posted partial decryptions of the
// ranked contest at manifest index contest into its decrypted ranks, and
// counts them by the contest's method (election.CountRanked): the record
// the official posts (docs/spec/election.md §2.7).
func ComputeRankedResult(st *election.State, contest int) (*election.RankedResultRecord, error) {
	cts, mixes, ctx, err := st.MixOutput(contest)
	if err != nil {
		return nil, fmt.Errorf("ranked result: %w", err)
	}
	m, e := st.Manifest(), st.Election()
	mc := &m.Contests[contest]
	r, err := tally.Combine(ctx, m.Threshold, cts, st.VerificationKeys(), st.MixPartials(contest), crypto.NewDlogSolver(uint64(mc.OptionMax)))
	if err != nil {
		return nil, fmt.Errorf("ranked result of contest %q: %w", mc.ID, err)
	}
	w := len(mc.Options)
	var ranks [][]uint64
	for i := 0; i+w <= len(r.Counts); i += w {
		ranks = append(ranks, r.Counts[i:i+w])
	}
	count, err := election.CountRanked(mc, election.RankedSeed(e.BaseHash, mc.ID), ranks)
	if err != nil {
		return nil, err
	}
	enc, err := json.Marshal(count)
	if err != nil {
		return nil, err
	}
	return &election.RankedResultRecord{Election: hex.EncodeToString(e.BaseHash[:]), Contest: mc.ID, Mixes: mixes, Ranks: r, Count: enc}, nil
}

// ComputeWriteInResult decrypts the last mix's output of the contest at
// manifest index contest, which has a write-in, from the posted partial
// decryptions, and counts its write-ins (election.CountWriteIns): the
// record the official posts (docs/spec/election.md §2.8).
func ComputeWriteInResult(st *election.State, contest int) (*election.WriteInResultRecord, error) {
	_, mixes, _, err := st.MixOutput(contest)
	if err != nil {
		return nil, fmt.Errorf("write-in result: %w", err)
	}
	used, count, err := st.DecryptWriteIns(contest)
	if err != nil {
		return nil, fmt.Errorf("write-in result: %w", err)
	}
	enc, err := json.Marshal(count)
	if err != nil {
		return nil, err
	}
	e := st.Election()
	return &election.WriteInResultRecord{Election: hex.EncodeToString(e.BaseHash[:]), Contest: st.Manifest().Contests[contest].ID, Mixes: mixes, Trustees: used, Count: enc}, nil
}
