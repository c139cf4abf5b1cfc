package election_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/ballot/ballottest"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/ceremony"
	"github.com/evote/evote/crypto"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/participant"
	"github.com/evote/evote/election/simulate"
)

// board is an in-memory bulletin board running the election policy.
type board struct {
	log     *bulletin.Log
	tracker *election.Tracker
}

func newBoard(t *testing.T) *board {
	t.Helper()
	skey, _, err := note.GenerateKey(rand.Reader, "test-board")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	b := &board{tracker: new(election.Tracker)}
	b.log, err = bulletin.OpenLog(context.Background(), store.NewMemory(), b.tracker.New, bulletin.LogOptions{Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.log.Close() })
	return b
}

func newElection(t *testing.T, b *board, voters int) *simulate.Election {
	t.Helper()
	e, err := simulate.New(context.Background(), b.log.Append, b.tracker.Current, simulate.Options{Voters: voters, Trustees: 5, Threshold: 3})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantReject posts sub and checks that the board refuses it with code,
// leaving its size unchanged; it returns the refusal.
func wantReject(t *testing.T, b *board, what string, sub *bulletin.Submission, code string) error {
	t.Helper()
	size := b.log.Size()
	_, _, err := b.log.Append(context.Background(), sub)
	var rej *bulletin.RejectError
	if !errors.As(err, &rej) {
		t.Fatalf("%s: Append error = %v, want a rejection %q", what, err, code)
	}
	if rej.Code != code {
		t.Errorf("%s: rejected with %q (%s), want %q", what, rej.Code, rej.Reason, code)
	}
	if b.log.Size() != size {
		t.Errorf("%s: board grew from %d to %d records", what, size, b.log.Size())
	}
	t.Logf("%s: %v", what, err)
	return err
}

func TestWholeElection(t *testing.T) {
	ctx := context.Background()
	nVoters := 200
	if testing.Short() {
		nVoters = 30
	}
	election.SpillCountedBallots(t) // re-votes read the ballots they replace back from the file
	b := newBoard(t)
	e := newElection(t, b, nVoters)
	must(t, e.Ceremony(ctx))

	st := b.tracker.State()
	jk := st.JointKey()
	commitments, _, _ := st.Ceremony()
	sum := commitments[0].Coefficients[0]
	for _, c := range commitments[1:] {
		sum = sum.Add(sum, c.Coefficients[0])
	}
	if sum.Equal(jk.PublicKey.Element()) != 1 {
		t.Fatal("joint key is not the sum of the constant-term commitments")
	}

	must(t, e.SetPhase(ctx, election.PhaseOpen))
	for v := range nVoters {
		if _, _, err := e.Cast(ctx, v, e.RandomChoices()); err != nil {
			t.Fatal(err)
		}
	}
	// Three Benaloh challenges and two re-votes.
	for v := range 3 {
		if _, err := e.Challenge(ctx, v, e.RandomChoices()); err != nil {
			t.Fatal(err)
		}
	}
	for v := range 2 {
		if _, _, err := e.Cast(ctx, v, e.RandomChoices()); err != nil {
			t.Fatal(err)
		}
	}
	s := st.Summary()
	if s.Counted != nVoters || s.Superseded != 2 || s.Challenged != 3 || s.Ballots != nVoters+2 {
		t.Fatalf("summary = %+v, want %d counted, 2 superseded, 3 challenged", s, nVoters)
	}

	must(t, e.SetPhase(ctx, election.PhaseClosed))
	// Trustee 3 is absent at the tally.
	for _, i := range []int{1, 2, 4, 5} {
		must(t, e.Decrypt(ctx, i))
	}
	r, err := e.Tally(ctx)
	must(t, err)
	if got := r.Tally.Trustees; len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 4 {
		t.Errorf("result used trustees %v, want [1 2 4]", got)
	}
	if st.Phase() != election.Tallied {
		t.Errorf("phase = %v, want tallied", st.Phase())
	}
}

func TestBallotRejections(t *testing.T) {
	ctx := context.Background()
	b := newBoard(t)
	e := newElection(t, b, 4)
	must(t, e.Ceremony(ctx))

	voter := func(v int) election.KeySigner { return election.KeySigner(e.Voters[v].Private) }
	encrypt := func(v int) *ballot.EncryptedBallot {
		eb, _, err := e.Encrypt(ctx, v, e.RandomChoices())
		must(t, err)
		return eb
	}
	sign := func(s election.Signer, typ string, v any) *bulletin.Submission {
		sub, err := election.NewSubmission(s, typ, v)
		must(t, err)
		return sub
	}

	wantReject(t, b, "ballot before opening", sign(voter(0), election.TypeBallot, encrypt(0)), election.CodeWrongPhase)
	must(t, e.SetPhase(ctx, election.PhaseOpen))

	// A forged proof: flip one byte inside the encoded ballot's proof blob.
	good := sign(voter(0), election.TypeBallot, encrypt(0))
	forged := append([]byte(nil), good.Payload...)
	forged[len(forged)-20] ^= 'A' ^ 'B'
	if forged[len(forged)-20] == good.Payload[len(forged)-20] {
		t.Fatal("mangling did nothing")
	}
	sub := &bulletin.Submission{Type: election.TypeBallot, Payload: forged, Author: good.Author}
	sub.Sig = voter(0).Sign(bulletin.SigningMessage(sub.Type, sub.Payload))
	_, _, err := b.log.Append(ctx, sub)
	var rej *bulletin.RejectError
	if !errors.As(err, &rej) || (rej.Code != election.CodeBadProof && rej.Code != bulletin.CodeMalformed) {
		t.Errorf("forged proof: err = %v, want bad-proof or malformed", err)
	}

	// An unknown credential.
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	strangerPub := stranger.Public().(ed25519.PublicKey)
	// The stranger's device believes in a roll that includes it.
	real := b.tracker.State().Election()
	entries := []ballot.RollEntry{{Voter: "stranger", Key: strangerPub}}
	for _, v := range e.Voters {
		entries = append(entries, v.Entry())
	}
	forgedRoll, err := ballot.RollOf(real.ManifestHash, entries)
	must(t, err)
	commitments, _, _ := b.tracker.State().Ceremony()
	coeffs := make([][]*crypto.Element, len(commitments))
	for i, c := range commitments {
		coeffs[i] = c.Coefficients
	}
	fake, err := ballot.NewElection(real.Manifest, forgedRoll, real.PublicKey, coeffs)
	must(t, err)
	eb, _, err := ballot.Encrypt(fake, strangerPub, e.RandomChoices(), ballot.ConfirmationCode{})
	must(t, err)
	wantReject(t, b, "unknown credential", sign(election.KeySigner(stranger), election.TypeBallot, eb), election.CodeIneligible)

	// Another voter's ballot replayed under voter 1's signature.
	wantReject(t, b, "replayed ballot of another voter", sign(voter(1), election.TypeBallot, encrypt(0)), election.CodeBadProof)

	// Over-limit contest: Encrypt refuses to prove it.
	over := e.RandomChoices()
	for k := range over[1] {
		over[1][k] = 1 // council allows at most 3 of 10
	}
	if _, _, err := e.Encrypt(ctx, 2, over); err == nil {
		t.Error("Encrypt accepted an over-limit contest")
	}

	// A malformed body.
	bad := &bulletin.Submission{Type: election.TypeBallot, Payload: []byte(`{"version":"evote/v1"}`), Author: voter(2).PublicKey()}
	bad.Sig = voter(2).Sign(bulletin.SigningMessage(bad.Type, bad.Payload))
	wantReject(t, b, "malformed ballot", bad, bulletin.CodeMalformed)

	// A duplicate (the same ballot twice).
	ok := sign(voter(2), election.TypeBallot, encrypt(2))
	_, _, err = b.log.Append(ctx, ok)
	must(t, err)
	wantReject(t, b, "duplicate ballot", ok, bulletin.CodeDuplicate)

	// Only the official may close; then ballots are refused.
	wantReject(t, b, "close by a voter", sign(voter(3), election.TypePhase, b.tracker.State().PhaseRecord(election.PhaseClosed)), election.CodeUnauthorized)
	must(t, e.SetPhase(ctx, election.PhaseClosed))
	wantReject(t, b, "ballot after close", sign(voter(3), election.TypeBallot, encrypt(3)), election.CodeWrongPhase)
}

func TestWrongShareStopsCeremony(t *testing.T) {
	ctx := context.Background()
	b := newBoard(t)
	e := newElection(t, b, 2)
	for i := 1; i <= 5; i++ {
		if i == 2 {
			must(t, e.DealCorrupt(ctx, i, 4))
			continue
		}
		must(t, e.Deal(ctx, i))
	}
	for i := 1; i <= 5; i++ {
		must(t, e.Accept(ctx, i))
	}
	err := e.FinishCeremony(ctx)
	if err == nil {
		t.Fatal("the ceremony finished despite a wrong share")
	}
	t.Logf("official is told: %v", err)
	var ce *ceremony.ComplaintError
	if !errors.As(err, &ce) || len(ce.Accused()) != 1 || ce.Accused()[0] != 2 {
		t.Fatalf("FinishCeremony error = %v, want a complaint accusing trustee 2 only", err)
	}
	if fail := b.tracker.State().CeremonyFailure(); fail == nil {
		t.Fatal("no ceremony failure recorded")
	}
	// The official cannot post a joint key either way.
	jk, err := participant.JointKeyRecord(b.tracker.State())
	if err == nil || jk != nil {
		t.Fatal("JointKeyRecord succeeded after a complaint")
	}
}

// TestConcurrentBallotsBatchVerdicts posts good ballots and ballots with
// swapped proofs at once, so that they share verification batches, and
// checks that each gets its own verdict.
func TestConcurrentBallotsBatchVerdicts(t *testing.T) {
	ctx := context.Background()
	const voters = 24
	b := newBoard(t)
	e := newElection(t, b, voters)
	must(t, e.Ceremony(ctx))
	must(t, e.SetPhase(ctx, election.PhaseOpen))

	subs := make([]*bulletin.Submission, voters)
	bad := func(v int) bool { return v%5 == 2 }
	for v := range voters {
		eb, _, err := e.Encrypt(ctx, v, e.RandomChoices())
		must(t, err)
		if bad(v) {
			c := &eb.Contests[1]
			c.Options[0].Proof, c.Options[1].Proof = c.Options[1].Proof, c.Options[0].Proof
		}
		subs[v], err = election.NewSubmission(election.KeySigner(e.Voters[v].Private), election.TypeBallot, eb)
		must(t, err)
	}
	errs := make([]error, voters)
	var wg sync.WaitGroup
	for v := range voters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[v] = b.log.Append(ctx, subs[v])
		}()
	}
	wg.Wait()
	for v, err := range errs {
		var rej *bulletin.RejectError
		switch {
		case bad(v) && (!errors.As(err, &rej) || rej.Code != election.CodeBadProof):
			t.Errorf("voter %d's ballot with swapped proofs: err = %v, want bad-proof", v, err)
		case !bad(v) && err != nil:
			t.Errorf("voter %d's good ballot was refused: %v", v, err)
		}
	}
	good := 0
	for v := range voters {
		if !bad(v) {
			good++
		}
	}
	if got := b.tracker.State().Summary().Counted; got != good {
		t.Errorf("%d ballots counted, want %d", got, good)
	}
}

