package follow_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/bulletin/server"
	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/follow"
	"github.com/evote/evote/election/simulate"
)

// pageSize is the board's page of records in these tests, so that a Sync
// reads several pages.
const pageSize = 4

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// boardKey returns a fresh checkpoint key of a board named name.
func boardKey(t *testing.T, name string) (note.Signer, string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	must(t, err)
	signer, err := note.NewSigner(skey)
	must(t, err)
	return signer, vkey
}

// testBoard is a real board, its log behind the HTTP server, with the
// election policy or (tracker nil) one that takes every signed record.
type testBoard struct {
	log     *bulletin.Log
	tracker *election.Tracker
	url     string
}

func newTestBoard(t *testing.T, signer note.Signer, rules bool) *testBoard {
	t.Helper()
	b := &testBoard{}
	newPolicy := bulletin.NewOpenPolicy
	if rules {
		b.tracker = new(election.Tracker)
		newPolicy = b.tracker.New
	}
	var err error
	b.log, err = bulletin.OpenLog(context.Background(), store.NewMemory(), newPolicy, bulletin.LogOptions{Signer: signer})
	must(t, err)
	srv := server.New(server.Config{Log: b.log, PageSize: pageSize})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
		b.log.Close()
	})
	b.url = ts.URL
	return b
}

func (b *testBoard) fetcher() client.Fetcher { return client.HTTPFetcher(b.url, http.DefaultClient) }

// post appends v, signed by s, to the board.
func (b *testBoard) post(t *testing.T, s election.Signer, typ string, v any) *bulletin.Record {
	t.Helper()
	sub, err := election.NewSubmission(s, typ, v)
	must(t, err)
	rec, _, err := b.log.Append(context.Background(), sub)
	must(t, err)
	return rec
}

// records returns the board's records.
func (b *testBoard) records(t *testing.T) []*bulletin.Record {
	t.Helper()
	var out []*bulletin.Record
	for i := range b.log.Size() {
		r, err := b.log.Record(context.Background(), i)
		must(t, err)
		out = append(out, r)
	}
	return out
}

// proxy stands between a follower and the boards, and can be made to lie.
type proxy struct {
	mu         sync.Mutex
	up         client.Fetcher                                   // the board
	checkpoint client.Fetcher                                   // where /checkpoint comes from, if not up
	rewrite    func(recs []*bulletin.Record) []*bulletin.Record // rewrites each page of records
	sign       func(signed []byte) []byte                       // rewrites the checkpoint
	fail       error                                            // every request fails so
	gets       int                                              // requests so far
}

func (p *proxy) fetch(ctx context.Context, path string) ([]byte, error) {
	p.mu.Lock()
	p.gets++
	up, rewrite, sign, fail := p.up, p.rewrite, p.sign, p.fail
	if path == "/checkpoint" && p.checkpoint != nil {
		up = p.checkpoint
	}
	p.mu.Unlock()
	if fail != nil {
		return nil, fail
	}
	data, err := up(ctx, path)
	if err != nil {
		return nil, err
	}
	switch {
	case path == "/checkpoint" && sign != nil:
		data = sign(data)
	case strings.HasPrefix(path, "/records?") && rewrite != nil:
		var recs []*bulletin.Record
		for line := range bytes.Lines(data) {
			r, err := bulletin.ParseRecord(bytes.TrimSuffix(line, []byte("\n")))
			if err != nil {
				return nil, err
			}
			recs = append(recs, r)
		}
		var out []byte
		for _, r := range rewrite(recs) {
			enc, err := r.MarshalJSON()
			if err != nil {
				return nil, err
			}
			out = append(append(out, enc...), '\n')
		}
		data = out
	}
	return data, nil
}

func (p *proxy) set(f func(p *proxy)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

func (p *proxy) requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gets
}

// newFollower returns a follower of the board behind p, whose checkpoints
// vkey verifies.
func newFollower(t *testing.T, p *proxy, vkey string) *follow.Follower {
	t.Helper()
	cl, err := client.New("http://board.invalid", vkey, &client.Options{Fetcher: p.fetch})
	must(t, err)
	return follow.New(cl)
}

var oneContest = simulate.SampleContests()[:1]

