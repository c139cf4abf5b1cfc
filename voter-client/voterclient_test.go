package voterclient_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/simulate"
	voterclient "github.com/evote/evote/voter-client"
)

// board is an in-memory bulletin board running the election policy.
type board struct {
	log     *bulletin.Log
	tracker *election.Tracker
	vkey    string
}

func newBoard(t *testing.T) *board {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "test-board")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	b := &board{tracker: new(election.Tracker), vkey: vkey}
	b.log, err = bulletin.OpenLog(context.Background(), store.NewMemory(), b.tracker.New, bulletin.LogOptions{Signer: signer})
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

func wantProblem(t *testing.T, what string, err error, code string) {
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
