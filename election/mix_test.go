package election_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/crypto"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/participant"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/tally"
	"github.com/evote/evote/tally/ranked"
)

// rankedContests are two homomorphic contests of the sample and a ranked
// one, counted by IRV, ranking up to 3 of 4 candidates.
func rankedContests() []ballot.Contest {
	cs := simulate.SampleContests()[:2]
	var opts []ballot.Option
	for _, id := range []string{"ann", "ben", "cat", "dov"} {
		opts = append(opts, ballot.Option{ID: id, Title: "Candidate " + id})
	}
	return append(cs, ballot.Contest{ID: "chair", Title: "Chair (rank up to 3)", Kind: ballot.KindRanked, Method: ballot.MethodIRV,
		MaxSelections: 3, OptionMax: 3, Options: opts})
}

const rankedContest = 2 // the index of the ranked contest of rankedContests

// closedRankedElection runs an election of rankedContests to its close:
// every voter casts, and voter 0 votes again.
func closedRankedElection(t *testing.T, voters int) (*board, *simulate.Election) {
	t.Helper()
	return closedElection(t, voters, rankedContests(), 0, func(e *simulate.Election, _ int, _ bool) ballot.Choices { return e.RandomChoices() })
}

// closedElection runs an election of contests, 3 trustees of threshold 2,
// to its close: every voter v casts choose(e, v, false), then voter
// revoter votes again, choose(e, revoter, true).
func closedElection(t *testing.T, voters int, contests []ballot.Contest, revoter int, choose func(e *simulate.Election, v int, again bool) ballot.Choices) (*board, *simulate.Election) {
	t.Helper()
	ctx := context.Background()
	b := newBoard(t)
	e, err := simulate.New(ctx, b.log.Append, b.tracker.Current, simulate.Options{Voters: voters, Trustees: 3, Threshold: 2, Contests: contests})
	must(t, err)
	must(t, e.Ceremony(ctx))
	must(t, e.SetPhase(ctx, election.PhaseOpen))
	for v := range voters {
		_, _, err := e.Cast(ctx, v, choose(e, v, false))
		must(t, err)
	}
	_, _, err = e.Cast(ctx, revoter, choose(e, revoter, true))
	must(t, err)
	must(t, e.SetPhase(ctx, election.PhaseClosed))
	return b, e
}

// TestMixRanked: after the close, the first mix's input is the counted
// ballots' rank vectors (the re-vote's, not the superseded ballot's), the
// trustees mix in turn, each mix's input is the output before, and a
// trustee does not mix a contest twice.
func TestMixRanked(t *testing.T) {
	ctx := context.Background()
	b, e := closedRankedElection(t, 10)
	st := boardState(t, b)
	in, err := st.MixInput(rankedContest)
	must(t, err)
	if in.Len() != 10 || in.Width() != 4 {
		t.Fatalf("first mix input: %d ballots of %d, want 10 of 4", in.Len(), in.Width())
	}
	if _, err := st.MixInput(0); err == nil {
		t.Errorf("MixInput(a homomorphic contest) = nil error")
	}
	must(t, e.Mix(ctx, 1))
	st = boardState(t, b)
	out, err := st.MixInput(rankedContest)
	must(t, err)
	if out.Len() != 10 || bytes.Equal(out.Bytes(), in.Bytes()) {
		t.Fatalf("after the first mix, the next input is not a new list of 10 ballots")
	}
	if got := st.Mixes(rankedContest); len(got) != 1 || got[0] != 1 {
		t.Errorf("Mixes = %v, want [1]", got)
	}
	must(t, e.Mix(ctx, 3))
	st = boardState(t, b)
	if got := st.Mixes(rankedContest); len(got) != 2 || got[1] != 3 {
		t.Errorf("Mixes = %v, want [1 3]", got)
	}
	// The same trustee again: refused as a duplicate.
	m, err := participant.Mix(st, 1, rankedContest)
	must(t, err)
	wantReject(t, b, "trustee 1 mixing twice", submission(t, election.TrusteeSigner{Keys: e.Trustees[0]}, m), bulletin.CodeDuplicate)
	// Every record verifies again from the board alone.
	replayBoard(t, b)
}