// TestOldBallotCannotReplaceNewer: a ballot that a later ballot of the same
// device already names as its predecessor (a delayed or replayed earlier
// ballot) is refused, so it cannot replace the voter's latest choice.
func TestOldBallotCannotReplaceNewer(t *testing.T) {
	ctx := context.Background()
	b := newBoard(t)
	e := newElection(t, b, 2)
	must(t, e.Ceremony(ctx))
	must(t, e.SetPhase(ctx, election.PhaseOpen))
	voter := election.KeySigner(e.Voters[0].Private)
	first, _, err := e.Encrypt(ctx, 0, e.RandomChoices())
	must(t, err)
	second, _, err := e.Encrypt(ctx, 0, e.RandomChoices())
	must(t, err)
	if second.Prev != first.ConfirmationCode() {
		t.Fatal("the device did not chain its confirmation codes")
	}
	sub, err := election.NewSubmission(voter, election.TypeBallot, second)
	must(t, err)
	_, _, err = b.log.Append(ctx, sub)
	must(t, err)
	late, err := election.NewSubmission(voter, election.TypeBallot, first)
	must(t, err)
	wantReject(t, b, "earlier ballot after its successor", late, election.CodeWrongOrder)
}

// TestOverLimitBallotRefused: a cheating client splices a fourth selected
// option (with its own valid proof) into a council ballot that allows three.
// Each option proof holds; the contest's sum proof does not, and the board
// names it.
func TestOverLimitBallotRefused(t *testing.T) {
	ctx := context.Background()
	b := newBoard(t)
	e := newElection(t, b, 1)
	must(t, e.Ceremony(ctx))
	must(t, e.SetPhase(ctx, election.PhaseOpen))
	pick := func(council ...int) ballot.Choices {
		c := ballot.NewChoices(e.Manifest)
		for _, k := range council {
			c[1][k] = 1
		}
		c[3][0], c[3][1] = 3, 2 // the budget contest needs exactly 5 points, at most 3 each
		return c
	}
	three, _, err := e.Encrypt(ctx, 0, pick(0, 1, 2))
	must(t, err)
	// The spliced option comes from a ballot of the same device chain
	// (same prev), so that its own proof holds.
	other, _, err := participant.EncryptBallot(b.tracker.State(), e.Voters[0].Public, pick(3), nil, three.Prev)
	must(t, err)
	three.Contests[1].Options[3] = other.Contests[1].Options[3]
	sub, err := election.NewSubmission(election.KeySigner(e.Voters[0].Private), election.TypeBallot, three)
	must(t, err)
	err = wantReject(t, b, "four selections where three are allowed", sub, election.CodeBadProof)
	if !strings.Contains(err.Error(), "sum") {
		t.Errorf("the refusal does not name the contest's sum proof: %v", err)
	}
}

