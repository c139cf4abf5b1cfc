package verifier_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	randtest "testing/cryptotest"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/ceremony"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/internal/specvectors"
	"github.com/evote/evote/verifier"
)

// The golden election record of docs/spec/vectors/golden (docs/spec/
// vectors.md §3): a whole small election as the board exports it, its
// checkpoint and board key, every participant's private key (keys.txt),
// the outcome the verifier must report (verify.txt) and the tamper set
// (tamper.txt, tamper_vectors_test.go).
//
// "go test ./verifier -run Golden -update" runs the election again and
// rewrites the files. The election is deterministic: crypto/rand is
// testing/cryptotest's seeded stream, drawn from one goroutine, and the
// board's clock ticks a second per record, so that the files change only
// when the code (or Go's use of randomness) does.

var _ = flag.Bool("update", false, "rewrite the vector files of docs/spec/vectors")

// The golden election's fixed parameters.
const (
	goldenOrigin = "vote.example.org/golden-2026"
	goldenSeed   = 2026
)

var (
	goldenOpens  = time.Date(2026, 5, 3, 7, 0, 0, 0, time.UTC)
	goldenCloses = time.Date(2026, 5, 3, 19, 0, 0, 0, time.UTC)
)

// goldenContests are the golden election's contests: five positions.
func goldenContests() []ballot.Contest {
	return []ballot.Contest{
		{ID: "mayor", Title: "Mayor (pick one)", Kind: ballot.KindPlurality, MinSelections: 0, MaxSelections: 1, OptionMax: 1,
			Options: []ballot.Option{{ID: "alice", Title: "Alice"}, {ID: "bob", Title: "Bob"}, {ID: "carol", Title: "Carol"}}},
		{ID: "monorail", Title: "Build a monorail?", MinSelections: 1, MaxSelections: 1, OptionMax: 1,
			Options: []ballot.Option{{ID: "yes", Title: "Yes"}, {ID: "no", Title: "No"}}},
	}
}

// goldenBallot is one step of the golden election's voting phase.
type goldenBallot struct {
	voter     int
	choices   ballot.Choices
	challenge bool // reveal the ballot instead of casting it
}

// goldenVoting is the voting phase: voter 1 challenges a ballot, everyone
// casts one, and voter 0 votes again.
var goldenVoting = []goldenBallot{
	{1, ballot.Choices{{0, 0, 1}, {0, 1}}, true},
	{0, ballot.Choices{{1, 0, 0}, {1, 0}}, false},
	{1, ballot.Choices{{0, 0, 1}, {1, 0}}, false},
	{2, ballot.Choices{{1, 0, 0}, {1, 0}}, false},
	{3, ballot.Choices{{0, 1, 0}, {1, 0}}, false},
	{4, ballot.Choices{{0, 0, 0}, {0, 1}}, false},
	{5, ballot.Choices{{1, 0, 0}, {1, 0}}, false},
	{0, ballot.Choices{{0, 1, 0}, {0, 1}}, false},
}

// goldenFiles are the files of docs/spec/vectors/golden that the
// election generates, by name.
type goldenFiles map[string][]byte