func submission(t *testing.T, s election.Signer, v any) *bulletin.Submission {
	t.Helper()
	sub, err := election.NewSubmission(s, election.TypeMix, v)
	must(t, err)
	return sub
}

// TestMixTampered: a mix that drops, duplicates, replaces or alters one
// ballot is refused and named (bad-mix), as are a mix out of order, by
// someone who is not a trustee, for another trustee, or of a contest that
// is not ranked.
func TestMixTampered(t *testing.T) {
	b, e := closedRankedElection(t, 10)
	st := boardState(t, b)
	pk := st.Election().PublicKey
	good, err := participant.Mix(st, 2, rankedContest)
	must(t, err)
	const size = 4 * crypto.CiphertextSize // one ballot of the list
	trustee2 := election.TrusteeSigner{Keys: e.Trustees[1]}
	mangle := func(f func(m *election.MixRecord)) *election.MixRecord {
		m := *good
		m.Output = bytes.Clone(good.Output)
		f(&m)
		return &m
	}
	encrypt := func(v uint64) []byte {
		ct, _ := pk.Encrypt(v)
		return ct.Bytes()
	}
	for _, tt := range []struct {
		name   string
		m      *election.MixRecord
		signer election.Signer
		code   string
		reason string
	}{
		{"drops a ballot", mangle(func(m *election.MixRecord) { m.Output = m.Output[:9*size] }), trustee2, election.CodeBadMix, "the mix drops ballots: its output has 9 ballots, its input 10"},
		{"adds a ballot", mangle(func(m *election.MixRecord) { m.Output = append(m.Output, m.Output[:size]...) }), trustee2, election.CodeBadMix, "the mix adds ballots: its output has 11 ballots"},
		{"duplicates a ballot", mangle(func(m *election.MixRecord) { copy(m.Output[3*size:4*size], m.Output[:size]) }), trustee2, election.CodeBadMix, "duplicates a ballot: output ballot 3 repeats output ballot 0"},
		{"replaces a ballot", mangle(func(m *election.MixRecord) {
			for k := range 4 { // a fresh ballot ranking candidate 0 first
				copy(m.Output[5*size+k*crypto.CiphertextSize:], encrypt(map[bool]uint64{true: 1}[k == 0]))
			}
		}), trustee2, election.CodeBadMix, "is not a shuffle of its input"},
		{"alters a ballot", mangle(func(m *election.MixRecord) {
			ct, err := new(crypto.Ciphertext).SetBytes(m.Output[7*size : 7*size+crypto.CiphertextSize])
			must(t, err)
			one, err := new(crypto.Ciphertext).SetBytes(encrypt(1))
			must(t, err)
			copy(m.Output[7*size:], ct.Add(ct, one).Bytes()) // one rank more for candidate 0
		}), trustee2, election.CodeBadMix, "is not a shuffle of its input"},
		{"another closing", mangle(func(m *election.MixRecord) { m.Close = strings.Repeat("ab", 32) }), trustee2, election.CodeStale, "mixes the ballots of another history"},
		{"out of order", mangle(func(m *election.MixRecord) { m.Mix = 2 }), trustee2, election.CodeWrongOrder, "the next is 1"},
		{"not a trustee", good, e.Official, election.CodeUnauthorized, "only a trustee"},
		{"for another trustee", good, election.TrusteeSigner{Keys: e.Trustees[0]}, election.CodeUnauthorized, "trustee 1 may not post a mix for trustee 2"},
		{"homomorphic contest", mangle(func(m *election.MixRecord) { m.Contest = "mayor" }), trustee2, bulletin.CodeMalformed, `no mix-net contest "mayor"`},
		{"another trustee's proof", mangle(func(m *election.MixRecord) { m.Trustee = 1 }), election.TrusteeSigner{Keys: e.Trustees[0]}, election.CodeBadMix, "is not a shuffle"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantRejectReason(t, b, tt.name, submission(t, tt.signer, tt.m), tt.code, tt.reason)
		})
	}
	// The untampered mix is admitted.
	_, _, err = b.log.Append(context.Background(), submission(t, trustee2, good))
	must(t, err)
}

// wantRejectReason is wantReject that also wants reason in the rejection.
func wantRejectReason(t *testing.T, b *board, what string, sub *bulletin.Submission, code, reason string) {
	t.Helper()
	err := wantReject(t, b, what, sub, code)
	if err != nil && !strings.Contains(err.Error(), reason) {
		t.Errorf("%s: rejected as %v, want a reason containing %q", what, err, reason)
	}
}

