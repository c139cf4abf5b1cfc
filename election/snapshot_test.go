package election_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/election"
)

// admitAll admits recs into s, failing the test on a refusal.
func admitAll(t *testing.T, s *election.State, recs []*bulletin.Record) {
	t.Helper()
	for _, rec := range recs {
		v, err := election.Decode(rec.Type, rec.Payload)
		must(t, err)
		if err := s.Admit(rec, v); err != nil {
			t.Fatalf("record %d (%s): %v", rec.Index, rec.Type, err)
		}
	}
}

func snapshotOf(t *testing.T, s *election.State) []byte {
	t.Helper()
	var buf bytes.Buffer
	must(t, s.WriteSnapshot(&buf))
	return buf.Bytes()
}

func recordReader(recs []*bulletin.Record) func(int64) (*bulletin.Record, error) {
	return func(i int64) (*bulletin.Record, error) {
		if i < 0 || i >= int64(len(recs)) {
			return nil, fmt.Errorf("no record %d", i)
		}
		return recs[i], nil
	}
}

// TestSnapshotRestoresEveryPoint saves the state of a whole election
// after each of its records and restores it into a fresh state, which must
// then take in the records after it exactly as the state that admitted
// every record did: the same outcome for each, and the same saved bytes
// at every step (re-votes, a challenge, partial decryptions and the result
// included).
func TestSnapshotRestoresEveryPoint(t *testing.T) {
	election.SpillCountedBallots(t) // the saved ciphertexts come from the file
	recs := simulatedRecords(t)
	saved := 0
	for k := 1; k < len(recs); k++ {
		full := election.NewState()
		admitAll(t, full, recs[:k])
		var buf bytes.Buffer
		err := full.WriteSnapshot(&buf)
		if errors.Is(err, bulletin.ErrNoSnapshot) {
			if full.Election() != nil {
				t.Fatalf("after %d records: %v, but the election key is posted", k, err)
			}
			continue
		}
		must(t, err)
		saved++
		size, root := full.TreeHead()
		restored := election.NewState()
		if err := restored.RestoreSnapshot(bytes.NewReader(buf.Bytes()), tlog.Tree{N: size, Hash: root}, recordReader(recs)); err != nil {
			t.Fatalf("restoring the state after %d records: %v", k, err)
		}
		if !bytes.Equal(snapshotOf(t, restored), buf.Bytes()) {
			t.Fatalf("the state restored after %d records saves other bytes", k)
		}
		// What the board tells of each ballot, and what a later ballot is
		// judged against, were restored too: a ballot already on the
		// board is refused alike.
		for _, rec := range recs[:k] {
			if n, w := restored.Notice(rec.Index), full.Notice(rec.Index); n != w {
				t.Fatalf("restored after %d records, record %d's notice is %q, want %q", k, rec.Index, n, w)
			}
			bs, bok := restored.BallotStatus(rec)
			ws, wok := full.BallotStatus(rec)
			if bs != ws || bok != wok {
				t.Fatalf("restored after %d records, record %d's status is %+v, want %+v", k, rec.Index, bs, ws)
			}
			if rec.Type != election.TypeBallot {
				continue
			}
			again := *rec
			again.Index = uint64(k)
			v, err := election.Decode(again.Type, again.Payload)
			must(t, err)
			errFull, errRestored := full.Admit(&again, v), restored.Admit(&again, v)
			if errRestored == nil || fmt.Sprint(errFull) != fmt.Sprint(errRestored) {
				t.Fatalf("restored after %d records, ballot %d posted again: %v, want %v", k, rec.Index, errRestored, errFull)
			}
		}
		for _, rec := range recs[k:] {
			v, err := election.Decode(rec.Type, rec.Payload)
			must(t, err)
			errFull, errRestored := full.Admit(rec, v), restored.Admit(rec, v)
			if fmt.Sprint(errFull) != fmt.Sprint(errRestored) {
				t.Fatalf("restored after %d records, record %d: %v, but %v without the restore", k, rec.Index, errRestored, errFull)
			}
			if !bytes.Equal(snapshotOf(t, restored), snapshotOf(t, full)) {
				t.Fatalf("restored after %d records, the states differ after record %d", k, rec.Index)
			}
		}
		if f, r := full.Summary(), restored.Summary(); f != r {
			t.Fatalf("restored after %d records, summary %+v, want %+v", k, r, f)
		}
	}
	if saved < 10 {
		t.Fatalf("only %d of %d points could be saved", saved, len(recs))
	}
}

