package election_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/crypto"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/participant"
	"github.com/evote/evote/election/simulate"
)

// writeInContests are the sample's two homomorphic contests, the first
// (plurality "mayor") with a write-in slot "other" of up to 40 bytes.
func writeInContests() []ballot.Contest {
	cs := slices.Clone(simulate.SampleContests()[:2])
	mayor := cs[0]
	mayor.Options = append(slices.Clone(mayor.Options), ballot.Option{ID: "other", Title: "Write-in"})
	mayor.WriteIn = &ballot.WriteIn{Option: len(mayor.Options) - 1, MaxBytes: 40}
	cs[0] = mayor
	return cs
}

const writeInContest = 0 // the index of the contest with a write-in

// writeInChoices returns choices of writeInContests: voter v picks the
// write-in if v is even, else the mayor's first option.
func writeInChoices(e *simulate.Election, v int) ballot.Choices {
	c := e.RandomChoices()
	c[writeInContest] = make([]uint64, 4)
	if v%2 == 0 {
		c[writeInContest][3] = 1
	} else {
		c[writeInContest][0] = 1
	}
	return c
}

// closedWriteInElection runs an election of writeInContests to its close:
// every voter casts, and voter 1 votes again (writing a name in now).
func closedWriteInElection(t *testing.T, voters int) (*board, *simulate.Election) {
	t.Helper()
	return closedElection(t, voters, writeInContests(), 1, func(e *simulate.Election, v int, again bool) ballot.Choices {
		if again {
			return writeInChoices(e, 0)
		}
		return writeInChoices(e, v)
	})
}

