package voterclient_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/voterclient"
)

// board is an in-memory bulletin board running the election policy.
type board struct {
	log     *bulletin.Log
	tracker *election.Tracker
	vkey    string
	signer  note.Signer // the board key, which signs its checkpoints
	// unchecked holds the signatures of submissions whose proofs the board
	// skips, as a dishonest board would (laxPolicy).
	unchecked sync.Map
}

// laxPolicy is the election's policy, except that it skips the proofs of
// the submissions whose signatures are in unchecked.
type laxPolicy struct {
	bulletin.Policy
	unchecked *sync.Map
}

// Verify implements bulletin.Policy.
func (p laxPolicy) Verify(ctx context.Context, s *bulletin.Submission) error {
	if _, ok := p.unchecked.Load(string(s.Sig)); ok {
		return nil
	}
	return p.Policy.Verify(ctx, s)
}

func newBoard(t *testing.T) *board {
	t.Helper()
	return newNamedBoard(t, "test-board")
}

// newNamedBoard is newBoard with a board key of the given name, the
// origin of its checkpoints.
func newNamedBoard(t *testing.T, name string) *board { return newClockedBoard(t, name, nil) }

// newClockedBoard is newNamedBoard whose records take their times from
// now (time.Now if nil): two boards with one clock fed the same
// submissions hold the same log, as a replicated board's operators do.
func newClockedBoard(t *testing.T, name string, now func() time.Time) *board {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	b := &board{tracker: new(election.Tracker), vkey: vkey, signer: signer}
	policy := func() bulletin.Policy { return laxPolicy{Policy: b.tracker.New(), unchecked: &b.unchecked} }
	b.log, err = bulletin.OpenLog(context.Background(), store.NewMemory(), policy, bulletin.LogOptions{Signer: signer, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.log.Close() })
	return b
}