// newElection runs an election's definition and roll on b, with the
// board's own state as the participants' view.
func newElection(t *testing.T, b *testBoard, opts simulate.Options) *simulate.Election {
	t.Helper()
	var state simulate.StateFunc
	if b.tracker != nil {
		state = b.tracker.Current
	}
	if opts.Trustees == 0 {
		opts.Trustees, opts.Threshold = 3, 2
	}
	opts.Contests = oneContest
	e, err := simulate.New(context.Background(), b.log.Append, state, opts)
	must(t, err)
	return e
}

// wantRefused checks that err is the follower's refusal of its board,
// saying want.
func wantRefused(t *testing.T, what string, err error, want string) {
	t.Helper()
	if !errors.Is(err, follow.ErrRefused) || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: Sync = %v, want a refusal saying %q", what, err, want)
	}
}

// wantRefusedForGood checks that f, which refused its board with err,
// refuses it again without asking it anything, even once it behaves.
func wantRefusedForGood(t *testing.T, what string, f *follow.Follower, p *proxy, refusal error) {
	t.Helper()
	p.set(func(p *proxy) { p.rewrite, p.sign, p.checkpoint, p.fail = nil, nil, nil, nil })
	before := p.requests()
	if st, err := f.Sync(context.Background()); st != nil || err == nil || err.Error() != refusal.Error() {
		t.Errorf("%s: Sync after the refusal returned a state: %v, and %v; want the same refusal", what, st != nil, err)
	}
	if _, err := f.SyncTo(context.Background(), 1); err == nil || err.Error() != refusal.Error() {
		t.Errorf("%s: SyncTo after the refusal = %v; want the same refusal", what, err)
	}
	if n := p.requests() - before; n != 0 {
		t.Errorf("%s: the follower asked the refused board %d more times", what, n)
	}
}

// TestSyncFollowsTheBoard: a follower takes in a whole election, page by
// page and Sync after Sync, reporting its progress, and reaches the
// board's own state, checkpoint and records.
func TestSyncFollowsTheBoard(t *testing.T) {
	ctx := context.Background()
	signer, vkey := boardKey(t, "follow-board")
	b := newTestBoard(t, signer, true)
	p := &proxy{up: b.fetcher()}
	f := newFollower(t, p, vkey)
	type step struct{ done, total int64 }
	var progress []step
	f.SetProgress(func(done, total int64) { progress = append(progress, step{done, total}) })
	if _, err := f.LeafHash(0); err == nil || !strings.Contains(err.Error(), "record 0 has not been verified") {
		t.Errorf("LeafHash(0) before a Sync: %v", err)
	}

	check := func(what string, st *election.State, from int64) {
		t.Helper()
		size := b.log.Size()
		if got, want := st.Summary(), b.tracker.State().Summary(); got != want {
			t.Errorf("%s: the follower's summary %+v, the board's %+v", what, got, want)
		}
		if cp := f.Checkpoint(); cp.Size != size || !bytes.Equal(cp.Note, b.log.Checkpoint().Note) {
			t.Errorf("%s: the follower's checkpoint has %d records, the board's %d", what, cp.Size, size)
		}
		// Progress after each page of pageSize records, from where the
		// last Sync stopped.
		var want []step
		for done := from; done < size; {
			done = min(done+pageSize, size)
			want = append(want, step{done, size})
		}
		if fmt.Sprint(progress) != fmt.Sprint(want) {
			t.Errorf("%s: progress %v, want %v", what, progress, want)
		}
		progress = nil
		for _, r := range b.records(t) {
			if h, err := f.LeafHash(int64(r.Index)); err != nil || h != r.LeafHash() {
				t.Errorf("%s: LeafHash(%d) = %v, %v; want %v", what, r.Index, h, err, r.LeafHash())
			}
		}
		if _, err := f.LeafHash(size); err == nil {
			t.Errorf("%s: LeafHash(%d) of a record not on the board succeeded", what, size)
		}
	}

	e := newElection(t, b, simulate.Options{Voters: 3, MinCounted: 2})
	must(t, e.Ceremony(ctx))
	first, err := f.Sync(ctx)
	must(t, err)
	check("after the ceremony", first, 0)
	if first.Phase() != election.Ready {
		t.Errorf("phase after the ceremony: %v", first.Phase())
	}

	must(t, e.SetPhase(ctx, election.PhaseOpen))
	for v := range 3 {
		_, _, err := e.Cast(ctx, v, e.RandomChoices())
		must(t, err)
	}
	_, err = e.Challenge(ctx, 0, e.RandomChoices())
	must(t, err)
	_, _, err = e.Cast(ctx, 1, e.RandomChoices())
	must(t, err)
	from := f.Checkpoint().Size
	st, err := f.Sync(ctx)
	must(t, err)
	check("after the ballots", st, from)
	if st != first {
		t.Error("a later Sync returned another state than the one it went on from")
	}
	sums, boardSums := st.Sums(), b.tracker.State().Sums()
	for i := range boardSums {
		if sums[i].Equal(boardSums[i]) != 1 {
			t.Errorf("encrypted sum %d differs from the board's", i)
		}
	}

	// Nothing new: nothing read but the checkpoint.
	before := p.requests()
	_, err = f.Sync(ctx)
	must(t, err)
	check("again, with nothing new", st, b.log.Size())
	if n := p.requests() - before; n != 1 {
		t.Errorf("a Sync with nothing new made %d requests, want 1 (the checkpoint)", n)
	}

	// The participants act on the follower's view to the end.
	e.State = func(ctx context.Context) (*election.State, error) { return f.Sync(ctx) }
	must(t, e.SetPhase(ctx, election.PhaseClosed))
	must(t, e.Decrypt(ctx, 1))
	must(t, e.Decrypt(ctx, 3))
	_, err = e.Tally(ctx)
	must(t, err)
	from, progress = f.Checkpoint().Size, nil // the participants' Syncs took in all but the result
	st, err = f.Sync(ctx)
	must(t, err)
	check("after the tally", st, from)
	if st.Phase() != election.Tallied || st.Result() == nil {
		t.Errorf("the follower's phase at the end: %v", st.Phase())
	}
}