// TestReopenedBoardRebuildsState closes a board's log and opens it again
// on the same store, as a restart does: replaying the stored records (with
// the policy's parallel Prepare) must rebuild exactly the same election
// state, sums included.
func TestReopenedBoardRebuildsState(t *testing.T) {
	ctx := context.Background()
	first, reopen := reopenableBoard(t)
	e := newElection(t, first, 12)
	must(t, e.Ceremony(ctx))
	must(t, e.SetPhase(ctx, election.PhaseOpen))
	for v := range 12 {
		_, _, err := e.Cast(ctx, v, e.RandomChoices())
		must(t, err)
	}
	_, err := e.Challenge(ctx, 0, e.RandomChoices())
	must(t, err)
	_, _, err = e.Cast(ctx, 1, e.RandomChoices())
	must(t, err)
	before := first.tracker.State()
	after := reopen()
	if b, a := before.Summary(), after.Summary(); b != a {
		t.Fatalf("state after reopening = %+v, want %+v", a, b)
	}
	bs, as := before.Sums(), after.Sums()
	for i := range bs {
		if bs[i].Equal(as[i]) != 1 {
			t.Fatalf("encrypted sum %d differs after reopening", i)
		}
	}
	if len(after.Superseded()) != 1 {
		t.Errorf("superseded ballots after reopening: %v, want one", after.Superseded())
	}
}