// boardRecords returns every record of b.
func boardRecords(t *testing.T, b *board) []*bulletin.Record {
	t.Helper()
	var recs []*bulletin.Record
	for i := range b.log.Size() {
		rec, err := b.log.Record(context.Background(), i)
		must(t, err)
		recs = append(recs, rec)
	}
	return recs
}

// replayBoard replays b's records from scratch, as a verifier does, and
// fails unless every one is admitted.
func replayBoard(t *testing.T, b *board) *election.State {
	t.Helper()
	r := election.NewReplay(election.ReplayOptions{})
	errs, all := outcomes(r, boardRecords(t, b), 50)
	if !all {
		t.Fatalf("replay stopped after %d records", len(errs))
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("replay: record %d refused: %v", i, err)
		}
	}
	return r.State()
}

// boardState returns b's current state.
func boardState(t *testing.T, b *board) *election.State {
	t.Helper()
	st, err := b.tracker.Current(context.Background())
	must(t, err)
	return st
}

// TestRankedElection runs a whole election with a ranked contest beside
// homomorphic ones: the trustees mix it in turn, decrypt the last mix
// with proofs, the official posts the decrypted ballots and their count by
// IRV, and the homomorphic result; a replay of the board from scratch
// admits every record. A decryption with a wrong share, a tampered rank
// or a tampered count is refused and named.
func TestRankedElection(t *testing.T) {
	ctx := context.Background()
	b, e := closedRankedElection(t, 10)
	must(t, e.Mix(ctx, 1))
	st := boardState(t, b)
	if _, _, _, err := st.MixOutput(rankedContest); err == nil {
		t.Errorf("MixOutput after 1 mix of a threshold of 2 = nil error")
	}
	must(t, e.Mix(ctx, 3))
	st = boardState(t, b)
	cts, mixes, dctx, err := st.MixOutput(rankedContest)
	must(t, err)
	if len(cts) != 10*4 || mixes != 2 {
		t.Fatalf("MixOutput: %d ciphertexts of mix %d, want 40 of mix 2", len(cts), mixes)
	}

	// Trustee 2 decrypting with trustee 1's share: its proofs fail
	// against trustee 2's verification key.
	wrong, err := participant.MixDecryption(st, e.Shares[0], rankedContest)
	must(t, err)
	wrong.Partial, err = tally.NewPartialDecryption(dctx, 2, e.Shares[0].Secret(), cts)
	must(t, err)
	sub, err := election.NewSubmission(election.TrusteeSigner{Keys: e.Trustees[1]}, election.TypeMixDecryption, wrong)
	must(t, err)
	wantRejectReason(t, b, "a decryption with a wrong share", sub, election.CodeBadProof, `trustee 2's decryption of contest "chair"`)

	must(t, e.DecryptMixes(ctx, 1))
	st = boardState(t, b)
	// No mix after the first decryption.
	late, err := participant.Mix(st, 2, rankedContest)
	must(t, err)
	wantRejectReason(t, b, "a mix after a decryption", submission(t, election.TrusteeSigner{Keys: e.Trustees[1]}, late), election.CodeWrongPhase, "no mix comes after the first decryption")
	// So a trustee who comes late mixes nothing, and says nothing is wrong.
	if participant.MixOpen(st, rankedContest) {
		t.Errorf("MixOpen after the first decryption = true")
	}
	size := b.log.Size()
	must(t, e.Mix(ctx, 2))
	if b.log.Size() != size {
		t.Errorf("Trustee.Mix after the first decryption posted %d records", b.log.Size()-size)
	}
	must(t, e.DecryptMixes(ctx, 2))
	st = boardState(t, b)

	good, err := participant.ComputeRankedResult(st, rankedContest)
	must(t, err)
	for _, tt := range []struct {
		name   string
		change func(r *election.RankedResultRecord)
		reason string
	}{
		{"a rank changed", func(r *election.RankedResultRecord) {
			r.Ranks = cloneResult(r.Ranks)
			r.Ranks.Counts[0] ^= 1
		}, "the decrypted ranks of contest \"chair\" do not follow from the board"},
		{"the count changed", func(r *election.RankedResultRecord) {
			r.Count = bytes.Replace(r.Count, []byte(`"ballots":10`), []byte(`"ballots":11`), 1)
		}, "does not follow from its decrypted ballots by method \"irv\""},
	} {
		r := *good
		tt.change(&r)
		sub, err := election.NewSubmission(e.Official, election.TypeRankedResult, &r)
		must(t, err)
		wantRejectReason(t, b, tt.name, sub, election.CodeBadProof, tt.reason)
	}

	rs, err := e.CountRanked(ctx)
	must(t, err)
	if len(rs) != 1 || !bytes.Contains(rs[0].Count, []byte(`"method":"irv"`)) {
		t.Fatalf("CountRanked = %d results", len(rs))
	}
	var count election.RankedCount
	must(t, json.Unmarshal(rs[0].Count, &count))
	if count.IRV == nil || count.Ballots != 10 || len(count.Discarded) != 0 {
		t.Errorf("count %s: want an IRV result of 10 ballots, none discarded", rs[0].Count)
	}
	for i := 1; i <= 2; i++ {
		must(t, e.Decrypt(ctx, i))
	}
	_, err = e.Tally(ctx)
	must(t, err)
	st = replayBoard(t, b)
	if st.RankedResult(rankedContest) == nil || st.Phase() != election.Tallied {
		t.Errorf("the replayed state has no ranked result or is %s", st.Phase())
	}
}

