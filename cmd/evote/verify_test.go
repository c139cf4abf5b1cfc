package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/server"
	"github.com/evote/evote/election"
	"github.com/evote/evote/verifier"
	"github.com/evote/evote/verifier/verifiertest"
)

var verifyFixture struct {
	once   sync.Once
	e      *verifiertest.Election
	record []byte
	err    error
}

// verifyFiles generates a small election once and writes its record,
// checkpoint and board key to a temporary directory of the test.
func verifyFiles(t *testing.T) (e *verifiertest.Election, record, checkpoint, vkey string) {
	t.Helper()
	f := &verifyFixture
	f.once.Do(func() {
		var buf bytes.Buffer
		f.e, f.err = verifiertest.Generate(context.Background(), verifiertest.Options{
			Voters: 6, Trustees: 3, Threshold: 2, Challenges: 1, Revotes: 1, Absent: []int{2},
			Contests: verifiertest.KofN(4, 2), Title: "Verify CLI test",
		}, &buf)
		f.record = buf.Bytes()
	})
	if f.err != nil {
		t.Fatalf("generating the election: %v", f.err)
	}
	dir := t.TempDir()
	record, checkpoint, vkey = filepath.Join(dir, "record.jsonl"), filepath.Join(dir, "checkpoint.txt"), filepath.Join(dir, "board.vkey")
	for name, data := range map[string][]byte{record: f.record, checkpoint: f.e.Checkpoint, vkey: []byte(f.e.BoardKey + "\n")} {
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return f.e, record, checkpoint, vkey
}

// runEvote runs the app in-process and returns its stdout, stderr and error.
func runEvote(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	app := newApp()
	app.Writer, app.ErrWriter = &stdout, &stderr
	err := app.Run(append([]string{"evote"}, args...))
	return stdout.String(), stderr.String(), err
}

func TestVerifyCommandRecord(t *testing.T) {
	e, record, cp, vkey := verifyFiles(t)
	for _, keyArgs := range [][]string{{"--board-key-file", vkey}, {"--board-key", "@" + vkey}, {"--board-key", e.BoardKey}} {
		args := append([]string{"verify", "--record", record, "--checkpoint", cp}, keyArgs...)
		stdout, stderr, err := runEvote(t, args...)
		if err != nil {
			t.Fatalf("evote %v: %v\n%s%s", args, err, stdout, stderr)
		}
		for _, want := range []string{"✓ 1. chain", "✓ 2. signed checkpoints: 1 checkpoint\n", "✓ 10. combination", "Council (pick up to 2)", "0 failures"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("report lacks %q:\n%s", want, stdout)
			}
		}
		if !strings.Contains(stderr, "verify: read ") {
			t.Errorf("no final progress line on stderr: %q", stderr)
		}
	}
}

func TestVerifyCommandJSON(t *testing.T) {
	e, record, cp, vkey := verifyFiles(t)
	stdout, _, err := runEvote(t, "verify", "--record", record, "--checkpoint", cp, "--board-key-file", vkey, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var r verifier.Report
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, stdout)
	}
	if !r.OK || r.Records != e.Records || len(r.Result) != 1 || len(r.Result[0].Options) != 4 {
		t.Errorf("JSON report: ok %v, %d records (want %d), result %+v", r.OK, r.Records, e.Records, r.Result)
	}
	for k, o := range r.Result[0].Options {
		if o.Count != e.Counts[k] {
			t.Errorf("option %s: %d, want %d", o.ID, o.Count, e.Counts[k])
		}
	}
}