// reopenableBoard returns a board on a memory store, and a function that
// closes its log and opens the store again, as a restart does, and
// returns the rebuilt state.
func reopenableBoard(t *testing.T) (*board, func() *election.State) {
	t.Helper()
	skey, _, err := note.GenerateKey(rand.Reader, "test-board")
	must(t, err)
	signer, err := note.NewSigner(skey)
	must(t, err)
	mem := store.NewMemory()
	b := &board{tracker: new(election.Tracker)}
	b.log, err = bulletin.OpenLog(context.Background(), mem, b.tracker.New, bulletin.LogOptions{Signer: signer})
	must(t, err)
	return b, func() *election.State {
		t.Helper()
		b.log.Close()
		again := new(election.Tracker)
		log, err := bulletin.OpenLog(context.Background(), mem, again.New, bulletin.LogOptions{Signer: signer})
		must(t, err)
		t.Cleanup(func() { log.Close() })
		return again.State()
	}
}

// TestBallotOutsideSchedule: the board refuses ballots whose board time is
// after the definition's closing time even if the official has not posted
// the closing phase record.
func TestBallotOutsideSchedule(t *testing.T) {
	ctx := context.Background()
	skey, _, err := note.GenerateKey(rand.Reader, "test-board")
	must(t, err)
	signer, err := note.NewSigner(skey)
	must(t, err)
	var clock atomic.Pointer[time.Time]
	now := time.Now()
	clock.Store(&now)
	b := &board{tracker: new(election.Tracker)}
	b.log, err = bulletin.OpenLog(ctx, store.NewMemory(), b.tracker.New, bulletin.LogOptions{
		Signer: signer,
		Now:    func() time.Time { return *clock.Load() },
	})
	must(t, err)
	defer b.log.Close()
	e := newElection(t, b, 2)
	// The definition opens at the second it was made, which may be after
	// now: vote at the opening itself.
	opens := e.Manifest.Opens
	clock.Store(&opens)
	must(t, e.Ceremony(ctx))
	must(t, e.SetPhase(ctx, election.PhaseOpen))
	_, _, err = e.Cast(ctx, 0, e.RandomChoices())
	must(t, err)

	late := e.Manifest.Closes.Add(time.Second)
	clock.Store(&late)
	eb, _, err := e.Encrypt(ctx, 1, e.RandomChoices())
	must(t, err)
	sub, err := election.NewSubmission(election.KeySigner(e.Voters[1].Private), election.TypeBallot, eb)
	must(t, err)
	wantReject(t, b, "ballot after the closing time", sub, election.CodeWrongPhase)
}

