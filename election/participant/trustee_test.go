package participant_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/ceremony"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/participant"
	"github.com/evote/evote/election/simulate"
)

// lab is a board in memory with an election whose roll is closed, and
// trustees acting through participant.Trustee with keystores that record
// what was saved and when.
type lab struct {
	t       *testing.T
	log     *bulletin.Log
	tracker *election.Tracker
	sim     *simulate.Election
	events  []string                   // "save", "post <type>", in order
	saved   []*ceremony.TrusteeState   // by trustee index − 1: the last state saved
	history [][]*ceremony.TrusteeState // by trustee index − 1: every state saved, in order
	failAt  map[string]error           // event → the error it fails with
}

func newLab(t *testing.T) *lab {
	t.Helper()
	skey, _, err := note.GenerateKey(rand.Reader, "test-board")
	must(t, err)
	signer, err := note.NewSigner(skey)
	must(t, err)
	l := &lab{t: t, tracker: new(election.Tracker), failAt: map[string]error{}}
	l.log, err = bulletin.OpenLog(context.Background(), store.NewMemory(), l.tracker.New, bulletin.LogOptions{Signer: signer})
	must(t, err)
	t.Cleanup(func() { l.log.Close() })
	l.sim, err = simulate.New(context.Background(), l.log.Append, l.tracker.Current, simulate.Options{Voters: 4, Trustees: 3, Threshold: 2})
	must(t, err)
	l.saved = make([]*ceremony.TrusteeState, len(l.sim.Trustees))
	l.history = make([][]*ceremony.TrusteeState, len(l.sim.Trustees))
	return l
}

// trustee returns trustee i (1-based) with the state its keystore last
// saved, or a fresh one, as a process (re)starting would open it.
func (l *lab) trustee(i int) *participant.Trustee {
	ts := &ceremony.TrusteeState{Keys: l.sim.Trustees[i-1]}
	if s := l.saved[i-1]; s != nil {
		c := *s
		ts = &c
	}
	return l.trusteeWith(i, ts)
}

func (l *lab) trusteeWith(i int, ts *ceremony.TrusteeState) *participant.Trustee {
	return &participant.Trustee{
		State: ts,
		Save: func(ts *ceremony.TrusteeState) error {
			if err := l.event("save"); err != nil {
				return err
			}
			c := *ts
			l.saved[i-1] = &c
			l.history[i-1] = append(l.history[i-1], &c)
			return nil
		},
		Post: func(ctx context.Context, sub *bulletin.Submission) (*bulletin.Record, *bulletin.Receipt, error) {
			if err := l.event("post " + sub.Type); err != nil {
				return nil, nil, err
			}
			return l.log.Append(ctx, sub)
		},
	}
}

// event records what happened, or fails it as failAt says.
func (l *lab) event(e string) error {
	if err := l.failAt[e]; err != nil {
		return err
	}
	l.events = append(l.events, e)
	return nil
}

func (l *lab) state() *election.State { return l.tracker.State() }