func TestVerifyCommandTampered(t *testing.T) {
	_, record, cp, vkey := verifyFiles(t)
	data, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	// Change the first count of the result, the last record.
	lines := bytes.SplitAfter(data, []byte("\n"))
	last := len(lines) - 2
	lines[last] = bytes.Replace(lines[last], []byte(`"counts":[`), []byte(`"counts":[1`), 1)
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	if err := os.WriteFile(bad, bytes.Join(lines, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, _, err := runEvote(t, "verify", "--record", bad, "--checkpoint", cp, "--board-key-file", vkey)
	if err == nil {
		t.Fatalf("tampered record verified:\n%s", stdout)
	}
	var msg bytes.Buffer
	printError(&msg, err)
	if got := msg.String(); !strings.HasPrefix(got, "evote: error: verification failed: 2 problems") {
		t.Errorf("error = %q", got)
	}
	wantIndex := "record " + strconv.Itoa(last) + " (result), step 1 chain: bad-signature"
	if !strings.Contains(stdout, wantIndex) || !strings.Contains(stdout, "✗ 2. signed checkpoints") {
		t.Errorf("report does not name %q and the checkpoint:\n%s", wantIndex, stdout)
	}
}

// TestVerifyCommandHTML: --html writes the report as a page besides the
// text report, when the record verifies and when it does not.
func TestVerifyCommandHTML(t *testing.T) {
	e, record, cp, vkey := verifyFiles(t)
	page := filepath.Join(t.TempDir(), "report.html")
	stdout, _, err := runEvote(t, "verify", "--record", record, "--checkpoint", cp, "--board-key-file", vkey, "--html", page)
	if err != nil || !strings.Contains(stdout, "0 failures") {
		t.Fatalf("verify --html: %v\n%s", err, stdout)
	}
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<!DOCTYPE html>", "Everything holds", "Verify CLI test", "<svg", fmt.Sprintf(`<td class="num">%d</td>`, e.Counts[0])} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the HTML report lacks %q", want)
		}
	}

	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	data, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runEvote(t, "verify", "--record", bad, "--checkpoint", cp, "--board-key-file", vkey, "--html", page); err == nil {
		t.Fatal("a truncated record verified")
	}
	if b, err = os.ReadFile(page); err != nil || !strings.Contains(string(b), "Verification failed") || !strings.Contains(string(b), `id="failures"`) {
		t.Errorf("the HTML report of a truncated record does not name its failures (%v)", err)
	}
	if _, _, err := runEvote(t, "verify", "--record", record, "--checkpoint", cp, "--board-key-file", vkey, "--html", filepath.Join(t.TempDir(), "no", "such", "dir.html")); err == nil {
		t.Error("verify --html into a missing directory succeeded")
	}
}

func TestVerifyCommandBoard(t *testing.T) {
	e, _, _, vkey := verifyFiles(t)
	ctx := context.Background()
	log, err := bulletin.OpenLog(ctx, e.Store, new(election.Tracker).New, bulletin.LogOptions{Signer: e.BoardSigner, MaxPayload: e.MaxPayload})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	srv := server.New(server.Config{Log: log, PageSize: 7}) // several pages
	defer srv.Close()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	stdout, stderr, err := runEvote(t, "verify", "--board", ts.URL, "--board-key-file", vkey)
	if err != nil {
		t.Fatalf("verify --board: %v\n%s%s", err, stdout, stderr)
	}
	if !strings.Contains(stdout, "evote verify: "+ts.URL) || !strings.Contains(stdout, "verified checkpoints of sizes "+strconv.FormatInt(e.Records, 10)) {
		t.Errorf("report:\n%s", stdout)
	}
	// A wrong board key fails at the checkpoint.
	_, other, err := note.GenerateKey(rand.Reader, "verifiertest-board")
	if err != nil {
		t.Fatal(err)
	}
	stdout, _, err = runEvote(t, "verify", "--board", ts.URL, "--board-key", other)
	if err == nil || !strings.Contains(stdout, "fetching the board's checkpoint") {
		t.Errorf("verify --board with another board's key: %v, want a checkpoint failure:\n%s", err, stdout)
	}
}

func TestVerifyCommandUsage(t *testing.T) {
	_, record, cp, _ := verifyFiles(t)
	for _, args := range [][]string{
		{"verify"},
		{"verify", "--record", record, "--board", "http://127.0.0.1:1"},
		{"verify", "--record", record, "--checkpoint", cp},
		{"verify", "--board", "http://127.0.0.1:1"},
		{"verify", "--record", filepath.Join(t.TempDir(), "missing.jsonl")},
	} {
		if _, _, err := runEvote(t, args...); err == nil {
			t.Errorf("evote %v succeeded", args)
		}
	}
}