// page returns the board's records [start, size) as GET /records would.
func (b *board) page(t *testing.T, start int64) []byte {
	t.Helper()
	recs, err := b.log.Records(context.Background(), start, b.log.Size())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, r := range recs {
		buf.Write(r)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

func (b *board) records(t *testing.T) []*bulletin.Record {
	t.Helper()
	recs, err := voterclient.ParseRecords(b.page(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// post appends sub and returns the body POST /records would answer.
func (b *board) post(t *testing.T, sub *bulletin.Submission) (int, []byte) {
	t.Helper()
	body, err := sub.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	bs, err := bulletin.ParseSubmission(body)
	if err != nil {
		t.Fatal(err)
	}
	rec, receipt, err := b.log.Append(context.Background(), bs)
	var rej *bulletin.RejectError
	if errors.As(err, &rej) {
		out, _ := json.Marshal(bulletin.ErrorResponse{Error: rej.Reason, Code: rej.Code})
		return 409, out
	}
	if err != nil {
		t.Fatal(err)
	}
	enc, err := rec.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(bulletin.AppendResponse{Record: enc, Receipt: string(receipt.Marshal())})
	if err != nil {
		t.Fatal(err)
	}
	return 201, out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// openElection runs the ceremony and opens voting on a fresh board.
func openElection(t *testing.T, contests []ballot.Contest) (*board, *simulate.Election) {
	t.Helper()
	ctx := context.Background()
	b := newBoard(t)
	e, err := simulate.New(ctx, b.log.Append, b.tracker.Current, simulate.Options{Voters: 4, Trustees: 3, Threshold: 2, Contests: contests})
	must(t, err)
	must(t, e.Ceremony(ctx))
	must(t, e.SetPhase(ctx, election.PhaseOpen))
	return b, e
}

// wantProblem checks that err is a *Problem with code and a message, and
// returns it.
func wantProblem(t *testing.T, what string, err error, code string) *voterclient.Problem {
	t.Helper()
	var p *voterclient.Problem
	if !errors.As(err, &p) {
		t.Fatalf("%s: error = %v, want a *Problem %q", what, err, code)
	}
	if p.Code != code {
		t.Fatalf("%s: problem %q (%s), want %q", what, p.Code, p.Message, code)
	}
	if p.Message == "" || strings.Contains(p.Message, "%!") {
		t.Fatalf("%s: bad message %q", what, p.Message)
	}
	t.Logf("%s: %s", what, p.Message)
	return p
}

// TestParseRecordsArray checks that a page in the JSON array format
// (GET /records?format=array) parses like JSON Lines.
func TestParseRecordsArray(t *testing.T) {
	b, _ := openElection(t, nil)
	raws, err := b.log.Records(context.Background(), 0, b.log.Size())
	must(t, err)
	arr := append([]byte("["), bytes.Join(raws, []byte(","))...)
	arr = append(arr, ']')
	recs, err := voterclient.ParseRecords(arr)
	must(t, err)
	lines := b.records(t)
	if len(recs) != len(raws) || len(lines) != len(raws) {
		t.Fatalf("ParseRecords(array) = %d records, JSON Lines %d, want %d", len(recs), len(lines), len(raws))
	}
	for i := range recs {
		if recs[i].LeafHash() != lines[i].LeafHash() {
			t.Errorf("record %d: array and JSON Lines differ", i)
		}
	}
}

func TestSyncStopsOnceOpen(t *testing.T) {
	ctx := context.Background()
	b := newBoard(t)
	e, err := simulate.New(ctx, b.log.Append, b.tracker.Current, simulate.Options{Voters: 3, Trustees: 3, Threshold: 2})
	must(t, err)

	s := voterclient.NewSyncer()
	must(t, s.Add(b.records(t)))
	if s.Done() || s.Election().Phase != election.Ceremony || s.Election().Ballot != nil {
		t.Fatalf("after the definition: done %v, phase %s", s.Done(), s.Election().Phase)
	}
	must(t, e.Ceremony(ctx))
	must(t, s.Add(b.records(t))) // the records already read are skipped
	if s.Done() || s.Election().Phase != election.Ready {
		t.Fatalf("after the ceremony: done %v, phase %s", s.Done(), s.Election().Phase)
	}
	// Encrypting is refused until voting opens.
	_, err = voterclient.Prepare(s.Election(), e.Voters[0], ballot.NewChoices(e.Manifest), ballot.ConfirmationCode{})
	wantProblem(t, "prepare before opening", err, voterclient.CodeNotOpen)

	st := b.tracker.State()
	h := [32]byte{1, 2, 3}
	sub, err := election.NewSubmission(e.Official, election.TypeClientHash, st.ClientHashRecord("web", h))
	must(t, err)
	_, _, err = b.log.Append(ctx, sub)
	must(t, err)
	must(t, e.SetPhase(ctx, election.PhaseOpen))
	must(t, s.Add(b.records(t)))
	if !s.Done() {
		t.Fatal("not done after voting opened")
	}
	got := s.Election()
	if got.Ballot.BaseHash != st.Election().BaseHash || got.ManifestHash != st.ManifestHash() {
		t.Fatal("synced base hash or manifest hash differs from the board's state")
	}
	if len(got.Clients) != 1 || got.Clients[0].Name != "web" || got.Clients[0].SHA256 != st.ClientHashes()[0].SHA256 {
		t.Fatalf("client hashes = %+v", got.Clients)
	}
	if s.Next() != uint64(b.log.Size()) {
		t.Fatalf("Next = %d, want %d", s.Next(), b.log.Size())
	}
	// Ballots after the opening are not needed, nor read.
	next := s.Next()
	_, _, err = e.Cast(ctx, 0, e.RandomChoices())
	must(t, err)
	must(t, s.Add(b.records(t)))
	if s.Next() != next || !s.Done() {
		t.Fatalf("after a ballot: Next = %d, want %d", s.Next(), next)
	}
}

// anchorArgs returns what the page fetches to anchor a sync that read
// records [0, next): the board's checkpoint and the inclusion proof of
// record next−1 in its tree.
func (b *board) anchorArgs(t *testing.T, next int64) map[string]any {
	t.Helper()
	cp := b.log.Checkpoint()
	proof, err := b.log.InclusionProof(next-1, cp.Size)
	must(t, err)
	return map[string]any{"checkpoint": string(cp.Note), "board_key": b.vkey, "proof": map[string]any{"proof": proof}}
}

// TestSyncerAnchor: the records the page read are tied to the board's
// signed checkpoint before it encrypts; another key, another log, a
// checkpoint too small or a proof of another record are refused.
func TestSyncerAnchor(t *testing.T) {
	b, sim := openElection(t, nil)
	_, _, err := sim.Cast(context.Background(), 0, sim.RandomChoices()) // records the page does not read
	must(t, err)
	recs := b.records(t)
	s := voterclient.NewSyncer()
	must(t, s.Add(recs))
	next := int64(s.Next())
	if !s.Done() || next >= int64(len(recs)) {
		t.Fatalf("the sync read %d of %d records, done %v", next, len(recs), s.Done())
	}
	cp := b.log.Checkpoint()
	proof := func(i int64) tlog.RecordProof {
		p, err := b.log.InclusionProof(i, cp.Size)
		must(t, err)
		return p
	}
	_, otherKey, err := note.GenerateKey(rand.Reader, "test-board")
	must(t, err)
	skey, renamedKey, err := note.GenerateKey(rand.Reader, "renamed-board")
	must(t, err)
	renamed, err := note.NewSigner(skey)
	must(t, err)
	otherOrigin, err := bulletin.SignCheckpoint(bulletin.Checkpoint{Origin: "test-board", Size: cp.Size, Hash: cp.Hash}, renamed)
	must(t, err)
	for _, tc := range []struct {
		name       string
		checkpoint []byte
		key        string
		proof      tlog.RecordProof
		want       string
	}{
		{"another board's key", cp.Note, otherKey, proof(next - 1), "not signed by its key"},
		{"another log", otherOrigin, renamedKey, proof(next - 1), `for the log "test-board", not "renamed-board"`},
		{"the proof of another record", cp.Note, b.vkey, proof(next - 2), "not the ones its checkpoint signs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Anchor(tc.checkpoint, tc.key, tc.proof)
			if p := voterclient.AsProblem(err); err == nil || p.Code != voterclient.CodeBadBoard || !strings.Contains(p.Message, tc.want) {
				t.Fatalf("Anchor = %v, want bad-board saying %q", err, tc.want)
			}
			if s.Anchored() != 0 {
				t.Fatal("a refused anchor anchored the sync")
			}
		})
	}
	if n, err := s.Anchor(cp.Note, b.vkey, proof(next-1)); err != nil || n != cp.Size || s.Anchored() != cp.Size {
		t.Fatalf("Anchor = %d, %v", n, err)
	}
}