// TestChallengedCiphertextsNeverCount: a voter challenges a ballot, so its
// randomness is public. Whoever holds the credential re-posts its
// ciphertexts under another prev with fresh, valid proofs (a new
// confirmation code): the board refuses, since what they encrypt is public.
func TestChallengedCiphertextsNeverCount(t *testing.T) {
	ctx := context.Background()
	b := newBoard(t)
	e := newElection(t, b, 2)
	must(t, e.Ceremony(ctx))
	must(t, e.SetPhase(ctx, election.PhaseOpen))
	st := b.tracker.State()
	voter := election.KeySigner(e.Voters[0].Private)
	x, secrets, err := participant.EncryptBallot(st, voter.PublicKey(), e.RandomChoices(), nil, ballot.ConfirmationCode{})
	must(t, err)
	sub, err := election.NewSubmission(voter, election.TypeChallenge, ballot.Challenge(x, secrets))
	must(t, err)
	challenge, _, err := b.log.Append(ctx, sub)
	must(t, err)

	// With only prev changed, the proofs no longer hold (prev is in their context).
	moved := *x
	moved.Prev = x.ConfirmationCode()
	sub, err = election.NewSubmission(voter, election.TypeBallot, &moved)
	must(t, err)
	wantReject(t, b, "challenged ciphertexts under another prev", sub, election.CodeBadProof)

	// Re-proven, they are refused as public.
	recast, err := ballottest.Reprove(st.Election(), x, secrets, x.ConfirmationCode())
	must(t, err)
	sub, err = election.NewSubmission(voter, election.TypeBallot, recast)
	must(t, err)
	err = wantReject(t, b, "challenged ciphertexts re-proven under another prev", sub, bulletin.CodeDuplicate)
	if !strings.Contains(err.Error(), fmt.Sprintf("challenged ballot of record %d", challenge.Index)) {
		t.Errorf("the refusal does not name the challenge: %v", err)
	}
}