// TestSyncToWaitsForRecords: SyncTo returns once the board's checkpoint
// covers the records asked for, and gives up, saying how far it got, when
// its context ends first.
func TestSyncToWaitsForRecords(t *testing.T) {
	ctx := context.Background()
	signer, vkey := boardKey(t, "follow-board")
	b := newTestBoard(t, signer, true)
	e := newElection(t, b, simulate.Options{Voters: 2, LeaveRollOpen: true})
	f := newFollower(t, &proxy{up: b.fetcher()}, vkey)
	size := b.log.Size()

	st, err := f.SyncTo(ctx, size)
	must(t, err)
	if f.Checkpoint().Size != size || st.Phase() != election.Ceremony {
		t.Fatalf("SyncTo(%d): checkpoint of %d records, phase %v", size, f.Checkpoint().Size, st.Phase())
	}

	// The record asked for comes while SyncTo waits.
	done := make(chan error, 1)
	go func() {
		_, err := f.SyncTo(ctx, size+1)
		done <- err
	}()
	must(t, e.CloseRoll(ctx))
	select {
	case err := <-done:
		must(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("SyncTo did not return once the board had the record")
	}
	if n, closed := f.Checkpoint().Size, func() bool { _, c := st.RollStatus(); return c }(); n != size+1 || !closed {
		t.Errorf("after SyncTo(%d): checkpoint of %d records, roll closed %v", size+1, n, closed)
	}

	// A record that never comes.
	short, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
	defer cancel()
	_, err = f.SyncTo(short, size+5)
	// The deadline comes between two Syncs, or during one.
	if err == nil || errors.Is(err, follow.ErrRefused) || !strings.HasSuffix(err.Error(), fmt.Sprintf("(gave up waiting: %v)", context.DeadlineExceeded)) {
		t.Errorf("SyncTo(%d) of a board of %d: %v, want it to give up", size+5, size+1, err)
	}
	if f.Checkpoint().Size != size+1 {
		t.Errorf("after giving up: checkpoint of %d records", f.Checkpoint().Size)
	}
}

// TestSyncRefusesWhatTheRulesRefuse: a board that took records the
// election rules refuse (here, one that takes every signed record) is
// refused at the first of them, naming it and the rule, for good.
func TestSyncRefusesWhatTheRulesRefuse(t *testing.T) {
	_, otherKey := boardKey(t, "other-board")
	for _, c := range []struct {
		what string
		post func(t *testing.T, b *testBoard, e *simulate.Election)
		opts simulate.Options
		want string
	}{
		{"the roll closed by the official", func(t *testing.T, b *testBoard, e *simulate.Election) {
			st := election.NewReplay(election.ReplayOptions{})
			must(t, st.Records(b.records(t)))
			c, err := st.State().RollCloseRecord()
			must(t, err)
			b.post(t, e.Official, election.TypeRollClose, c)
		}, simulate.Options{Voters: 2, LeaveRollOpen: true},
			"the board holds a record that does not verify: record 2 (roll-closed): rejected (unauthorized): only the registrar the definition names may post the closing of the voter roll"},
		{"a second definition", func(t *testing.T, b *testBoard, e *simulate.Election) {
			again := *e.Manifest
			again.Title = "The same election, again"
			b.post(t, e.Official, election.TypeDefinition, &again)
		}, simulate.Options{Voters: 2, LeaveRollOpen: true},
			"record 2 (election): rejected (duplicate): the election is already defined"},
		{"a client hash by a voter", func(t *testing.T, b *testBoard, e *simulate.Election) {
			b.post(t, election.KeySigner(e.Voters[0].Private), election.TypeClientHash, &election.ClientHash{Election: strings.Repeat("00", 32), Name: "x", SHA256: strings.Repeat("00", 32)})
		}, simulate.Options{Voters: 2, LeaveRollOpen: true},
			"record 2 (client-hash): rejected (unauthorized): only the election official may post a client hash"},
		{"a definition for another board", func(*testing.T, *testBoard, *simulate.Election) {},
			simulate.Options{Voters: 2, LeaveRollOpen: true, Board: &ballot.Board{Origin: "other-board", Key: otherKey}},
			`record 0 (election): rejected (unauthorized): the definition is for the board "other-board"`},
	} {
		t.Run(c.what, func(t *testing.T) {
			signer, vkey := boardKey(t, "follow-board")
			b := newTestBoard(t, signer, false)
			e := newElection(t, b, c.opts)
			p := &proxy{up: b.fetcher()}
			f := newFollower(t, p, vkey)
			good := f.Checkpoint()
			c.post(t, b, e)
			st, err := f.Sync(context.Background())
			wantRefused(t, c.what, err, c.want)
			var rej *bulletin.RejectError
			if st != nil || !errors.As(err, &rej) {
				t.Errorf("%s: Sync returned a state: %v, and %v; want no state and the rejection", c.what, st != nil, err)
			}
			if f.Checkpoint().Size != good.Size {
				t.Errorf("%s: the follower's checkpoint moved to %d records", c.what, f.Checkpoint().Size)
			}
			wantRefusedForGood(t, c.what, f, p, err)
		})
	}
}

// TestSyncRefusesForgedRecords: a board that serves records other than
// those it appended — a signature broken, a record forged by someone else,
// two records swapped, one dropped — is refused, naming the record and
// what is wrong with it; records served out of order without even their
// numbers changed are an unreadable page, which a later Sync reads again.
func TestSyncRefusesForgedRecords(t *testing.T) {
	ctx := context.Background()
	signer, vkey := boardKey(t, "follow-board")
	b := newTestBoard(t, signer, true)
	e := newElection(t, b, simulate.Options{Voters: 2})
	must(t, e.Ceremony(ctx))
	if b.log.Size() < 3*pageSize {
		t.Fatalf("only %d records", b.log.Size())
	}
	stranger := election.KeySigner(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	renumber := func(recs []*bulletin.Record) []*bulletin.Record {
		for i := 1; i < len(recs); i++ {
			recs[i].Index = recs[0].Index + uint64(i)
		}
		return recs
	}
	at := func(index uint64, f func(recs []*bulletin.Record, i int) []*bulletin.Record) func([]*bulletin.Record) []*bulletin.Record {
		return func(recs []*bulletin.Record) []*bulletin.Record {
			for i, r := range recs {
				if r.Index == index {
					return f(recs, i)
				}
			}
			return recs
		}
	}
	for _, c := range []struct {
		what    string
		rewrite func([]*bulletin.Record) []*bulletin.Record
		want    string
	}{
		{"a record's signature broken", at(5, func(recs []*bulletin.Record, i int) []*bulletin.Record {
			recs[i].Sig[3] ^= 1
			return recs
		}), "record 5: bad-signature: "},
		{"the roll forged by a stranger", at(1, func(recs []*bulletin.Record, i int) []*bulletin.Record {
			r := recs[i]
			r.Author, r.Sig = stranger.PublicKey(), stranger.Sign(bulletin.SigningMessage(r.Type, r.Payload))
			return recs
		}), "record 1 (roll): rejected (unauthorized): only the registrar the definition names may post the voter roll"},
		{"records 5 and 6 swapped", at(5, func(recs []*bulletin.Record, i int) []*bulletin.Record {
			recs[i], recs[i+1] = recs[i+1], recs[i]
			return renumber(recs)
		}), "record 5: prev does not match the leaf hash of record 4"},
		{"record 6 dropped", at(6, func(recs []*bulletin.Record, i int) []*bulletin.Record {
			return renumber(append(recs[:i:i], recs[i+1:]...))
		}), "record 6: prev does not match the leaf hash of record 5"},
		{"a record's time moved back", at(6, func(recs []*bulletin.Record, i int) []*bulletin.Record {
			recs[i].Time = recs[i].Time.Add(-time.Hour)
			return recs
		}), "record 6: time "},
	} {
		t.Run(c.what, func(t *testing.T) {
			p := &proxy{up: b.fetcher(), rewrite: c.rewrite}
			f := newFollower(t, p, vkey)
			st, err := f.Sync(ctx)
			if st != nil {
				t.Errorf("%s: Sync returned a state", c.what)
			}
			wantRefused(t, c.what, err, "refusing this board's records: the board holds a record that does not verify: "+c.want)
			wantRefusedForGood(t, c.what, f, p, err)
		})
	}

	t.Run("records out of order", func(t *testing.T) {
		p := &proxy{up: b.fetcher(), rewrite: at(5, func(recs []*bulletin.Record, i int) []*bulletin.Record {
			recs[i], recs[i+1] = recs[i+1], recs[i]
			return recs
		})}
		f := newFollower(t, p, vkey)
		st, err := f.Sync(ctx)
		if st != nil || err == nil || errors.Is(err, follow.ErrRefused) || !strings.Contains(err.Error(), "reading records from 4: board: records: got index 6, want 5") {
			t.Fatalf("Sync of a page out of order returned a state: %v, and %v; want an unreadable page", st != nil, err)
		}
		if h, err := f.LeafHash(3); err != nil || h != b.records(t)[3].LeafHash() {
			t.Errorf("the records before the page: LeafHash(3) = %v, %v", h, err)
		}
		if _, err := f.LeafHash(4); err == nil {
			t.Error("a record of the unreadable page was taken in")
		}
		p.set(func(p *proxy) { p.rewrite = nil })
		st, err = f.Sync(ctx)
		must(t, err)
		if st.Summary() != b.tracker.State().Summary() {
			t.Errorf("after the board served its records: %+v, want %+v", st.Summary(), b.tracker.State().Summary())
		}
	})
}

// TestSyncRefusesForks: a board that shows two histories under its key is
// refused, with both checkpoints as evidence; so is one whose records do
// not hash to the checkpoint it serves, and one whose checkpoint drops
// records it signed before.
func TestSyncRefusesForks(t *testing.T) {
	ctx := context.Background()
	signer, vkey := boardKey(t, "follow-board")
	a := newTestBoard(t, signer, true)
	e := newElection(t, a, simulate.Options{Voters: 2})
	old := a.log.Checkpoint() // the definition and the roll
	must(t, e.Ceremony(ctx))
	// Board b, under the same key, took the same records, and a client
	// hash in the middle of the ceremony.
	b := newTestBoard(t, signer, true)
	recs := a.records(t)
	for i, r := range recs {
		if i == 6 {
			b.post(t, e.Official, election.TypeClientHash, a.tracker.State().ClientHashRecord("voter.wasm", sha256.Sum256(nil)))
		}
		_, _, err := b.log.Append(ctx, r.Submission())
		must(t, err)
	}
	n := a.log.Size()

	t.Run("the board shows another history", func(t *testing.T) {
		p := &proxy{up: a.fetcher()}
		f := newFollower(t, p, vkey)
		_, err := f.Sync(ctx)
		must(t, err)
		p.set(func(p *proxy) { p.up = b.fetcher() })
		st, err := f.Sync(ctx)
		var inc *client.ErrInconsistency
		if st != nil || !errors.As(err, &inc) || inc.Old.Size != n || inc.New.Size != n+1 {
			t.Fatalf("Sync after the board forked returned a state: %v, and %v; want the inconsistency of checkpoints %d and %d", st != nil, err, n, n+1)
		}
		wantRefused(t, "a fork", err, fmt.Sprintf("refusing this board's records: board: checkpoints of sizes %d and %d are inconsistent: ", n, n+1))
		for _, cp := range []bulletin.SignedCheckpoint{inc.Old, inc.New} {
			if _, _, err := bulletin.VerifyCheckpoint(vkey, cp.Note); err != nil {
				t.Errorf("the evidence's checkpoint of %d records does not verify: %v", cp.Size, err)
			}
		}
		if f.Checkpoint().Size != n {
			t.Errorf("the follower's checkpoint moved to %d records", f.Checkpoint().Size)
		}
		p.set(func(p *proxy) { p.up = a.fetcher() })
		wantRefusedForGood(t, "a fork", f, p, err)
	})

	t.Run("records that are not the checkpoint's", func(t *testing.T) {
		p := &proxy{up: b.fetcher(), checkpoint: a.fetcher()}
		f := newFollower(t, p, vkey)
		st, err := f.Sync(ctx)
		if st != nil {
			t.Error("Sync returned a state")
		}
		wantRefused(t, "records of another history", err,
			fmt.Sprintf("refusing this board's records: the board's records do not hash to its signed checkpoint of size %d: bulletin: root hash of the first %d records is", n, n))
		wantRefusedForGood(t, "records of another history", f, p, err)
	})

	t.Run("the checkpoint drops records", func(t *testing.T) {
		p := &proxy{up: a.fetcher()}
		f := newFollower(t, p, vkey)
		_, err := f.Sync(ctx)
		must(t, err)
		p.set(func(p *proxy) { p.sign = func([]byte) []byte { return old.Note } })
		st, err := f.Sync(ctx)
		if st != nil {
			t.Error("Sync returned a state")
		}
		wantRefused(t, "an older checkpoint", err,
			fmt.Sprintf("the board's checkpoint has %d records, fewer than the %d already verified: it dropped records it had signed", old.Size, n))
		wantRefusedForGood(t, "an older checkpoint", f, p, err)
	})

	t.Run("a checkpoint signed by another key", func(t *testing.T) {
		other, _ := boardKey(t, "follow-board")
		p := &proxy{up: a.fetcher(), sign: func([]byte) []byte {
			cp := a.log.Checkpoint().Checkpoint
			signed, err := bulletin.SignCheckpoint(cp, other)
			must(t, err)
			return signed
		}}
		f := newFollower(t, p, vkey)
		st, err := f.Sync(ctx)
		if st != nil || err == nil || errors.Is(err, follow.ErrRefused) || !strings.Contains(err.Error(), "reading the board's checkpoint: board: ") {
			t.Fatalf("Sync of a checkpoint signed by another key returned a state: %v, and %v; want it unread", st != nil, err)
		}
		p.set(func(p *proxy) { p.sign = nil })
		_, err = f.Sync(ctx)
		must(t, err)
	})
}

// TestSyncGoesOnAfterReadErrors: a board that cannot be read, or serves
// too few records, is not refused: the error says what failed, and the
// next Sync goes on from the records verified.
func TestSyncGoesOnAfterReadErrors(t *testing.T) {
	ctx := context.Background()
	signer, vkey := boardKey(t, "follow-board")
	b := newTestBoard(t, signer, true)
	e := newElection(t, b, simulate.Options{Voters: 2})
	must(t, e.Ceremony(ctx))
	down := errors.New("connection refused")
	for _, c := range []struct {
		what string
		set  func(p *proxy)
		want string
	}{
		{"the board is down", func(p *proxy) { p.fail = down }, "reading the board's checkpoint: connection refused"},
		{"the board serves no records", func(p *proxy) {
			p.rewrite = func(recs []*bulletin.Record) []*bulletin.Record { return nil }
		}, fmt.Sprintf("reading records from 0: the board returned no record 0, below its checkpoint size %d", b.log.Size())},
		{"the board stops serving records after a page", func(p *proxy) {
			p.rewrite = func(recs []*bulletin.Record) []*bulletin.Record {
				if recs[0].Index > 0 {
					return nil
				}
				return recs
			}
		}, fmt.Sprintf("reading records from %d: the board returned no record %d", pageSize, pageSize)},
	} {
		t.Run(c.what, func(t *testing.T) {
			p := &proxy{up: b.fetcher()}
			f := newFollower(t, p, vkey)
			p.set(c.set)
			st, err := f.Sync(ctx)
			if st != nil || err == nil || errors.Is(err, follow.ErrRefused) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Sync returned a state: %v, and %v; want an error saying %q, not a refusal", st != nil, err, c.want)
			}
			p.set(func(p *proxy) { p.rewrite, p.fail = nil, nil })
			st, err = f.Sync(ctx)
			must(t, err)
			if st.Summary() != b.tracker.State().Summary() || f.Checkpoint().Size != b.log.Size() {
				t.Errorf("after the board recovered: %+v at %d records, want %+v at %d", st.Summary(), f.Checkpoint().Size, b.tracker.State().Summary(), b.log.Size())
			}
		})
	}

	t.Run("the caller gives up", func(t *testing.T) {
		f := newFollower(t, &proxy{up: b.fetcher()}, vkey)
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if st, err := f.Sync(cancelled); st != nil || !errors.Is(err, context.Canceled) || errors.Is(err, follow.ErrRefused) {
			t.Fatalf("Sync with a cancelled context returned a state: %v, and %v", st != nil, err)
		}
		_, err := f.Sync(ctx)
		must(t, err)
	})
}

// TestSyncChecksTheWitnesses: the follower acts only on a checkpoint
// cosigned by the definition's quorum of witnesses; without it, Sync says
// so, and does not refuse the board, whose records are fine.
func TestSyncChecksTheWitnesses(t *testing.T) {
	ctx := context.Background()
	signer, vkey := boardKey(t, "follow-board")
	b := newTestBoard(t, signer, true)
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	must(t, err)
	witness, err := torchwood.NewCosignatureSigner("witness.example", priv)
	must(t, err)
	newElection(t, b, simulate.Options{Voters: 2, LeaveRollOpen: true,
		Witnesses: []ballot.Witness{{Name: "witness.example", Key: witness.Verifier().String()}}, WitnessQuorum: 1})
	p := &proxy{up: b.fetcher()}
	f := newFollower(t, p, vkey)
	st, err := f.Sync(ctx)
	if st != nil || err == nil || errors.Is(err, follow.ErrRefused) || !errors.Is(err, bulletin.ErrNoQuorum) ||
		!strings.Contains(err.Error(), "not acting on the board's history: the board's checkpoint of 2 records is not cosigned by a quorum") {
		t.Fatalf("Sync of a checkpoint the witness did not cosign returned a state: %v, and %v", st != nil, err)
	}
	if f.Checkpoint().Size != 0 {
		t.Errorf("the follower took the uncosigned checkpoint of %d records", f.Checkpoint().Size)
	}
	verifier, err := note.NewVerifier(vkey)
	must(t, err)
	p.set(func(p *proxy) {
		p.sign = func(signed []byte) []byte {
			n, err := note.Open(signed, note.VerifierList(verifier))
			must(t, err)
			cosigned, err := note.Sign(n, witness)
			must(t, err)
			return cosigned
		}
	})
	st, err = f.Sync(ctx)
	must(t, err)
	if f.Checkpoint().Size != 2 || st.Phase() != election.Ceremony {
		t.Errorf("with the cosignature: checkpoint of %d records, phase %v", f.Checkpoint().Size, st.Phase())
	}
}

// TestNeed: a Need only rises, to the largest size asked for, from any
// number of goroutines.
func TestNeed(t *testing.T) {
	var n follow.Need
	if n.Size() != 0 {
		t.Fatalf("a new Need is %d", n.Size())
	}
	n.Cover(&bulletin.Record{Index: 9})
	n.CoverAll(4)
	if n.Size() != 10 {
		t.Fatalf("after Cover(record 9) and CoverAll(4): %d, want 10", n.Size())
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				n.CoverAll(int64(i*8 + g))
				n.Cover(&bulletin.Record{Index: uint64(i)})
			}
		})
	}
	wg.Wait()
	if got, want := n.Size(), int64(199*8+7); got != want {
		t.Errorf("after concurrent raises: %d, want %d", got, want)
	}
}