func TestProgressPrinter(t *testing.T) {
	var buf bytes.Buffer
	p := newProgressPrinter(&buf)
	for i := int64(0); i <= 100; i += 5 {
		p(verifier.Progress{Records: i, Done: i, Total: 100, Elapsed: time.Duration(i) * time.Second})
	}
	p(verifier.Progress{Records: 100, Ballots: 90, Done: 100, Total: 100, Elapsed: 100 * time.Second, Final: true})
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 11 || !strings.HasPrefix(lines[0], "verify:  10%") || !strings.Contains(lines[10], "read 100 records (90 ballots)") {
		t.Errorf("progress lines:\n%s", buf.String())
	}
}

// TestVerifyNeedsCheckpoint: a record verified against nothing the board
// signed is not verified. Without a checkpoint or a board, verify refuses to
// start; --no-checkpoint verifies but warns and exits 3 unless
// --unanchored-ok; a checkpoint of another log (origin) fails.
func TestVerifyNeedsCheckpoint(t *testing.T) {
	e, record, cp, vkey := verifyFiles(t)
	stdout, _, err := runEvote(t, "verify", "--record", record, "--board-key-file", vkey)
	var msg bytes.Buffer
	printError(&msg, err)
	if err == nil || stdout != "" || !strings.Contains(msg.String(), "no --checkpoint and no --board") || !strings.Contains(msg.String(), "--no-checkpoint") {
		t.Errorf("verify without a checkpoint: %v, printed %q\n%s", err, stdout, msg.String())
	}

	stdout, stderr, err := runEvote(t, "verify", "--record", record, "--no-checkpoint")
	var st *statusError
	if !errors.As(err, &st) || st.status != 3 {
		t.Errorf("verify --no-checkpoint = %v, want exit status 3", err)
	}
	if !strings.Contains(stderr, "warning: no signed checkpoint was checked") || !strings.Contains(stdout, "– 2. signed checkpoints") {
		t.Errorf("verify --no-checkpoint did not warn:\n%s%s", stdout, stderr)
	}
	if _, _, err := runEvote(t, "verify", "--record", record, "--no-checkpoint", "--unanchored-ok"); err != nil {
		t.Errorf("verify --no-checkpoint --unanchored-ok = %v", err)
	}
	if _, _, err := runEvote(t, "verify", "--record", record, "--checkpoint", cp, "--board-key-file", vkey, "--no-checkpoint"); err == nil {
		t.Error("--no-checkpoint with --checkpoint was accepted")
	}

	// The same tree, signed by the board's key under another origin.
	other, err := bulletin.SignCheckpoint(bulletin.Checkpoint{Origin: "another-board", Size: e.Records, Hash: func() tlog.Hash {
		_, h, _ := bulletin.VerifyCheckpoint(e.BoardKey, e.Checkpoint)
		return h
	}()}, e.BoardSigner)
	if err != nil {
		t.Fatal(err)
	}
	otherFile := filepath.Join(t.TempDir(), "other.txt")
	if err := os.WriteFile(otherFile, other, 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, _, err = runEvote(t, "verify", "--record", record, "--checkpoint", otherFile, "--board-key-file", vkey)
	if err == nil || !strings.Contains(stdout, `is for the log "another-board", not "`+e.BoardSigner.Name()+`"`) {
		t.Errorf("a checkpoint of another origin: %v\n%s", err, stdout)
	}
	stdout, _, err = runEvote(t, "verify", "--record", record, "--checkpoint", cp, "--board-key-file", vkey, "--origin", "another-board")
	if err == nil || !strings.Contains(stdout, `not "another-board"`) {
		t.Errorf("--origin naming another log: %v\n%s", err, stdout)
	}
}