func cloneResult(r *tally.Result) *tally.Result {
	c := *r
	c.Counts = append([]uint64(nil), r.Counts...)
	return &c
}

// TestRankedAllBlank: a ranked contest in which every counted ballot
// ranks nobody is still counted, electing nobody, so the election can be
// tallied; the board checks that count as any other.
func TestRankedAllBlank(t *testing.T) {
	ctx := context.Background()
	b, e := closedElection(t, 4, rankedContests(), 0, func(e *simulate.Election, _ int, _ bool) ballot.Choices {
		ch := e.RandomChoices()
		clear(ch[rankedContest])
		return ch
	})
	must(t, e.Mix(ctx, 1))
	must(t, e.Mix(ctx, 2))
	must(t, e.DecryptMixes(ctx, 1))
	must(t, e.DecryptMixes(ctx, 2))
	rs, err := e.CountRanked(ctx)
	must(t, err)
	var count election.RankedCount
	must(t, json.Unmarshal(rs[0].Count, &count))
	if count.Ballots != 4 || count.IRV != nil || len(count.Discarded) != 0 {
		t.Errorf("count %s: want 4 blank ballots and no IRV result", rs[0].Count)
	}
	for i := 1; i <= 2; i++ {
		must(t, e.Decrypt(ctx, i))
	}
	_, err = e.Tally(ctx)
	must(t, err)
	if st := replayBoard(t, b); st.Phase() != election.Tallied || st.RankedResult(rankedContest) == nil {
		t.Errorf("the replayed state is %s, ranked result %v", st.Phase(), st.RankedResult(rankedContest))
	}
}

// TestSnapshotRankedContest: a state saved after any record of the mixes,
// decryptions and count of a ranked contest restores (the records are
// re-admitted through the rules) and then judges the later records as
// the state that never stopped.
func TestSnapshotRankedContest(t *testing.T) {
	ctx := context.Background()
	b, e := closedRankedElection(t, 10)
	closing := b.log.Size() - 1
	must(t, e.Mix(ctx, 1))
	must(t, e.Mix(ctx, 2))
	must(t, e.DecryptMixes(ctx, 2))
	must(t, e.DecryptMixes(ctx, 3))
	_, err := e.CountRanked(ctx)
	must(t, err)
	checkSnapshots(t, b, closing, func(st *election.State) bool {
		return len(st.Mixes(rankedContest)) == 2 && st.RankedResult(rankedContest) != nil && len(st.MixPartials(rankedContest)) == 2
	})
}