// TestSnapshotRefusesWhatDoesNotFit: a saved state restores only for the
// tree it names, from records that are the ones it names, and a cut or
// damaged file fails rather than restoring a partial state.
func TestSnapshotRefusesWhatDoesNotFit(t *testing.T) {
	recs := simulatedRecords(t)
	full := election.NewState()
	admitAll(t, full, recs)
	data := snapshotOf(t, full)
	size, root := full.TreeHead()
	tree := tlog.Tree{N: size, Hash: root}

	restore := func(data []byte, tree tlog.Tree, read func(int64) (*bulletin.Record, error)) error {
		return election.NewState().RestoreSnapshot(bytes.NewReader(data), tree, read)
	}
	cases := map[string]struct {
		err  error
		want string
	}{
		"another tree size": {restore(data, tlog.Tree{N: size - 1, Hash: root}, recordReader(recs)), "saved as the state after"},
		"another tree hash": {restore(data, tlog.Tree{N: size, Hash: tlog.Hash{1}}, recordReader(recs)), "saved as the state after"},
		"another definition": {restore(data, tree, func(i int64) (*bulletin.Record, error) {
			if i == 0 {
				return recs[1], nil
			}
			return recs[i], nil
		}), "admitting record 0 again"},
		"an unreadable record": {restore(data, tree, func(i int64) (*bulletin.Record, error) {
			return nil, errors.New("disk on fire")
		}), "disk on fire"},
		"not a state": {restore([]byte("evote election state v0\n"), tree, recordReader(recs)), "not an election state"},
	}
	for name, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", name, c.err, c.want)
		}
	}
	// Every cut fails: the state reads exactly what was written.
	for cut := 0; cut < len(data); cut += 1 + len(data)/300 {
		if err := restore(data[:cut], tree, recordReader(recs)); err == nil {
			t.Fatalf("the saved state cut to %d of %d bytes restored", cut, len(data))
		}
	}
}

// savingBoard is a board whose log saves its state to a file.
type savingBoard struct {
	mem    *store.Memory
	signer note.Signer
	path   string

	mu   sync.Mutex
	logs []string
}

func newSavingBoard(t *testing.T) *savingBoard {
	skey, _, err := note.GenerateKey(rand.Reader, "test-board")
	must(t, err)
	signer, err := note.NewSigner(skey)
	must(t, err)
	return &savingBoard{mem: store.NewMemory(), signer: signer, path: filepath.Join(t.TempDir(), "board.state")}
}

// open opens the board's log, saving its state every `every` records.
func (sb *savingBoard) open(t *testing.T, every int64) *board {
	t.Helper()
	b := &board{tracker: new(election.Tracker)}
	var err error
	b.log, err = bulletin.OpenLog(context.Background(), sb.mem, b.tracker.New, bulletin.LogOptions{
		Signer: sb.signer, Snapshot: sb.path, SnapshotEvery: every,
		Logf: func(format string, args ...any) {
			sb.mu.Lock()
			sb.logs = append(sb.logs, fmt.Sprintf(format, args...))
			sb.mu.Unlock()
		},
	})
	must(t, err)
	return b
}

// said returns what the logs said since the last call.
func (sb *savingBoard) said() string {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	s := strings.Join(sb.logs, "\n")
	sb.logs = nil
	return s
}

