package election_test

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/participant"
)

// rechain returns copies of recs numbered from 0 and chained by their
// leaf hashes, as a board that appended them in this order would hold
// them; the authors' signatures, over type and payload, still hold.
func rechain(recs []*bulletin.Record) []*bulletin.Record {
	out := make([]*bulletin.Record, len(recs))
	var prev tlog.Hash
	for i, r := range recs {
		c := *r
		c.Index = uint64(i)
		c.Prev = append([]byte(nil), prev[:]...)
		prev = c.LeafHash()
		out[i] = &c
	}
	return out
}

// signed returns v as a record of type typ signed by s, at the time of the
// history's last record, to be placed by rechain.
func (h *history) signed(t *testing.T, s election.Signer, typ string, v any) *bulletin.Record {
	t.Helper()
	sub, err := election.NewSubmission(s, typ, v)
	must(t, err)
	return signedRaw(h, s, typ, sub.Payload)
}

// signedRaw is signed for a payload as it is.
func signedRaw(h *history, s election.Signer, typ string, payload []byte) *bulletin.Record {
	return &bulletin.Record{Time: h.recs[len(h.recs)-1].Time, Type: typ, Payload: payload, Author: s.PublicKey(), Sig: s.Sign(bulletin.SigningMessage(typ, payload))}
}

// outcomes admits recs through r in pages of page records, going on past
// refusals, and returns each record's outcome, nil for admitted ones, and
// whether Admit went through every record.
func outcomes(r *election.Replay, recs []*bulletin.Record, page int) ([]error, bool) {
	var out []error
	for start := 0; start < len(recs); start += page {
		ok := r.Admit(r.Prepare(recs[start:min(start+page, len(recs))]), func(e *election.Entry, err error) bool {
			if int(e.Record.Index) != len(out) {
				panic(fmt.Sprintf("Admit reported record %d after %d outcomes", e.Record.Index, len(out)))
			}
			out = append(out, err)
			return true
		})
		if !ok {
			return out, false
		}
	}
	return out, true
}

// TestReplayHistory: a replay of the whole history, in one go or in pages,
// with any number of workers and batch size, admits every record and
// reaches the board's state, with the records' tree.
func TestReplayHistory(t *testing.T) {
	h := theHistory(t)
	for _, c := range []struct {
		opts election.ReplayOptions
		page int
	}{
		{election.ReplayOptions{}, len(h.recs)},
		{election.ReplayOptions{Workers: 1, BatchSize: 1}, 1},
		{election.ReplayOptions{Workers: 3, BatchSize: 2, MaxPayload: 1 << 20}, 7},
	} {
		r := election.NewReplay(c.opts)
		errs, all := outcomes(r, h.recs, c.page)
		if !all || len(errs) != len(h.recs) {
			t.Fatalf("%+v, pages of %d: Admit went through %d records of %d", c.opts, c.page, len(errs), len(h.recs))
		}
		for i, err := range errs {
			if err != nil {
				t.Errorf("%+v, pages of %d: record %d refused: %v", c.opts, c.page, i, err)
			}
		}
		if got := r.State().Summary(); got != h.final {
			t.Errorf("%+v, pages of %d: summary %+v, the board's %+v", c.opts, c.page, got, h.final)
		}
		size, root := r.State().TreeHead()
		want, err := r.Chain().TreeHash(int64(len(h.recs)))
		must(t, err)
		if size != int64(len(h.recs)) || r.Chain().Size() != size || root != want {
			t.Errorf("%+v: state tree %d %v, chain %d %v", c.opts, size, root, r.Chain().Size(), want)
		}
	}
}