// TestWriteInElection runs an election whose plurality contest allows a
// write-in: the ballots carry their texts, the trustees mix the rows
// (slot, text) of the counted ballots, decrypt them, and the official
// posts the names written with their counts; the homomorphic result
// counts the write-ins as the slot's votes; a replay from scratch admits
// every record. A mix that alters a write-in, a wrong count and a count
// naming other trustees are refused and named.
func TestWriteInElection(t *testing.T) {
	ctx := context.Background()
	b, e := closedWriteInElection(t, 10)
	st := boardState(t, b)
	in, err := st.MixInput(writeInContest)
	must(t, err)
	if in.Len() != 10 || in.Width() != 3 {
		t.Fatalf("first mix input: %d ballots of %d, want 10 of 3 (slot and 2 text ciphertexts)", in.Len(), in.Width())
	}
	if _, err := st.MixInput(1); err == nil {
		t.Errorf("MixInput(a contest without a write-in) = nil error")
	}

	// A mix that changes one ballot's text, re-encrypted so that no
	// ciphertext repeats, is not a shuffle of its input.
	good, err := participant.Mix(st, 1, writeInContest)
	must(t, err)
	pk := st.Election().PublicKey
	const size = 3 * crypto.CiphertextSize
	altered := *good
	altered.Output = bytes.Clone(good.Output)
	elems, err := crypto.EncodeText("Mallory", 2)
	must(t, err)
	ct, _ := pk.EncryptElement(elems[0])
	copy(altered.Output[4*size+crypto.CiphertextSize:], ct.Bytes())
	wantRejectReason(t, b, "a mix altering a write-in", submission(t, election.TrusteeSigner{Keys: e.Trustees[0]}, &altered), election.CodeBadMix, "is not a shuffle of its input")

	must(t, e.Mix(ctx, 1))
	must(t, e.Mix(ctx, 2))
	must(t, e.DecryptMixes(ctx, 2))
	must(t, e.DecryptMixes(ctx, 3))
	st = boardState(t, b)

	r, err := participant.ComputeWriteInResult(st, writeInContest)
	must(t, err)
	if !slices.Equal(r.Trustees, []uint32{2, 3}) {
		t.Errorf("trustees combined %v, want [2 3]", r.Trustees)
	}
	for _, tt := range []struct {
		name   string
		change func(r *election.WriteInResultRecord)
		reason string
	}{
		{"a count changed", func(r *election.WriteInResultRecord) {
			r.Count = bytes.Replace(r.Count, []byte(`"text":"Ada Lovelace","count":2`), []byte(`"text":"Ada Lovelace","count":3`), 1)
		}, `the count of contest "mayor" does not follow from its decrypted ballots by the write-in rule`},
		{"a name changed", func(r *election.WriteInResultRecord) {
			r.Count = bytes.Replace(r.Count, []byte(`"Grace Hopper"`), []byte(`"Grace Hoppers"`), 1)
		}, "the board computes"},
		{"other trustees", func(r *election.WriteInResultRecord) { r.Trustees = []uint32{1, 2} }, "combines the decryptions of trustees [1 2], but the board's are those of trustees [2 3]"},
	} {
		bad := *r
		tt.change(&bad)
		if bytes.Equal(bad.Count, r.Count) && slices.Equal(bad.Trustees, r.Trustees) {
			t.Fatalf("%s: the change changed nothing in %s", tt.name, r.Count)
		}
		sub, err := election.NewSubmission(e.Official, election.TypeWriteInResult, &bad)
		must(t, err)
		wantRejectReason(t, b, tt.name, sub, election.CodeBadProof, tt.reason)
	}
	notOfficial, err := election.NewSubmission(election.TrusteeSigner{Keys: e.Trustees[0]}, election.TypeWriteInResult, r)
	must(t, err)
	wantReject(t, b, "a write-in count by a trustee", notOfficial, election.CodeUnauthorized)

	rs, err := e.CountWriteIns(ctx)
	must(t, err)
	if len(rs) != 1 {
		t.Fatalf("CountWriteIns = %d results", len(rs))
	}
	var count election.WriteInCount
	must(t, json.Unmarshal(rs[0].Count, &count))
	// Voters 0, 2, 4, 6, 8 and 1 (re-voting) write in simulate's names [v mod
	// 3]: names 0, 2, 1, 0, 2 and 1.
	want := []election.WriteInText{{Text: "Ada Lovelace", Count: 2}, {Text: "Alan Turing", Count: 2}, {Text: "Grace Hopper", Count: 2}}
	if count.Ballots != 10 || count.Written != 6 || count.Option != "other" || !slices.Equal(count.Texts, want) || len(count.Discarded) != 0 {
		t.Errorf("count %s, want 10 ballots, 6 written: %v", rs[0].Count, want)
	}
	dup, err := election.NewSubmission(e.Official, election.TypeWriteInResult, rs[0])
	must(t, err)
	wantReject(t, b, "a second write-in count", dup, "duplicate")
	// The trustees do not decrypt a counted contest again.
	before := b.log.Size()
	must(t, e.DecryptMixes(ctx, 1))
	if b.log.Size() != before {
		t.Errorf("trustee 1 decrypted the counted contest")
	}

	for i := 1; i <= 2; i++ {
		must(t, e.Decrypt(ctx, i))
	}
	res, err := e.Tally(ctx)
	must(t, err)
	if got := res.Tally.Counts[3]; got != 6 {
		t.Errorf("the homomorphic count of the write-in slot is %d, want 6", got)
	}
	st = replayBoard(t, b)
	if st.WriteInResult(writeInContest) == nil || st.Phase() != election.Tallied {
		t.Errorf("the replayed state has no write-in result or is %s", st.Phase())
	}
}

// TestWriteInBallotRefused: the board refuses, as bad-write-in, a ballot
// whose write-in ciphertexts are missing, of the wrong number, or copied
// from another voter's ballot (whose proofs of knowledge are bound to that
// voter).
func TestWriteInBallotRefused(t *testing.T) {
	ctx := context.Background()
	b := newBoard(t)
	e, err := simulate.New(ctx, b.log.Append, b.tracker.Current, simulate.Options{Voters: 3, Trustees: 3, Threshold: 2, Contests: writeInContests()})
	must(t, err)
	must(t, e.Ceremony(ctx))
	must(t, e.SetPhase(ctx, election.PhaseOpen))
	victim, _, err := e.Encrypt(ctx, 0, writeInChoices(e, 0))
	must(t, err)
	for _, tt := range []struct {
		name   string
		change func(w []ballot.EncryptedText) []ballot.EncryptedText
		reason string
	}{
		{"missing", func([]ballot.EncryptedText) []ballot.EncryptedText { return nil }, "the write-in text ciphertexts are missing"},
		{"one too few", func(w []ballot.EncryptedText) []ballot.EncryptedText { return w[:1] }, "1 write-in text ciphertexts, the contest's write-in has 2"},
		{"copied from another voter", func(w []ballot.EncryptedText) []ballot.EncryptedText {
			return slices.Clone(victim.Contests[writeInContest].WriteIn)
		}, "write-in text 0 of 2: its proof of knowledge does not verify"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			own, _, err := e.Encrypt(ctx, 2, writeInChoices(e, 2))
			must(t, err)
			own.Contests[writeInContest].WriteIn = tt.change(own.Contests[writeInContest].WriteIn)
			sub, err := election.NewSubmission(election.KeySigner(e.Voters[2].Private), election.TypeBallot, own)
			must(t, err)
			wantRejectReason(t, b, tt.name, sub, election.CodeBadWriteIn, tt.reason)
		})
	}
}

