package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/evote/evote/internal/testlog"
)

// run runs the evote app in-process and returns what it printed.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr testlog.Buffer
	app := newApp()
	app.Writer, app.ErrWriter = &stdout, &stderr
	err := app.RunContext(t.Context(), append([]string{"evote"}, args...))
	return stdout.String() + stderr.String(), err
}

// runInput is run with input on the app's standard input.
func runInput(t *testing.T, input string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr testlog.Buffer
	app := newApp()
	app.Writer, app.ErrWriter, app.Reader = &stdout, &stderr, strings.NewReader(input)
	err := app.RunContext(t.Context(), append([]string{"evote"}, args...))
	return stdout.String() + stderr.String(), err
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, err := run(t, args...)
	if err != nil {
		t.Fatalf("evote %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// TestEveryRoleByHand runs a small election the way its participants
// would, one CLI command at a time: the official, three trustees (t=2),
// voters casting, challenging and re-voting, the tally with one trustee
// absent, and an observer checking a receipt.
func TestEveryRoleByHand(t *testing.T) {
	h := startByHand(t, 3)
	at, with, url := h.at, h.with, h.url

	// The definition, written by hand; voting is scheduled around now.
	def := h.definition("by-hand", "Election by hand", h.trustees, `
    {"id": "mayor", "title": "Mayor", "kind": "plurality", "min_selections": 0, "max_selections": 1,
     "options": [{"id": "alice", "title": "Alice"}, {"id": "bob", "title": "Bob"}]},
    {"id": "budget", "title": "Budget points", "kind": "cumulative", "min_selections": 3, "max_selections": 3, "option_max": 2,
     "options": [{"id": "parks", "title": "Parks"}, {"id": "roads", "title": "Roads"}]}`)
	os.WriteFile(at("election.json"), []byte(def), 0o644)
	out := mustRun(t, with("election", "init", "--key", at("official.key"), "--definition", at("election.json"))...)
	if !strings.Contains(out, "registrar") {
		t.Fatalf("election init printed %q", out)
	}

	// The roll: the registrar issues credentials to voters 1 and 2 (with a
	// printable page); voter 3 makes its own and sends a request.
	os.WriteFile(at("voters.txt"), []byte("# the register\nvoter-00001\nvoter-00002\n"), 0o644)
	for _, bad := range [][]string{
		{"--vote-url", "https://vote.example.org/"},                           // no --print
		{"--print", at("credentials.html"), "--vote-url", "vote.example.org"}, // not an address
	} {
		if out, err := run(t, with(append([]string{"registrar", "issue", "--key", at("registrar.key"), "--voters", at("voters.txt"), "--out", at("credentials")}, bad...)...)...); err == nil || !strings.Contains(err.Error(), "--vote-url") {
			t.Fatalf("registrar issue %q: %v\n%s", bad, err, out)
		}
		if _, err := os.Stat(at("credentials")); !os.IsNotExist(err) {
			t.Fatalf("a refused registrar issue %q wrote credentials: %v", bad, err)
		}
	}
	out = mustRun(t, with("registrar", "issue", "--key", at("registrar.key"), "--voters", at("voters.txt"), "--out", at("credentials"), "--print", at("credentials.html"), "--vote-url", "https://vote.example.org/")...)
	if !strings.Contains(out, "posted 2 voters to the roll as entries 0 to 1") {
		t.Fatalf("registrar issue printed %q", out)
	}
	if page, err := os.ReadFile(at("credentials.html")); err != nil || strings.Count(string(page), "data:image/png;base64,") != 2 || !strings.Contains(string(page), "voter-00002") ||
		strings.Count(string(page), "<code>https://vote.example.org/</code>") != 2 {
		t.Fatalf("the printable page lacks the voters' QR codes: %v", err)
	}
	if _, err := run(t, with("election", "init", "--key", at("registrar.key"), "--definition", at("election.json"))...); err == nil {
		t.Fatal("the registrar posted a definition")
	}
	if out, err := run(t, with("registrar", "issue", "--key", at("official.key"), "--voters", at("voters.txt"), "--out", at("official-creds"))...); err == nil || !strings.Contains(err.Error(), "not the registrar") {
		t.Fatalf("the official issued credentials: %v\n%s", err, out)
	}
	out = mustRun(t, with("voter", "keygen", "--id", "voter-00003", "--out", at("credentials/voter-00003.json"), "--request", at("request-3.json"))...)
	if !strings.Contains(out, "nobody else has it") {
		t.Fatalf("voter keygen printed %q", out)
	}
	if out, err := run(t, with("voter", "check-roll", "--credential", at("credentials/voter-00003.json"))...); err == nil || !strings.Contains(err.Error(), "NOT ON THE ROLL") {
		t.Fatalf("check-roll before registering: %v\n%s", err, out)
	}
	// A request altered in transit (another voter's identifier) is refused.
	req, _ := os.ReadFile(at("request-3.json"))
	os.WriteFile(at("request-altered.json"), []byte(strings.Replace(string(req), "voter-00003", "voter-00009", 1)), 0o644)
	if out, err := run(t, append(with("registrar", "register", "--key", at("registrar.key")), at("request-altered.json"))...); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("an altered registration request was accepted: %v\n%s", err, out)
	}
	mustRun(t, append(with("registrar", "register", "--key", at("registrar.key")), at("request-3.json"))...)
	out = mustRun(t, with("voter", "check-roll", "--credential", at("credentials/voter-00003.json"))...)
	if !strings.Contains(out, "ON THE ROLL: your credential (voter voter-00003) is entry 2 of the 3 voters") {
		t.Fatalf("check-roll after registering printed %q", out)
	}
	out = mustRun(t, with("registrar", "close-roll", "--key", at("registrar.key"))...)
	if !strings.Contains(out, "closed the voter roll") || !strings.Contains(out, "3 voters") {
		t.Fatalf("close-roll printed %q", out)
	}
	if out, err := run(t, with("voter", "keygen", "--id", "voter-00004", "--out", at("late.json"), "--request", at("late-request.json"))...); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("voter keygen after the roll closed: %v\n%s", err, out)
	}
	// A definition with a mistake is refused with the problem named.
	os.WriteFile(at("bad.json"), []byte(strings.Replace(def, `"threshold": 2`, `"threshold": 4`, 1)), 0o644)
	if out, err := run(t, with("election", "init", "--key", at("official.key"), "--definition", at("bad.json"))...); err == nil || !strings.Contains(err.Error()+out, "threshold") {
		t.Fatalf("a threshold above the trustee count was accepted: %v %s", err, out)
	}

	// The ceremony: the trustees run at the same time, each its own process
	// as in real life, and wait for each other.
	bin := buildEvote(t)
	var wg sync.WaitGroup
	for i := 1; i <= 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			td := at(fmt.Sprintf("trustee-%d", i))
			out, err := exec.Command(bin, with("trustee", "ceremony", "--keystore", filepath.Join(td, "trustee.keystore"),
				"--passphrase-file", filepath.Join(td, "pass"), "--wait")...).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "accepted") {
				t.Errorf("trustee %d ceremony: %v\n%s", i, err, out)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	mustRun(t, with("election", "finish-ceremony", "--key", at("official.key"))...)

	// Voting: encrypt first, see the code, then cast or challenge that
	// very ballot.
	cred := func(i int) string { return filepath.Join(at("credentials"), fmt.Sprintf("voter-%05d.json", i)) }
	ballots := 0
	vote := func(i int, choices, action string) (string, error) {
		ballots++
		prepared := at(fmt.Sprintf("ballot-%d.prepared", ballots))
		out, err := run(t, with("vote", "prepare", "--credential", cred(i), "--choices", choices,
			"--out", prepared, "--device-state", at(fmt.Sprintf("device-%d", i)))...)
		if err != nil {
			return out, err
		}
		args := []string{"vote", action, "--credential", cred(i), "--prepared", prepared}
		if action == "cast" {
			args = append(args, "--receipt", at(fmt.Sprintf("receipt-%d.txt", ballots)))
		}
		more, err := run(t, with(args...)...)
		// The ballot cast or challenged is the very one prepared: the
		// same confirmation code (issue 16, item 5).
		shown := regexp.MustCompile(`confirmation code: (\S+)`).FindStringSubmatch(out)
		if err == nil && (shown == nil || !strings.Contains(more, "confirmation code: "+shown[1])) {
			t.Errorf("%s after prepare showed %q: the output names another code:\n%s", action, shown, more)
		}
		return out + more, err
	}
	if _, err := vote(1, "mayor=alice;budget=parks:2,roads", "cast"); err == nil {
		t.Fatal("a ballot was accepted before voting opened")
	}
	mustRun(t, with("election", "open", "--key", at("official.key"))...)
	for i, choices := range []string{"mayor=alice;budget=parks:2,roads", "mayor=bob;budget=roads:2,parks"} {
		out, err := vote(i+1, choices, "cast")
		if err != nil || !strings.Contains(out, "receipt saved") || !strings.Contains(out, "confirmation code") {
			t.Fatalf("voter %d: %v\n%s", i+1, err, out)
		}
	}
	// Voter 3 answers at the prompt; the code and the choices come first.
	out, err := runInput(t, "c\n", with("vote", "--credential", cred(3), "--choices", "budget=parks,roads:2",
		"--receipt", at("receipt-3-prompt.txt"), "--device-state", at("device-3"))...)
	if err != nil || !regexp.MustCompile(`(?s)confirmation code: .*Budget points: Parks×1, Roads×2.*Cast this ballot.*receipt saved`).MatchString(out) {
		t.Fatalf("voting at the prompt: %v\n%s", err, out)
	}
	// In French (--lang; the catalogue of internal/i18n): the code, the
	// question and the answer to quitting, nothing posted.
	out, err = runInput(t, "q\n", with("vote", "--credential", cred(3), "--choices", "budget=parks,roads:2", "--lang", "fr",
		"--device-state", at("device-fr"))...)
	if err != nil || !regexp.MustCompile(`(?s)code de confirmation : .*vos choix :.*Déposer ce bulletin \[c\].*rien n’a été envoyé`).MatchString(out) {
		t.Fatalf("voting at the prompt in French: %v\n%s", err, out)
	}
	out, err = vote(2, "mayor=alice;budget=parks:2,roads", "challenge")
	if err != nil || !strings.Contains(out, "Alice×1") || !strings.Contains(out, "never be counted") {
		t.Fatalf("challenge: %v\n%s", err, out)
	}
	out, err = vote(2, "mayor=alice;budget=parks:2,roads", "cast")
	if err != nil || !strings.Contains(out, "the board says: this ballot replaces the voter's earlier ballot, record") {
		t.Fatalf("re-vote: %v\n%s", err, out)
	}
	if out, err := vote(3, "mayor=alice,bob;budget=parks:3", "cast"); err == nil {
		t.Fatalf("an over-limit ballot was cast: %s", out)
	}
	out = mustRun(t, with("vote", "check-receipt", "--receipt", at("receipt-2.txt"))...)
	if !strings.Contains(out, "COUNTED") {
		t.Fatalf("check-receipt printed %q", out)
	}
	// Checked with another board's key, a receipt names the board it is
	// from instead of blaming either board.
	mustRun(t, "board", "keygen", "--origin", "other.example/2026-board", "--out", at("other-board"))
	out, err = run(t, "vote", "check-receipt", "--receipt", at("receipt-2.txt"), "--board", url, "--board-key", "@"+at("other-board/board.vkey"))
	if err == nil || !regexp.MustCompile(`this receipt is from board "[^"]+", not from board "other.example/2026-board"`).MatchString(err.Error()) {
		t.Fatalf("check-receipt against another board's key: %v\n%s", err, out)
	}
	// Voter 2's first ballot no longer counts: its receipt says so, loudly.
	out, err = run(t, with("vote", "check-receipt", "--receipt", at("receipt-3.txt"))...)
	if err == nil || !strings.Contains(out, "REPLACED") || !strings.Contains(out, "WARNING") {
		t.Fatalf("check-receipt of a replaced ballot: %v\n%s", err, out)
	}

	// Closing and the tally with trustee 2 absent.
	mustRun(t, with("election", "close", "--key", at("official.key"))...)
	for _, i := range []int{1, 3} {
		td := at(fmt.Sprintf("trustee-%d", i))
		mustRun(t, with("trustee", "decrypt", "--keystore", filepath.Join(td, "trustee.keystore"), "--passphrase-file", filepath.Join(td, "pass"))...)
	}
	out = mustRun(t, with("tally", "--key", at("official.key"))...)
	// Counted: voter 1 (alice; parks 2, roads 1), voter 2's re-vote (alice;
	// parks 2, roads 1), voter 3 (no mayor; parks 1, roads 2).
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`mayor\s+Alice\s+2\n`), regexp.MustCompile(`mayor\s+Bob\s+0\n`),
		regexp.MustCompile(`budget\s+Parks\s+5\n`), regexp.MustCompile(`budget\s+Roads\s+4\n`),
	} {
		if !want.MatchString(out) {
			t.Errorf("tally output lacks %v:\n%s", want, out)
		}
	}
	status := mustRun(t, with("election", "status")...)
	for _, want := range []string{"tallied", "superseded           1", "challenged           1"} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}
	h.end(t)
}