// generateGolden runs the golden election on an in-memory board and
// returns its files.
func generateGolden(t *testing.T) goldenFiles {
	// One goroutine draws every random value, in a fixed order.
	randtest.SetGlobalRandom(t, goldenSeed)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	ctx := context.Background()
	skey, vkey, err := note.GenerateKey(rand.Reader, goldenOrigin)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	ticks := goldenOpens.Add(-time.Hour)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		ticks = ticks.Add(time.Second)
		return ticks
	}
	tracker := &election.Tracker{BoardKey: vkey}
	ms := store.NewMemory()
	log, err := bulletin.OpenLog(ctx, ms, tracker.New, bulletin.LogOptions{Signer: signer, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	e, err := simulate.New(ctx, log.Append, tracker.Current, simulate.Options{
		Title: "Golden election", Voters: 6, Trustees: 3, Threshold: 2, Contests: goldenContests(),
		Opens: goldenOpens, Closes: goldenCloses, Board: &ballot.Board{Origin: goldenOrigin, Key: vkey},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Ceremony(ctx); err != nil {
		t.Fatal(err)
	}
	// Voting opens at the definition's opening time.
	mu.Lock()
	ticks = goldenOpens.Add(-time.Second)
	mu.Unlock()
	if err := e.SetPhase(ctx, election.PhaseOpen); err != nil {
		t.Fatal(err)
	}
	for _, b := range goldenVoting {
		if b.challenge {
			_, err = e.Challenge(ctx, b.voter, b.choices)
		} else {
			_, _, err = e.Cast(ctx, b.voter, b.choices)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := e.SetPhase(ctx, election.PhaseClosed); err != nil {
		t.Fatal(err)
	}
	for i := range e.Trustees {
		if err := e.Decrypt(ctx, i+1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Tally(ctx); err != nil {
		t.Fatal(err)
	}
	var export bytes.Buffer
	n, err := bulletin.Export(ctx, ms, &export)
	if err != nil {
		t.Fatal(err)
	}
	st := tracker.State()
	return goldenFiles{
		"record.jsonl": export.Bytes(),
		"checkpoint":   log.Checkpoint().Note,
		"board.vkey":   []byte(vkey + "\n"),
		"keys.txt":     goldenKeys(t, e, skey, vkey),
		"verify.txt":   goldenOutcome(n, log.Checkpoint().Note, vkey, st, e.Expected()),
	}
}

// goldenKeys writes keys.txt: every participant's private key, by role.
func goldenKeys(t *testing.T, e *simulate.Election, skey, vkey string) []byte {
	w := specvectors.NewWriter(`The private keys of the golden election's participants, by role: what a
malicious board or author needs to re-sign a tampered record (tamper.txt,
op resign). They sign nothing else: never use them. Format:
docs/spec/vectors.md. Runner: TestGoldenKeys (verifier).

Inputs:
  seed:      (every role but board) the Ed25519 seed (RFC 8032 §5.1.5)
  note-key:  (board) the board's note signing key (golang.org/x/mod/sumdb/note:
             PRIVATE+KEY+<name>+<key hash>+base64(0x01 || Ed25519 seed))
Outputs:
  public-key: the Ed25519 public key, base64, as the record carries it
  vkey:       (board) the note verifier key, board.vkey
The roles: board, official, registrar, trustee-1 … trustee-3 (the
definition's trustees in order), and the voters by their identifier.`)
	w.Vector("board")
	w.Input("note-key", skey)
	w.Expect("vkey", vkey)
	key := func(role string, priv ed25519.PrivateKey) {
		w.Vector(role)
		w.Input("seed", priv.Seed())
		w.Expect("public-key", base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey)))
	}
	key("official", ed25519.PrivateKey(e.Official))
	key("registrar", ed25519.PrivateKey(e.Registrar))
	for i, k := range e.Trustees {
		state, err := (&ceremony.TrusteeState{Keys: k}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			SignSeed []byte `json:"sign_seed"`
		}
		if err := json.Unmarshal(state, &s); err != nil {
			t.Fatal(err)
		}
		key(fmt.Sprintf("trustee-%d", i+1), ed25519.NewKeyFromSeed(s.SignSeed))
	}
	for _, c := range e.Voters {
		key(c.Voter, c.Private)
	}
	return w.Bytes()
}

// goldenOutcome writes verify.txt: what verifying the golden record must
// report. Its values come from the election as run, not from the verifier.
func goldenOutcome(records int64, checkpoint []byte, vkey string, st *election.State, counts []uint64) []byte {
	w := specvectors.NewWriter(`Verifying the golden election record: docs/spec/verifier.md.
Format: docs/spec/vectors.md. Runner: TestGoldenRecord (verifier);
regenerate with
  go test ./verifier -run Golden -update
The election: 3 trustees, threshold 2; 6 voters; voter-000002 challenges a
ballot (Benaloh), then everyone casts one, and voter-000001 votes again;
every trustee posts its partial decryption; the official posts the result.

Inputs (files of this directory):
  record:     the board's export (docs/spec/bulletin.md §7)
  checkpoint: the board's signed checkpoint of the whole record
  board-key:  the board's note verifier key
Outputs:
  records:        the number of records
  tree-hash:      the root hash of their tree, base64
  manifest-hash, base-hash: the election's, hex
  ballots, counted, superseded, challenged, partial-decryptions: as the
                  verifier's report counts them (docs/spec/verifier.md §3)
  counts:         the result's counts, contest by contest and option by
                  option, separated by spaces`)
	sum := st.Summary()
	w.Vector("golden")
	w.Input("record", "record.jsonl")
	w.Input("checkpoint", "checkpoint")
	w.Input("board-key", "board.vkey")
	w.Expect("records", records)
	cp := strings.Split(string(checkpoint), "\n")
	w.Expect("tree-hash", cp[2])
	w.Expect("manifest-hash", sum.ManifestHash)
	w.Expect("base-hash", sum.BaseHash)
	w.Expect("ballots", sum.Ballots)
	w.Expect("counted", sum.Counted)
	w.Expect("superseded", sum.Superseded)
	w.Expect("challenged", sum.Challenged)
	w.Expect("partial-decryptions", sum.Partials)
	w.Expect("counts", strings.Trim(fmt.Sprint(counts), "[]"))
	return w.Bytes()
}

// golden holds the committed golden files.
type golden struct {
	record, checkpoint []byte
	vkey               string
}

// loadGolden reads the committed golden record, checkpoint and board key.
func loadGolden(t testing.TB) *golden {
	t.Helper()
	read := func(path string) []byte {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return &golden{
		record:     read(specvectors.Path(t, "golden/record.jsonl")),
		checkpoint: read(specvectors.Path(t, "golden/checkpoint")),
		vkey:       strings.TrimSuffix(string(read(specvectors.Path(t, "golden/board.vkey"))), "\n"),
	}
}

// verifyGolden verifies a (tampered) golden record with its checkpoint.
func verifyGolden(record, checkpoint []byte, vkey string) *verifier.Report {
	return verifier.Verify(context.Background(), verifier.Export(bytes.NewReader(record), "record.jsonl"), verifier.Options{
		BoardKey: vkey, Checkpoints: [][]byte{checkpoint}, ChunkSize: 8,
	})
}

// TestGoldenRecord verifies the committed golden election record and
// checks the outcome of verify.txt. Unless -short, it runs the election
// again and checks that it gives the committed files byte for byte.
func TestGoldenRecord(t *testing.T) {
	if !testing.Short() || specvectors.Updating() {
		for name, data := range generateGolden(t) {
			specvectors.Generated(t, "golden/"+name, data)
		}
	}
	g := loadGolden(t)
	files := map[string]bool{"record.jsonl": true, "checkpoint": true, "board.vkey": true}
	specvectors.Run(t, "golden/verify.txt", func(t *testing.T, v *specvectors.Vector) {
		for _, k := range []string{"record", "checkpoint", "board-key"} {
			if !files[v.String(k)] {
				t.Fatalf("%s: %q is not a golden file", k, v.String(k))
			}
		}
		r := verifyGolden(g.record, g.checkpoint, g.vkey)
		if !v.Outcome(failureReasons(t, r)...) {
			return
		}
		for _, s := range r.Steps {
			if s.Status != verifier.Pass {
				t.Errorf("step %d %s: %s (%s), want pass", s.N, s.ID, s.Status, s.Note)
			}
		}
		v.Expect("records", r.Records)
		v.Expect("tree-hash", r.TreeHash)
		v.Expect("manifest-hash", r.Election.ManifestHash)
		v.Expect("base-hash", r.Election.BaseHash)
		v.Expect("ballots", r.Election.Ballots)
		v.Expect("counted", r.Election.Counted)
		v.Expect("superseded", r.Election.Superseded)
		v.Expect("challenged", r.Election.Challenged)
		v.Expect("partial-decryptions", r.Election.Partials)
		var counts []uint64
		for _, c := range r.Result {
			for _, o := range c.Options {
				counts = append(counts, o.Count)
			}
		}
		v.Expect("counts", strings.Trim(fmt.Sprint(counts), "[]"))
	})
}

// failureReasons returns the failures of a report as the golden vectors
// write them, "<step> <record index> <code>" ("-" for no code), one per
// record of a folded failure, ordered by record index and then by step
// number.
func failureReasons(t *testing.T, r *verifier.Report) []string {
	t.Helper()
	if r.Omitted > 0 {
		t.Fatalf("%d failures omitted", r.Omitted)
	}
	type failure struct {
		index int64
		step  int
		text  string
	}
	var fs []failure
	for _, f := range r.Failures {
		if f.Repeats != len(f.Also) {
			t.Fatalf("failure %v folds %d records and lists %d", f, f.Repeats, len(f.Also))
		}
		code := f.Code
		if code == "" {
			code = "-"
		}
		for _, i := range f.Indexes() {
			fs = append(fs, failure{i, r.Step(f.Step).N, fmt.Sprintf("%s %d %s", f.Step, i, code)})
		}
	}
	slices.SortStableFunc(fs, func(a, b failure) int {
		return cmp.Or(cmp.Compare(a.index, b.index), cmp.Compare(a.step, b.step))
	})
	var out []string
	for _, f := range fs {
		out = append(out, f.text)
	}
	return out
}

// goldenKey is a participant's key of keys.txt.
type goldenKey struct {
	role string
	priv ed25519.PrivateKey
}

// loadGoldenKeys reads keys.txt: the board's note signer and every other
// participant's Ed25519 key.
func loadGoldenKeys(t testing.TB) (board note.Signer, keys []goldenKey) {
	t.Helper()
	for _, v := range specvectors.Load(t, "golden/keys.txt") {
		if k, ok := v.Lookup("note-key"); ok {
			s, err := note.NewSigner(k)
			if err != nil {
				t.Fatalf("keys.txt: %s: %v", v.Name, err)
			}
			board = s
			continue
		}
		keys = append(keys, goldenKey{v.Name, ed25519.NewKeyFromSeed(v.Hex("seed"))})
	}
	if board == nil {
		t.Fatal("keys.txt: no board key")
	}
	return board, keys
}

// TestGoldenKeys checks keys.txt: every key is the key of its role in the
// golden record.
func TestGoldenKeys(t *testing.T) {
	g := loadGolden(t)
	var m *ballot.Manifest
	roll := make(map[string][]byte)
	if err := bulletinLines(g.record, func(r *bulletin.Record) {
		v, err := election.Decode(r.Type, r.Payload)
		if err != nil {
			t.Fatal(err)
		}
		switch v := v.(type) {
		case *ballot.Manifest:
			m = v
		case *ballot.RollChunk:
			for _, e := range v.Voters {
				roll[e.Voter] = e.Key
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	specvectors.Run(t, "golden/keys.txt", func(t *testing.T, v *specvectors.Vector) {
		if k, ok := v.Lookup("note-key"); ok {
			vkey, err := bulletin.VerifierKey(k)
			if err != nil {
				t.Fatal(err)
			}
			if vkey != g.vkey {
				t.Errorf("the note key's verifier key %s is not board.vkey %s", vkey, g.vkey)
			}
			v.Expect("vkey", vkey)
			return
		}
		pub := ed25519.NewKeyFromSeed(v.Hex("seed")).Public().(ed25519.PublicKey)
		var want []byte
		switch {
		case v.Name == "official":
			want = m.Official
		case v.Name == "registrar":
			want = m.Registrar
		case strings.HasPrefix(v.Name, "trustee-"):
			var i int
			if _, err := fmt.Sscanf(v.Name, "trustee-%d", &i); err != nil || i < 1 || i > len(m.Trustees) {
				t.Fatalf("no trustee %q", v.Name)
			}
			want = m.Trustees[i-1].SignKey
		default:
			want = roll[v.Name]
		}
		if !bytes.Equal(pub, want) {
			t.Errorf("the key of %s is not the record's", v.Name)
		}
		v.Expect("public-key", base64.StdEncoding.EncodeToString(pub))
	})
}

// bulletinLines parses every record of an export.
func bulletinLines(export []byte, f func(*bulletin.Record)) error {
	_, err := bulletin.ReadExport(bytes.NewReader(export), func(r *bulletin.Record) error {
		f(r)
		return nil
	})
	return err
}