// TestChallengedTwinRefused: a voter casts a ballot, then posts a
// challenge revealing the same ciphertexts under another prev — evidence
// of the counted vote, on the board, for a vote buyer. Refused.
func TestChallengedTwinRefused(t *testing.T) {
	ctx := context.Background()
	b := newBoard(t)
	e := newElection(t, b, 2)
	must(t, e.Ceremony(ctx))
	must(t, e.SetPhase(ctx, election.PhaseOpen))
	st := b.tracker.State()
	voter := election.KeySigner(e.Voters[1].Private)
	x, secrets, err := participant.EncryptBallot(st, voter.PublicKey(), e.RandomChoices(), nil, ballot.ConfirmationCode{})
	must(t, err)
	sub, err := election.NewSubmission(voter, election.TypeBallot, x)
	must(t, err)
	cast, _, err := b.log.Append(ctx, sub)
	must(t, err)
	twin := *x
	twin.Prev = x.ConfirmationCode()
	sub, err = election.NewSubmission(voter, election.TypeChallenge, ballot.Challenge(&twin, secrets))
	must(t, err)
	err = wantReject(t, b, "a challenged twin of a cast ballot", sub, bulletin.CodeDuplicate)
	if !strings.Contains(err.Error(), fmt.Sprintf("cast as record %d", cast.Index)) {
		t.Errorf("the refusal does not name the cast ballot: %v", err)
	}
}

// TestDeviceChainsArePerCredential: the board withholds a victim's ballot
// B1, the victim votes again with B2 (whose prev names B1's code), and the
// board wants B1 appended after B2 so that the older choice counts. A
// colluding credential first posts a challenge naming B1's code as its own
// prev, to take that code's place in the device-order rule. Each
// credential's device chain is its own, so B1 is still refused.
func TestDeviceChainsArePerCredential(t *testing.T) {
	ctx := context.Background()
	b := newBoard(t)
	e := newElection(t, b, 2)
	must(t, e.Ceremony(ctx))
	must(t, e.SetPhase(ctx, election.PhaseOpen))
	st := b.tracker.State()
	victim, colluder := election.KeySigner(e.Voters[0].Private), election.KeySigner(e.Voters[1].Private)
	b1, _, err := participant.EncryptBallot(st, victim.PublicKey(), e.RandomChoices(), nil, ballot.ConfirmationCode{})
	must(t, err)
	decoy, secrets, err := participant.EncryptBallot(st, colluder.PublicKey(), e.RandomChoices(), nil, b1.ConfirmationCode())
	must(t, err)
	sub, err := election.NewSubmission(colluder, election.TypeChallenge, ballot.Challenge(decoy, secrets))
	must(t, err)
	_, _, err = b.log.Append(ctx, sub)
	must(t, err)
	b2, _, err := participant.EncryptBallot(st, victim.PublicKey(), e.RandomChoices(), nil, b1.ConfirmationCode())
	must(t, err)
	sub, err = election.NewSubmission(victim, election.TypeBallot, b2)
	must(t, err)
	second, _, err := b.log.Append(ctx, sub)
	must(t, err)
	sub, err = election.NewSubmission(victim, election.TypeBallot, b1)
	must(t, err)
	wantReject(t, b, "the victim's withheld ballot after its successor", sub, election.CodeWrongOrder)
	if idx, _ := st.CastBallot(victim.PublicKey()); idx != second.Index {
		t.Errorf("the victim's counted ballot is record %d, want their latest, %d", idx, second.Index)
	}
}