// dealAll has every trustee deal.
func (l *lab) dealAll(ctx context.Context) {
	l.t.Helper()
	for i := range l.sim.Trustees {
		_, err := l.trustee(i+1).Deal(ctx, l.state())
		must(l.t, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestTrusteeDealSavesThenPosts: the dealer secret is saved before the
// commitments and shares are posted, and what was saved is what Receive
// later needs.
func TestTrusteeDealSavesThenPosts(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	tr := l.trustee(1)
	posted, err := tr.Deal(ctx, l.state())
	must(t, err)
	want := []string{"save", "post " + election.TypeCommitments, "post " + election.TypeShares}
	if !posted || !slices.Equal(l.events, want) {
		t.Fatalf("Deal = %v, events %q; want true, %q", posted, l.events, want)
	}
	if tr.State.Dealer == nil || l.saved[0].Dealer != tr.State.Dealer {
		t.Fatalf("State.Dealer = %v, saved %v: want the saved dealer secret", tr.State.Dealer, l.saved[0].Dealer)
	}
}

// TestTrusteeDealSaveFails: if the dealer secret cannot be saved, nothing
// is posted and the state is unchanged, so a retry deals afresh.
func TestTrusteeDealSaveFails(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	disk := errors.New("disk full")
	l.failAt["save"] = disk
	tr := l.trustee(1)
	if _, err := tr.Deal(ctx, l.state()); !errors.Is(err, disk) {
		t.Fatalf("Deal with a failing Save = %v, want %v", err, disk)
	}
	if len(l.events) != 0 || tr.State.Dealer != nil {
		t.Fatalf("after a failed save: events %q, Dealer %v; want none", l.events, tr.State.Dealer)
	}
	delete(l.failAt, "save")
	if posted, err := tr.Deal(ctx, l.state()); err != nil || !posted {
		t.Fatalf("Deal again = %v, %v; want it to deal and post", posted, err)
	}
}

// TestTrusteeRestart: a trustee restarted after dealing reuses the saved
// dealer secret: it deals no second time, posts nothing, and completes the
// ceremony with it, saving its share before posting its verdict.
func TestTrusteeRestart(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	l.dealAll(ctx)
	dealer := l.saved[0].Dealer
	l.events = nil
	again := l.trustee(1) // a new process, from the keystore
	posted, err := again.Deal(ctx, l.state())
	if err != nil || posted || len(l.events) != 0 {
		t.Fatalf("Deal after a restart = %v, %v, events %q; want false, nil, none", posted, err, l.events)
	}
	if again.State.Dealer != dealer {
		t.Fatal("the restarted trustee does not hold its saved dealer secret")
	}
	if !l.state().CeremonyComplete() {
		t.Fatal("the ceremony's messages are not all on the board")
	}
	for i := 1; i <= 3; i++ {
		l.events = nil
		tr := l.trustee(i)
		v, err := tr.Receive(ctx, l.state())
		must(t, err)
		want := []string{"save", "post " + election.TypeVerdict}
		if !v.Accept || !slices.Equal(l.events, want) {
			t.Fatalf("trustee %d: Receive accepts %v, events %q; want true, %q", i, v.Accept, l.events, want)
		}
		if s := l.saved[i-1]; s.Share == nil || s.Dealer != nil || tr.State.Share != s.Share {
			t.Fatalf("trustee %d: saved share %v, dealer %v; want the share and no dealer secret", i, s.Share, s.Dealer)
		}
	}
	if _, err := l.trustee(1).Deal(ctx, l.state()); !errors.Is(err, participant.ErrCeremonyDone) {
		t.Fatalf("Deal after the ceremony = %v, want ErrCeremonyDone", err)
	}
}

// TestTrusteeDealRefusals: a trustee outside the definition, and one whose
// commitments are on the board but whose keystore lost the dealer secret,
// deal nothing.
func TestTrusteeDealRefusals(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	keys, err := ceremony.GenerateTrusteeKeys()
	must(t, err)
	if _, err := l.trusteeWith(1, &ceremony.TrusteeState{Keys: keys}).Deal(ctx, l.state()); !errors.Is(err, participant.ErrNotTrustee) {
		t.Errorf("Deal by a stranger = %v, want ErrNotTrustee", err)
	}
	_, err = l.trustee(2).Deal(ctx, l.state())
	must(t, err)
	l.events = nil
	lost := l.trusteeWith(2, &ceremony.TrusteeState{Keys: l.sim.Trustees[1]})
	if _, err := lost.Deal(ctx, l.state()); !errors.Is(err, participant.ErrNoDealerSecret) {
		t.Errorf("Deal with the dealer secret lost = %v, want ErrNoDealerSecret", err)
	}
	if len(l.events) != 0 {
		t.Errorf("refused Deals did %q, want nothing", l.events)
	}
}

// TestTrusteePostError: a refused post is a PostError naming the record,
// after the secret was saved; an error before posting is not.
func TestTrusteePostError(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	down := errors.New("board unreachable")
	l.failAt["post "+election.TypeCommitments] = down
	tr := l.trustee(1)
	_, err := tr.Deal(ctx, l.state())
	var pe *participant.PostError
	if !errors.As(err, &pe) || pe.Type != election.TypeCommitments || !errors.Is(err, down) || err.Error() != down.Error() {
		t.Fatalf("Deal with the board down = %v, want a PostError for %s with the board's message", err, election.TypeCommitments)
	}
	if l.saved[0] == nil || l.saved[0].Dealer == nil {
		t.Fatal("the dealer secret was not saved before posting")
	}
	if _, err := tr.Decrypt(ctx, l.state()); !errors.Is(err, participant.ErrNoShare) {
		t.Fatalf("Decrypt without a share = %v, want ErrNoShare", err)
	}
}

// TestTrusteeDecrypt: once voting has closed, a trustee posts its partial
// decryption; before, it posts nothing and the error is not a PostError.
func TestTrusteeDecrypt(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	l.dealAll(ctx)
	for i := 1; i <= 3; i++ {
		_, err := l.trustee(i).Receive(ctx, l.state())
		must(t, err)
	}
	must(t, l.sim.FinishCeremony(ctx))
	must(t, l.sim.SetPhase(ctx, election.PhaseOpen))
	for v := range 4 {
		_, _, err := l.sim.Cast(ctx, v, l.sim.RandomChoices())
		must(t, err)
	}
	l.events = nil
	_, err := l.trustee(1).Decrypt(ctx, l.state())
	var pe *participant.PostError
	if err == nil || errors.As(err, &pe) || len(l.events) != 0 {
		t.Fatalf("Decrypt while voting is open = %v, events %q; want an error before posting", err, l.events)
	}
	must(t, l.sim.SetPhase(ctx, election.PhaseClosed))
	for i := 1; i <= 2; i++ {
		rec, err := l.trustee(i).Decrypt(ctx, l.state())
		must(t, err)
		if rec.Type != election.TypePartial {
			t.Fatalf("Decrypt posted a %s record", rec.Type)
		}
	}
	r, err := participant.ComputeResult(l.state())
	must(t, err)
	want := l.sim.Expected()
	if !slices.Equal(r.Tally.Counts, want) {
		t.Fatalf("result %v, want %v", r.Tally.Counts, want)
	}
}

// errCrash is the error of a Post call at which the trustee's process is
// taken to die.
var errCrash = errors.New("crash")

// crash records where crashAt made a trustee's process die.
type crash struct {
	calls int    // Post calls so far
	typ   string // the type of the record whose Post failed, or ""
}

// crashAt makes tr's Post fail with errCrash at its k-th call (1-based), as
// if the process died there, and work before. If landed, the failing call
// reaches the board first: the process died before the board's reply.
func crashAt(tr *participant.Trustee, k int, landed bool) *crash {
	c := new(crash)
	post := tr.Post
	tr.Post = func(ctx context.Context, sub *bulletin.Submission) (*bulletin.Record, *bulletin.Receipt, error) {
		c.calls++
		if c.calls != k {
			return post(ctx, sub)
		}
		c.typ = sub.Type
		if landed {
			if _, _, err := post(ctx, sub); err != nil {
				return nil, nil, err
			}
		}
		return nil, nil, errCrash
	}
	return c
}

// reopen returns a copy of ts through its keystore encoding, as a process
// starting again reads it from disk.
func reopen(t *testing.T, ts *ceremony.TrusteeState) *ceremony.TrusteeState {
	t.Helper()
	b, err := ts.Marshal()
	must(t, err)
	got, err := ceremony.ParseTrusteeState(b)
	must(t, err)
	return got
}

// runCeremony runs tr as `evote trustee ceremony` does: Deal, then, once every
// trustee's commitments and shares are on the board, Receive; it fails
// unless tr accepts.
func (l *lab) runCeremony(ctx context.Context, tr *participant.Trustee) error {
	if _, err := tr.Deal(ctx, l.state()); err != nil {
		return err
	}
	if !l.state().CeremonyComplete() {
		return errors.New("the ceremony's messages are not all on the board")
	}
	v, err := tr.Receive(ctx, l.state())
	if err != nil {
		return err
	}
	if !v.Accept {
		return fmt.Errorf("trustee %d complains: %v", v.Trustee, v.Complaints)
	}
	return nil
}

// TestTrusteeCrashRecovery: wherever trustee 1's process dies during its
// ceremony — at its 1st, 2nd, … post, before the board took the record or
// after — a new process started from the keystore as last saved completes
// the ceremony: the other trustees accept, and the joint key is posted.
// The trustee deals only once: the commitments and shares on the board are
// the ones it saved with its dealer secret.
func TestTrusteeCrashRecovery(t *testing.T) {
	ctx := context.Background()
	for _, landed := range []bool{false, true} {
		for k := 1; ; k++ {
			name := fmt.Sprintf("post %d", k)
			if landed {
				name += " landed"
			}
			crashed := false
			t.Run(name, func(t *testing.T) {
				l := newLab(t)
				for i := 2; i <= 3; i++ {
					_, err := l.trustee(i).Deal(ctx, l.state())
					must(t, err)
				}
				tr := l.trustee(1)
				c := crashAt(tr, k, landed)
				err := l.runCeremony(ctx, tr)
				if c.typ == "" {
					must(t, err) // no k-th post: the ceremony ran through
					return
				}
				crashed = true
				if !errors.Is(err, errCrash) {
					t.Fatalf("the run dying at %s = %v, want %v", c.typ, err, errCrash)
				}

				// A new process, from the keystore, with a working Post.
				err = l.runCeremony(ctx, l.trusteeWith(1, reopen(t, l.saved[0])))
				if landed && c.typ == election.TypeVerdict {
					// Its verdict reached the board: nothing is left to do.
					if !errors.Is(err, participant.ErrCeremonyDone) {
						t.Fatalf("run again after the verdict landed = %v, want ErrCeremonyDone", err)
					}
				} else if err != nil {
					t.Fatalf("run again after dying at %s: %v", c.typ, err)
				}
				for i := 2; i <= 3; i++ {
					v, err := l.trustee(i).Receive(ctx, l.state())
					must(t, err)
					if !v.Accept {
						t.Fatalf("trustee %d complains: %v", i, v.Complaints)
					}
				}
				must(t, l.sim.FinishCeremony(ctx))
				if l.state().JointKey() == nil {
					t.Fatal("no joint key on the board")
				}
				checkDealtOnce(t, l, 1)
				if s := l.saved[0]; s.Share == nil || s.Dealer != nil || s.Dealt != nil {
					t.Fatalf("final keystore: share %v, dealer %v, dealt %v; want only the share", s.Share, s.Dealer, s.Dealt)
				}
				l.events = nil
				again := l.trusteeWith(1, reopen(t, l.saved[0]))
				if _, err := again.Deal(ctx, l.state()); !errors.Is(err, participant.ErrCeremonyDone) {
					t.Errorf("Deal once the ceremony is done = %v, want ErrCeremonyDone", err)
				}
				if _, err := again.Receive(ctx, l.state()); !errors.Is(err, participant.ErrCeremonyDone) {
					t.Errorf("Receive once the ceremony is done = %v, want ErrCeremonyDone", err)
				}
				if len(l.events) != 0 {
					t.Errorf("a run once the ceremony is done did %q, want nothing", l.events)
				}
			})
			if !crashed {
				if k <= 3 {
					t.Fatalf("the ceremony made %d posts, want 3", k-1)
				}
				break
			}
		}
	}
}

// checkDealtOnce checks that trustee i dealt only once: every state it
// saved holds the same commitments and shares, if any, and those are the
// trustee's records on the board.
func checkDealtOnce(t *testing.T, l *lab, i int) {
	t.Helper()
	commitments, shares, _ := l.state().Ceremony()
	want := [2][]byte{mustEncode(t, commitments[i-1]), mustEncode(t, shares[i-1])}
	n := 0
	for _, s := range l.history[i-1] {
		if s.Dealt == nil {
			continue
		}
		n++
		got := [2][]byte{mustEncode(t, s.Dealt.Commitments), mustEncode(t, s.Dealt.Shares)}
		if !bytes.Equal(got[0], want[0]) || !bytes.Equal(got[1], want[1]) {
			t.Fatalf("trustee %d saved commitments and shares other than the board's: it dealt twice", i)
		}
	}
	if n == 0 {
		t.Fatalf("trustee %d never saved the commitments and shares it dealt", i)
	}
}

func mustEncode(t *testing.T, m interface{ Marshal() ([]byte, error) }) []byte {
	t.Helper()
	b, err := m.Marshal()
	must(t, err)
	return b
}

// TestTrusteeDealSavesMessages: the commitments and shares are saved with
// the dealer secret, before either is posted, and Receive erases them with
// the dealer secret when it saves the share.
func TestTrusteeDealSavesMessages(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	l.failAt["post "+election.TypeCommitments] = errCrash
	if _, err := l.trustee(1).Deal(ctx, l.state()); !errors.Is(err, errCrash) {
		t.Fatalf("Deal with the board down = %v, want %v", err, errCrash)
	}
	s := l.saved[0]
	if s.Dealt == nil || s.Dealt.Commitments.Trustee != 1 || s.Dealt.Shares.Trustee != 1 {
		t.Fatalf("saved with the dealer secret: %+v, want trustee 1's commitments and shares", s.Dealt)
	}
	delete(l.failAt, "post "+election.TypeCommitments)
	l.dealAll(ctx)
	checkDealtOnce(t, l, 1)
	_, err := l.trustee(1).Receive(ctx, l.state())
	must(t, err)
	if s := l.saved[0]; s.Dealer != nil || s.Dealt != nil {
		t.Fatalf("after Receive the keystore keeps dealer %v, dealt %v; want neither", s.Dealer, s.Dealt)
	}
}

// TestTrusteeDealRecoveryRefusals: a keystore whose saved commitments are
// not the board's, and one of an older version (a dealer secret without
// its messages) whose messages the board lacks, post nothing; the older
// keystore goes on if the board has its messages.
func TestTrusteeDealRecoveryRefusals(t *testing.T) {
	ctx := context.Background()
	l := newLab(t)
	l.dealAll(ctx)
	cm, sh, dealer, err := participant.Deal(l.state(), 1)
	must(t, err)
	other := &ceremony.TrusteeState{Keys: l.sim.Trustees[0], Dealer: dealer, Dealt: &ceremony.DealtMessages{Commitments: cm, Shares: sh}}
	l.events = nil
	if _, err := l.trusteeWith(1, other).Deal(ctx, l.state()); !errors.Is(err, participant.ErrOtherCommitments) {
		t.Errorf("Deal with other saved commitments = %v, want ErrOtherCommitments", err)
	}
	old := *l.saved[0]
	old.Dealt = nil
	if posted, err := l.trusteeWith(1, &old).Deal(ctx, l.state()); posted || err != nil {
		t.Errorf("Deal of an older keystore, its messages on the board = %v, %v; want false, nil", posted, err)
	}
	if len(l.events) != 0 {
		t.Errorf("the Deals did %q, want nothing", l.events)
	}

	l = newLab(t)
	l.failAt["post "+election.TypeShares] = errCrash
	if _, err := l.trustee(1).Deal(ctx, l.state()); !errors.Is(err, errCrash) {
		t.Fatalf("Deal with shares refused = %v, want %v", err, errCrash)
	}
	delete(l.failAt, "post "+election.TypeShares)
	old = *l.saved[0]
	old.Dealt = nil
	l.events = nil
	if _, err := l.trusteeWith(1, &old).Deal(ctx, l.state()); !errors.Is(err, participant.ErrDealtLost) {
		t.Errorf("Deal of an older keystore, its shares not on the board = %v, want ErrDealtLost", err)
	}
	if len(l.events) != 0 {
		t.Errorf("the Deal did %q, want nothing", l.events)
	}
}