// TestCountWriteIns: the count of decrypted rows normalises texts (NFC,
// trimmed), counts only rows whose slot is selected, and discards a
// selected row whose text is empty or does not decode, naming it.
func TestCountWriteIns(t *testing.T) {
	c := &writeInContests()[writeInContest]
	row := func(bit uint64, text string) []*crypto.Element {
		elems, err := crypto.EncodeText(text, 2)
		must(t, err)
		return append([]*crypto.Element{crypto.NewElement().ScalarBaseMult(crypto.NewScalar().SetUint64(bit))}, elems...)
	}
	garbage := append([]*crypto.Element{crypto.NewGeneratorElement()}, crypto.NewGeneratorElement(), crypto.NewGeneratorElement())
	var plain []*crypto.Element
	for _, r := range [][]*crypto.Element{
		row(1, "Zoë"),         // NFC: U+00EB
		row(1, " Zoe\u0308 "), // NFD, with spaces: the same name
		row(0, "Ignored"),     // slot not selected
		row(1, "zoë"),         // case counts
		row(1, "   "),         // empty once trimmed
		garbage,               // does not decode
		row(1, "Ada"), row(0, ""),
	} {
		plain = append(plain, r...)
	}
	got, err := election.CountWriteIns(c, plain)
	must(t, err)
	want := []election.WriteInText{{Text: "Zoë", Count: 2}, {Text: "Ada", Count: 1}, {Text: "zoë", Count: 1}}
	if got.Ballots != 8 || got.Written != 6 || !slices.Equal(got.Texts, want) {
		t.Errorf("CountWriteIns = %+v, want 8 ballots, 6 written, %v", got, want)
	}
	if len(got.Discarded) != 2 || got.Discarded[0].Index != 4 || !strings.Contains(got.Discarded[0].Reason, "empty") ||
		got.Discarded[1].Index != 5 || got.Discarded[1].Reason != "the text does not decode" {
		t.Errorf("discarded %+v, want rows 4 (empty) and 5 (invalid text)", got.Discarded)
	}
	if _, err := election.CountWriteIns(c, plain[:5]); err == nil {
		t.Errorf("CountWriteIns(a partial row) = nil error")
	}
}

// TestReopenedWriteInBoard: a board restarted on its store, which replays
// its ballots without decoding their proofs, keeps every counted ballot's
// write-in text ciphertexts: the first mix's input is the same.
func TestReopenedWriteInBoard(t *testing.T) {
	ctx := context.Background()
	first, reopen := reopenableBoard(t)
	e, err := simulate.New(ctx, first.log.Append, first.tracker.Current, simulate.Options{Voters: 4, Trustees: 3, Threshold: 2, Contests: writeInContests()})
	must(t, err)
	must(t, e.Ceremony(ctx))
	must(t, e.SetPhase(ctx, election.PhaseOpen))
	for v := range 4 {
		_, _, err := e.Cast(ctx, v, writeInChoices(e, v))
		must(t, err)
	}
	must(t, e.SetPhase(ctx, election.PhaseClosed))
	before, err := first.tracker.State().MixInput(writeInContest)
	must(t, err)
	after, err := reopen().MixInput(writeInContest)
	must(t, err)
	if !bytes.Equal(before.Bytes(), after.Bytes()) || after.Len() != 4 || after.Width() != 3 {
		t.Errorf("the first mix input after reopening differs (%d ballots of %d)", after.Len(), after.Width())
	}
}