// TestBoardRestartsFromSavedState: a board saves its state as it runs and
// when it closes, and a board reopened on the same store restores it and
// replays only the records after it; it judges new ballots as the board
// that admitted every record would. A damaged state file, or one of
// another board, is reported and ignored: the board replays every record.
func TestBoardRestartsFromSavedState(t *testing.T) {
	ctx := context.Background()
	sb := newSavingBoard(t)
	first := sb.open(t, 10)
	e := newElection(t, first, 12)
	must(t, e.Ceremony(ctx))
	must(t, e.SetPhase(ctx, election.PhaseOpen))
	var lastBallot *bulletin.Record
	for v := range 12 {
		rec, _, err := e.Cast(ctx, v, e.RandomChoices())
		must(t, err)
		lastBallot = rec
	}
	if said := sb.said(); !strings.Contains(said, "saved the state after") {
		t.Fatalf("a board saving every 10 records said %q while running", said)
	}
	_, err := e.Challenge(ctx, 0, e.RandomChoices())
	must(t, err)
	before := first.tracker.State()
	size := first.log.Size()

	// A board that crashed: the state file is the one saved last while
	// it ran, and the records after it are replayed.
	crashed := sb.open(t, 1000)
	said := sb.said()
	var saved, replayed int64
	if _, err := fmt.Sscanf(said[strings.Index(said, "restored the state saved after"):], "restored the state saved after %d records from "+sb.path+"; replaying the %d after them", &saved, &replayed); err != nil || replayed == 0 || saved+replayed != size {
		t.Fatalf("a board opened after a crash said %q (%v), want it to restore a state saved while running and replay the rest of %d records", said, err, size)
	}
	if a, w := crashed.tracker.State().Summary(), before.Summary(); a != w {
		t.Fatalf("after a crash: state %+v, want %+v", a, w)
	}
	crashed.log.Close()
	sb.said()

	first.log.Close()
	if said := sb.said(); !strings.Contains(said, fmt.Sprintf("saved the state after %d records", size)) {
		t.Fatalf("closing the board said %q, want it saved after %d records", said, size)
	}

	check := func(name string, b *board, wantSaid string) {
		t.Helper()
		if said := sb.said(); !strings.Contains(said, wantSaid) {
			t.Fatalf("%s: the board said %q, want %q", name, said, wantSaid)
		}
		after := b.tracker.State()
		if a, w := after.Summary(), before.Summary(); a != w {
			t.Fatalf("%s: state %+v, want %+v", name, a, w)
		}
		bs, as := before.Sums(), after.Sums()
		for i := range bs {
			if bs[i].Equal(as[i]) != 1 {
				t.Fatalf("%s: encrypted sum %d differs", name, i)
			}
		}
		// A ballot already on the board is refused as before.
		wantReject(t, b, name+": a ballot posted again", &bulletin.Submission{
			Type: lastBallot.Type, Payload: lastBallot.Payload, Author: lastBallot.Author, Sig: lastBallot.Sig,
		}, bulletin.CodeDuplicate)
	}

	again := sb.open(t, 1000)
	check("reopened", again, fmt.Sprintf("restored the state saved after %d records", size))
	// The restored board goes on: a re-vote replaces a ballot counted
	// before the restart.
	e.Post, e.State = again.log.Append, again.tracker.Current
	_, _, err = e.Cast(ctx, 3, e.RandomChoices())
	must(t, err)
	if got := again.tracker.State().Summary(); got.Superseded != 1 || got.Counted != 12 {
		t.Fatalf("after a re-vote on the restored board: %+v, want 1 superseded and 12 counted", got)
	}
	before = again.tracker.State()
	again.log.Close()
	sb.said()

	data, err := os.ReadFile(sb.path)
	must(t, err)
	damaged := bytes.Clone(data)
	damaged[len(damaged)/2] ^= 1
	must(t, os.WriteFile(sb.path, damaged, 0o600))
	b := sb.open(t, 1000)
	check("damaged state file", b, "not using the saved state")
	b.log.Close()

	other := newSavingBoard(t)
	ob := other.open(t, 1)
	oe := newElection(t, ob, 3)
	must(t, oe.Ceremony(ctx))
	ob.log.Close()
	foreign, err := os.ReadFile(other.path)
	must(t, err)
	must(t, os.WriteFile(sb.path, foreign, 0o600))
	sb.said()
	b = sb.open(t, 1000)
	check("another board's state file", b, "but the log's first")
	b.log.Close()
}