// TestSnapshotWriteInContest: likewise for the mixes, decryptions and
// write-in count of a contest with a write-in, whose counted ballots'
// text ciphertexts the snapshot keeps.
func TestSnapshotWriteInContest(t *testing.T) {
	ctx := context.Background()
	b, e := closedWriteInElection(t, 10)
	closing := b.log.Size() - 1
	must(t, e.Mix(ctx, 3))
	must(t, e.Mix(ctx, 1))
	must(t, e.DecryptMixes(ctx, 1))
	must(t, e.DecryptMixes(ctx, 2))
	_, err := e.CountWriteIns(ctx)
	must(t, err)
	checkSnapshots(t, b, closing, func(st *election.State) bool {
		return len(st.Mixes(writeInContest)) == 2 && st.WriteInResult(writeInContest) != nil && len(st.MixPartials(writeInContest)) == 2
	})
}

// checkSnapshots saves the state of b after each record from closing on,
// restores it, has the restored state judge every later record, and
// checks done of the state at the end.
func checkSnapshots(t *testing.T, b *board, closing int64, done func(*election.State) bool) {
	t.Helper()
	recs := boardRecords(t, b)
	for k := int(closing) + 1; k <= len(recs); k++ {
		full := election.NewState()
		admitAll(t, full, recs[:k])
		size, root := full.TreeHead()
		restored := election.NewState()
		if err := restored.RestoreSnapshot(bytes.NewReader(snapshotOf(t, full)), tlog.Tree{N: size, Hash: root}, recordReader(recs)); err != nil {
			t.Fatalf("restoring the state after %d records: %v", k, err)
		}
		for _, rec := range recs[k:] {
			v, err := election.Decode(rec.Type, rec.Payload)
			must(t, err)
			if err := restored.VerifyProofs(rec.Type, rec.Author, v); err != nil {
				t.Fatalf("restored after %d records, record %d (%s): %v", k, rec.Index, rec.Type, err)
			}
			must(t, restored.Admit(rec, v))
		}
		if !done(restored) {
			t.Fatalf("restored after %d records: the mixes, decryptions and count are not all there", k)
		}
	}
}

// TestMixDecryptionPrivacyFloor: the mixed ballots of a contest carried by
// fewer counted ballots than its privacy floor are mixed but not
// decrypted, as a tally of so few would not be.
func TestMixDecryptionPrivacyFloor(t *testing.T) {
	ctx := context.Background()
	b := newBoard(t)
	e, err := simulate.New(ctx, b.log.Append, b.tracker.Current, simulate.Options{Voters: 10, Trustees: 3, Threshold: 2, Contests: rankedContests()})
	must(t, err)
	must(t, e.Ceremony(ctx))
	must(t, e.SetPhase(ctx, election.PhaseOpen))
	for v := range 4 {
		_, _, err := e.Cast(ctx, v, e.RandomChoices())
		must(t, err)
	}
	must(t, e.SetPhase(ctx, election.PhaseClosed))
	must(t, e.Mix(ctx, 1))
	must(t, e.Mix(ctx, 2))
	st := boardState(t, b)
	if _, _, _, err := st.MixOutput(rankedContest); err == nil || !strings.Contains(err.Error(), "only 4 counted ballots carry contest \"chair\"") {
		t.Fatalf("MixOutput below the floor = %v", err)
	}
	if _, err := participant.MixDecryption(st, e.Shares[0], rankedContest); err == nil {
		t.Fatalf("MixDecryption below the floor = nil error")
	}
}

// TestRankedCountElected: the elected of a ranked count, in order, by
// each method, and nobody when no ballot ranks anyone.
func TestRankedCountElected(t *testing.T) {
	for _, tt := range []struct {
		name  string
		count election.RankedCount
		want  []int
	}{
		{"irv", election.RankedCount{IRV: &ranked.IRVResult{Winner: 2}}, []int{2}},
		{"stv", election.RankedCount{STV: &ranked.STVResult{Seats: 2, Elected: []int{3, 0}}}, []int{3, 0}},
		{"schulze", election.RankedCount{Schulze: &ranked.SchulzeResult{Winner: 1, Order: []int{1, 0, 2}}}, []int{1}},
		{"borda", election.RankedCount{Borda: &ranked.BordaResult{Winner: 0, Order: []int{0, 2, 1}}}, []int{0}},
		{"nobody", election.RankedCount{Method: "irv"}, nil},
	} {
		if got := tt.count.Elected(); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Elected() = %v, want %v", tt.name, got, tt.want)
		}
	}
}