// TestReplayRefusals: a replay refuses, naming the record and the rule,
// every record the board should not have taken — one the rules refuse, a
// payload that does not decode, a ballot whose proofs fail in a batch of
// good ones, a challenged ballot that does not open — and goes on past it
// with the record in the tree but not in the state; Records stops at the
// first.
func TestReplayRefusals(t *testing.T) {
	h := theHistory(t)
	open := h.state(t, "open")
	voted := h.marks["voted"]
	cast := h.find(t, election.TypeBallot, h.voter(1))
	again := *cast
	again.Time = h.recs[len(h.recs)-1].Time // not before the record it follows
	good, _, err := participant.EncryptBallot(open, h.sim.Voters[3].Public, ballot.Choices{{1, 0, 0}}, nil, ballot.ConfirmationCode{})
	must(t, err)
	swapped, _, err := participant.EncryptBallot(open, h.sim.Voters[3].Public, ballot.Choices{{0, 0, 1}}, nil, ballot.ConfirmationCode{})
	must(t, err)
	o := swapped.Contests[0].Options
	o[0].Proof, o[2].Proof = o[2].Proof, o[0].Proof
	lying, secrets, err := participant.EncryptBallot(open, h.sim.Voters[3].Public, ballot.Choices{{1, 0, 0}}, nil, ballot.ConfirmationCode{})
	must(t, err)
	lie := ballot.Challenge(lying, secrets)
	lie.Choices = ballot.Choices{{0, 1, 0}}
	stranger := election.KeySigner(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	offRoll, _, err := participant.EncryptBallot(open, h.sim.Voters[3].Public, ballot.Choices{{1, 0, 0}}, nil, ballot.ConfirmationCode{}) // signed by a key off the roll
	must(t, err)

	recs := rechain(append(append([]*bulletin.Record(nil), h.recs[:voted]...),
		&again, // 19: a copy of voter 1's ballot
		h.signed(t, h.sim.Registrar, election.TypeClientHash, open.ClientHashRecord("x", [32]byte{})), // 20
		signedRaw(h, h.voter(3), election.TypeBallot, []byte(`{"version":"evote/v1"}`)),               // 21
		h.signed(t, h.voter(3), election.TypeBallot, swapped),                                         // 22
		h.signed(t, h.voter(3), election.TypeBallot, good),                                            // 23
		h.signed(t, h.voter(3), election.TypeChallenge, lie),                                          // 24
		signedRaw(h, h.sim.Official, election.TypePhase, []byte(`{"phase":"closed"}`)),                // 25
		signedRaw(h, h.sim.Official, "mystery", []byte(`{}`)),                                         // 26
		h.signed(t, stranger, election.TypeBallot, offRoll),                                           // 27
	))
	want := map[int]struct{ code, reason string }{
		19: {bulletin.CodeDuplicate, fmt.Sprintf("this ballot is already on the board as record %d", cast.Index)},
		20: {election.CodeUnauthorized, "only the election official may post a client hash"},
		21: {bulletin.CodeMalformed, "ballot: malformed payload"},
		22: {election.CodeBadProof, `contest 0 ("mayor") option 0 ("alice"): invalid proof`},
		24: {election.CodeBadProof, `challenged contest 0 ("mayor") option 0 ("alice"): ciphertext does not encrypt the claimed choice`},
		25: {bulletin.CodeMalformed, "phase: malformed payload"},
		26: {bulletin.CodeMalformed, `unknown record type "mystery"`},
		27: {election.CodeIneligible, "is not on the voter roll"},
	}
	for _, page := range []int{len(recs), 4} {
		r := election.NewReplay(election.ReplayOptions{BatchSize: 2})
		errs, all := outcomes(r, recs, page)
		if !all || len(errs) != len(recs) {
			t.Fatalf("pages of %d: Admit went through %d records of %d", page, len(errs), len(recs))
		}
		for i, err := range errs {
			w, refused := want[i]
			var rej *bulletin.RejectError
			switch {
			case !refused && err != nil:
				t.Errorf("pages of %d: record %d refused: %v", page, i, err)
			case refused && (!errors.As(err, &rej) || rej.Code != w.code || !strings.Contains(rej.Reason, w.reason)):
				t.Errorf("pages of %d: record %d: %v, want a rejection (%s) saying %q", page, i, err, w.code, w.reason)
			}
		}
		st := r.State()
		if idx, ok := st.CastBallot(h.sim.Voters[3].Public); !ok || idx != 23 {
			t.Errorf("pages of %d: voter 3's counted ballot is %d (%v), want record 23, the good one", page, idx, ok)
		}
		if s := st.Summary(); s.Ballots != 4 || s.Counted != 3 || s.Challenged != 1 || len(st.ClientHashes()) != 1 {
			t.Errorf("pages of %d: summary %+v, %d client hashes: the refused records were taken in", page, s, len(st.ClientHashes()))
		}
		size, root := st.TreeHead()
		tree, err := r.Chain().TreeHash(int64(len(recs)))
		must(t, err)
		if size != int64(len(recs)) || root != tree {
			t.Errorf("pages of %d: the state's tree (%d records) is not the chain's (%d)", page, size, r.Chain().Size())
		}
	}

	// Records stops at the first refusal and names it.
	r := election.NewReplay(election.ReplayOptions{})
	err = r.Records(recs)
	var rej *bulletin.RejectError
	if !errors.As(err, &rej) || rej.Code != bulletin.CodeDuplicate || !strings.HasPrefix(err.Error(), "record 19 (ballot): rejected (duplicate): ") {
		t.Errorf("Records = %v, want record 19 refused as a duplicate", err)
	}
	if size, _ := r.State().TreeHead(); size != 20 {
		t.Errorf("Records went on to %d records past the refusal", size)
	}
}

// TestReplayChainErrors: a record that does not belong in the log there
// (a broken signature, a gap) stops the replay, within a run of ballots or
// not; the error is the chain's, naming the record, and the records before
// it are admitted.
func TestReplayChainErrors(t *testing.T) {
	h := theHistory(t)
	voted := h.marks["voted"]
	for _, c := range []struct {
		what   string
		at     int64 // the record spoiled
		spoil  func(r *bulletin.Record)
		reason string
	}{
		{"a ballot's signature broken", voted - 2, func(r *bulletin.Record) { r.Sig[0] ^= 1 }, "bad-signature"},
		{"a record missing before a ballot", voted - 1, func(r *bulletin.Record) { r.Index++ }, "record 18 is missing"},
		{"the closing record's signature broken", voted, func(r *bulletin.Record) { r.Sig[0] ^= 1 }, "bad-signature"},
		{"a definition's payload changed", 0, func(r *bulletin.Record) {
			r.Payload = append([]byte(nil), r.Payload...)
			r.Payload[len(r.Payload)-2] ^= 1
		}, "bad-signature"},
	} {
		recs := make([]*bulletin.Record, len(h.recs))
		copy(recs, h.recs)
		bad := *recs[c.at]
		bad.Sig = append([]byte(nil), bad.Sig...)
		c.spoil(&bad)
		recs[c.at] = &bad
		r := election.NewReplay(election.ReplayOptions{})
		var last error
		n := 0
		all := r.Admit(r.Prepare(recs), func(e *election.Entry, err error) bool {
			n++
			last = err
			return true
		})
		var ce *bulletin.ChainError
		if all || !errors.As(last, &ce) || ce.Index != c.at || !strings.Contains(last.Error(), c.reason) {
			t.Errorf("%s: Admit went through all: %v; last outcome %v, want a chain error at record %d saying %q", c.what, all, last, c.at, c.reason)
		}
		if int64(n) != c.at+1 {
			t.Errorf("%s: %d outcomes, want %d", c.what, n, c.at+1)
		}
		if size, _ := r.State().TreeHead(); size != c.at {
			t.Errorf("%s: the state took in %d records, want the %d before", c.what, size, c.at)
		}
		if got := election.RecordError(&bad, last); got != last {
			t.Errorf("%s: RecordError rewrapped the chain error: %v", c.what, got)
		}
		if err := election.NewReplay(election.ReplayOptions{}).Records(recs); !errors.As(err, &ce) || ce.Index != c.at {
			t.Errorf("%s: Records = %v, want the chain error", c.what, err)
		}
	}
}

// TestReplayStopsWhenAsked: Admit stops when fn returns false, inside a
// run of ballots too, and says so.
func TestReplayStopsWhenAsked(t *testing.T) {
	h := theHistory(t)
	for _, stop := range []int64{3, h.marks["open"] + 1} {
		r := election.NewReplay(election.ReplayOptions{})
		var n int64
		all := r.Admit(r.Prepare(h.recs), func(e *election.Entry, err error) bool {
			n++
			return int64(e.Record.Index) < stop
		})
		if all || n != stop+1 {
			t.Errorf("stopping at record %d: Admit = %v after %d outcomes", stop, all, n)
		}
	}
}

// TestReplayKeepGoing: a closing record refused as stale still closes
// voting in a replay for a verifier (KeepGoing), so that what follows is
// judged against the sums recomputed here; a participant's replay stays
// open.
func TestReplayKeepGoing(t *testing.T) {
	h := theHistory(t)
	open := h.state(t, "open")
	staleClose := open.PhaseRecord(election.PhaseClosed) // made before the ballot below
	eb, _, err := participant.EncryptBallot(open, h.sim.Voters[3].Public, ballot.Choices{{0, 1, 0}}, nil, ballot.ConfirmationCode{})
	must(t, err)
	recs := rechain(append(append([]*bulletin.Record(nil), h.recs[:h.marks["open"]]...),
		h.signed(t, h.voter(3), election.TypeBallot, eb),
		h.signed(t, h.sim.Official, election.TypePhase, staleClose),
	))
	for _, keepGoing := range []bool{false, true} {
		r := election.NewReplay(election.ReplayOptions{KeepGoing: keepGoing})
		errs, all := outcomes(r, recs, len(recs))
		last := errs[len(errs)-1]
		var rej *bulletin.RejectError
		if !all || !errors.As(last, &rej) || rej.Code != election.CodeStale {
			t.Errorf("KeepGoing %v: the stale closing record: %v, want stale", keepGoing, last)
		}
		want := election.Open
		if keepGoing {
			want = election.Closed
		}
		if got := r.State().Phase(); got != want {
			t.Errorf("KeepGoing %v: phase %v after the stale closing record, want %v", keepGoing, got, want)
		}
		if size, _ := r.State().TreeHead(); size != int64(len(recs)) {
			t.Errorf("KeepGoing %v: tree of %d records, want %d", keepGoing, size, len(recs))
		}
	}
}
