package election_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/simulate"
)

// history is a small election run to its result on a real board (three
// trustees, threshold two, four voters, one contest of three options),
// with its records and everyone's keys, and marks naming how many records
// it had at each step. Tests rebuild the state at a mark (state) and put
// records of their own to it, so that each rule is tested in the phase it
// is about, without running an election for each.
type history struct {
	sim   *simulate.Election
	recs  []*bulletin.Record
	marks map[string]int64
	final election.Summary // the board's own summary at the end
}

// The marks of the history, in order. The roll stays open through the
// dealing, so that roll records interleave with the ceremony's, and the
// joint key needs the roll closed.
var historyMarks = []string{
	"defined",     // the definition
	"roll-open",   // + the roll's 4 entries
	"dealt-1",     // + trustee 1's commitments and shares
	"dealt",       // + trustees 2 and 3's
	"roll-closed", // + the roll's closing
	"verdicts",    // + the three accepting verdicts
	"ready",       // + the joint key
	"client",      // + a client hash
	"open",        // + voting opens
	"voted",       // + voter 0 casts, voter 1 casts, voter 2 challenges, voter 0 casts again
	"closed",      // + voting closes
	"partial-1",   // + trustee 1's partial decryption
	"partials",    // + trustee 2's
	"tallied",     // + the result
}

var (
	historyOnce sync.Once
	historyVal  *history
	historyErr  error
)

// theHistory returns the history, run once per test binary.
func theHistory(t *testing.T) *history {
	t.Helper()
	historyOnce.Do(func() { historyVal, historyErr = runHistory() })
	if historyErr != nil {
		t.Fatalf("running the election of the history: %v", historyErr)
	}
	return historyVal
}

func runHistory() (*history, error) {
	ctx := context.Background()
	skey, _, err := note.GenerateKey(rand.Reader, "history-board")
	if err != nil {
		return nil, err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, err
	}
	tracker := new(election.Tracker)
	log, err := bulletin.OpenLog(ctx, store.NewMemory(), tracker.New, bulletin.LogOptions{Signer: signer})
	if err != nil {
		return nil, err
	}
	defer log.Close()
	h := &history{marks: make(map[string]int64)}
	post := func(s election.Signer, typ string, v any) error {
		sub, err := election.NewSubmission(s, typ, v)
		if err != nil {
			return err
		}
		_, _, err = log.Append(ctx, sub)
		return err
	}
	var e *simulate.Election
	steps := []struct {
		mark string
		do   func() error
	}{
		{"defined", func() error {
			// simulate.New posts the definition and the roll; the
			// definition is record 0.
			var err error
			e, err = simulate.New(ctx, log.Append, tracker.Current, simulate.Options{
				Voters: 4, Trustees: 3, Threshold: 2, MinCounted: 2, LeaveRollOpen: true,
				Contests: simulate.SampleContests()[:1],
			})
			return err
		}},
		{"roll-open", func() error { return nil }},
		{"dealt-1", func() error { return e.Deal(ctx, 1) }},
		{"dealt", func() error {
			if err := e.Deal(ctx, 2); err != nil {
				return err
			}
			return e.Deal(ctx, 3)
		}},
		{"roll-closed", func() error { return e.CloseRoll(ctx) }},
		{"verdicts", func() error {
			for i := 1; i <= 3; i++ {
				if err := e.Accept(ctx, i); err != nil {
					return err
				}
			}
			return nil
		}},
		{"ready", func() error { return e.FinishCeremony(ctx) }},
		{"client", func() error {
			return post(e.Official, election.TypeClientHash, tracker.State().ClientHashRecord("voter.wasm", sha256.Sum256([]byte("a client build"))))
		}},
		{"open", func() error { return e.SetPhase(ctx, election.PhaseOpen) }},
		{"voted", func() error {
			if _, _, err := e.Cast(ctx, 0, e.RandomChoices()); err != nil {
				return err
			}
			if _, _, err := e.Cast(ctx, 1, e.RandomChoices()); err != nil {
				return err
			}
			if _, err := e.Challenge(ctx, 2, e.RandomChoices()); err != nil {
				return err
			}
			_, _, err := e.Cast(ctx, 0, e.RandomChoices())
			return err
		}},
		{"closed", func() error { return e.SetPhase(ctx, election.PhaseClosed) }},
		{"partial-1", func() error { return e.Decrypt(ctx, 1) }},
		{"partials", func() error { return e.Decrypt(ctx, 2) }},
		{"tallied", func() error { _, err := e.Tally(ctx); return err }},
	}
	for i, s := range steps {
		if s.mark != historyMarks[i] {
			return nil, fmt.Errorf("step %q out of order: want %q", s.mark, historyMarks[i])
		}
		if err := s.do(); err != nil {
			return nil, fmt.Errorf("%s: %w", s.mark, err)
		}
		h.marks[s.mark] = log.Size()
	}
	h.marks["defined"] = 1
	if len(h.marks) != len(historyMarks) {
		return nil, fmt.Errorf("%d marks, want %d", len(h.marks), len(historyMarks))
	}
	h.sim = e
	for i := range log.Size() {
		r, err := log.Record(ctx, i)
		if err != nil {
			return nil, err
		}
		h.recs = append(h.recs, r)
	}
	h.final = tracker.State().Summary()
	return h, nil
}

// replay returns a Replay that took in the history's first n records.
func (h *history) replay(t *testing.T, n int64) *election.Replay {
	t.Helper()
	r := election.NewReplay(election.ReplayOptions{})
	if err := r.Records(h.recs[:n]); err != nil {
		t.Fatalf("replaying the history's first %d records: %v", n, err)
	}
	return r
}

// state returns the state of the history at mark.
func (h *history) state(t *testing.T, mark string) *election.State {
	t.Helper()
	n, ok := h.marks[mark]
	if !ok {
		t.Fatalf("no mark %q in the history", mark)
	}
	return h.replay(t, n).State()
}

// find returns the history's first record of type typ whose author is s.
func (h *history) find(t *testing.T, typ string, s election.Signer) *bulletin.Record {
	t.Helper()
	for _, r := range h.recs {
		if r.Type == typ && bytes.Equal(r.Author, s.PublicKey()) {
			return r
		}
	}
	t.Fatalf("no %s record by %x… in the history", typ, s.PublicKey()[:8])
	return nil
}

// value returns the decoded payload of rec.
func value[T any](t *testing.T, rec *bulletin.Record) T {
	t.Helper()
	v, err := election.Decode(rec.Type, rec.Payload)
	if err != nil {
		t.Fatal(err)
	}
	x, ok := v.(T)
	if !ok {
		t.Fatalf("record %d holds a %T", rec.Index, v)
	}
	return x
}

func (h *history) trustee(i int) election.Signer {
	return election.TrusteeSigner{Keys: h.sim.Trustees[i-1]}
}

func (h *history) voter(v int) election.KeySigner { return election.KeySigner(h.sim.Voters[v].Private) }

// next returns the record that would follow st's records: v as a record
// of type typ, signed by s, at the board time of the history's last
// record (within the voting window), and v itself as its decoded value.
func (h *history) next(t *testing.T, st *election.State, s election.Signer, typ string, v any) (*bulletin.Record, any) {
	t.Helper()
	sub, err := election.NewSubmission(s, typ, v)
	if err != nil {
		t.Fatal(err)
	}
	size, _ := st.TreeHead()
	return &bulletin.Record{
		Index: uint64(size), Time: h.recs[len(h.recs)-1].Time, Type: typ,
		Payload: sub.Payload, Author: sub.Author, Sig: sub.Sig, Prev: make([]byte, bulletin.HashSize),
	}, v
}

// admit puts v, signed by s, to st as its next record, which st must take in.
func (h *history) admit(t *testing.T, st *election.State, s election.Signer, typ string, v any) *bulletin.Record {
	t.Helper()
	rec, v := h.next(t, st, s, typ, v)
	if err := st.Admit(rec, v); err != nil {
		t.Fatalf("%s record %d: %v", typ, rec.Index, err)
	}
	return rec
}

// refused checks that st refuses v, signed by s, as its next record with
// code and a reason containing want, and that the refusal changed nothing.
func (h *history) refused(t *testing.T, st *election.State, what string, s election.Signer, typ string, v any, code, want string) {
	t.Helper()
	rec, v := h.next(t, st, s, typ, v)
	wantRefusal(t, st, what, rec, v, code, want)
}

// wantRefusal checks that st.Admit refuses rec (payload v) with code and a
// reason containing want, and leaves st unchanged.
func wantRefusal(t *testing.T, st *election.State, what string, rec *bulletin.Record, v any, code, want string) {
	t.Helper()
	size, root := st.TreeHead()
	before := st.Summary()
	err := st.Admit(rec, v)
	var rej *bulletin.RejectError
	switch {
	case !errors.As(err, &rej):
		t.Errorf("%s: Admit = %v, want a rejection (%s)", what, err, code)
	case rej.Code != code || !strings.Contains(rej.Reason, want):
		t.Errorf("%s: Admit = %v, want a rejection (%s) saying %q", what, err, code, want)
	}
	if s, r := st.TreeHead(); s != size || r != root {
		t.Errorf("%s: the refused record changed the tree head from %d to %d records", what, size, s)
	}
	if after := st.Summary(); after != before {
		t.Errorf("%s: the refused record changed the state from %+v to %+v", what, before, after)
	}
}

// otherHex is the hex of a hash that names no election of the history.
var otherHex = func() string { h := sha256.Sum256([]byte("another election")); return hex.EncodeToString(h[:]) }()

// manifestHash returns the hash of the history's definition.
func (h *history) manifestHash(t *testing.T) [32]byte {
	t.Helper()
	return ballot.ManifestHash(h.recs[0].Payload)
}
