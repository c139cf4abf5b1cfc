package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/replica"
	"github.com/evote/evote/election/follow"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/internal/networktest"
)

// TestVoteFailsOver: on a board kept by four operators, the first of
// which drops every ballot posted to it (the hidden, test-only
// --test-drop-ballots), evote vote cast given every operator's URL and key
// says that the first did not acknowledge the ballot, posts it to the
// next, and says "cast" only with the next operator's verified receipt,
// which check-receipt then finds counted. Given the dropping operator
// alone, it never says "cast". The definition names the operators and
// their board keys: given, for operator 2, a key of its name that the
// definition does not name, it does not post there (whatever that key's
// holder would answer) and says why, and the ballot goes to operator 3.
// With --board-hedge shorter than --board-timeout, the ballot goes to
// operator 2 as well while the first holds it unanswered, and is cast
// there.
func TestVoteFailsOver(t *testing.T) {
	dir, vkeys := initNetworkCLI(t)
	ctx, cancel := context.WithCancel(t.Context())
	urls, dones := startDropping(t, ctx, dir)
	defer stopBoards(t, cancel, dones)

	e, ops := openOperatorsElection(t, dir, urls, vkeys, nil)
	work := t.TempDir()
	keyArgs := keyFiles(t, work, vkeys)
	all := []string{"--board", strings.Join(urls, ","), "--board-key", strings.Join(keyArgs, ","), "--board-timeout", "3s"}
	dropperOnly := []string{"--board", urls[0], "--board-key", keyArgs[0], "--board-timeout", "1s"}
	cast := func(v int, board []string) (string, string, error) { return castCLI(t, e, work, v, board) }

	// The dropping operator alone: no receipt, so never "cast".
	stdout, stderr, err := cast(0, dropperOnly)
	if err == nil || strings.Contains(stdout, "cast:") {
		t.Fatalf("vote cast to the dropping operator alone = %v\n%s%s, want a failure and no \"cast\"", err, stdout, stderr)
	}
	if _, serr := os.Stat(filepath.Join(work, "receipt-0.txt")); serr == nil {
		t.Fatal("vote cast to the dropping operator alone saved a receipt")
	}

	// Every operator: it falls over from the first to the second.
	stdout, stderr, err = cast(1, all)
	if err != nil {
		t.Fatalf("vote cast through every operator: %v\n%s%s", err, stdout, stderr)
	}
	if !strings.Contains(stderr, "the board operator "+urls[0]+" did not acknowledge the post") || !strings.Contains(stderr, "posting it to "+urls[1]) {
		t.Fatalf("vote cast did not say it fell over from %s to %s:\n%s", urls[0], urls[1], stderr)
	}
	receipt := castReceipt(t, work, 1, stdout, 2, vkeys[1])
	stdout, stderr, err = runBoard(t.Context(), append([]string{"vote", "check-receipt", "--receipt", filepath.Join(work, "receipt-1.txt")}, all...)...)
	if err != nil || !strings.Contains(stdout, fmt.Sprintf("COUNTED: your ballot, record %d", receipt.Index)) || !strings.Contains(stdout, urls[1]) {
		t.Fatalf("check-receipt = %v\n%s%s, want COUNTED on operator 2", err, stdout, stderr)
	}

	// A key of operator 2's name that the definition does not name:
	// operator 2 is left out, named, and operator 3 takes the ballot.
	_, impostor, err := note.GenerateKey(rand.Reader, ops[1].Name)
	mustOK(t, err)
	impostorFile := filepath.Join(work, "impostor.vkey")
	mustOK(t, os.WriteFile(impostorFile, []byte(impostor+"\n"), 0o644))
	withImpostor := []string{"--board", strings.Join(urls, ","), "--board-key", strings.Join([]string{keyArgs[0], "@" + impostorFile, keyArgs[2], keyArgs[3]}, ","), "--board-timeout", "3s"}
	stdout, stderr, err = cast(2, withImpostor)
	if err != nil {
		t.Fatalf("vote cast with an impostor's key for operator 2: %v\n%s%s", err, stdout, stderr)
	}
	if want := fmt.Sprintf("the definition names the board key %s for operator %q, not this board's key %s", vkeys[1], ops[1].Name, impostor); !strings.Contains(stderr, want) ||
		!strings.Contains(stderr, "posting it to "+urls[2]) {
		t.Fatalf("vote cast with an impostor's key for operator 2 did not leave it out, saying %q, and post to operator 3:\n%s", want, stderr)
	}
	castReceipt(t, work, 2, stdout, 3, vkeys[2])

	// With a hedge shorter than the attempt: operator 1, behind a front
	// that holds every post unanswered (as a link that died during the
	// post), has not answered when the ballot goes to operator 2 as well,
	// whose receipt counts; the attempt's minute is never waited out.
	silent := httptest.NewServer(networktest.SilentPosts(t, urls[0]))
	defer silent.Close()
	hedged := []string{"--board", strings.Join(append([]string{silent.URL}, urls[1:]...), ","), "--board-key", strings.Join(keyArgs, ","), "--board-timeout", "1m", "--board-hedge", "1s"}
	stdout, stderr, err = cast(3, hedged)
	if err != nil {
		t.Fatalf("vote cast with a hedge: %v\n%s%s", err, stdout, stderr)
	}
	if want := "the board operator " + silent.URL + " has not answered the post within 1s; posting it to " + urls[1] + " as well"; !strings.Contains(stderr, want) ||
		strings.Contains(stderr, "did not acknowledge") {
		t.Fatalf("vote cast with a hedge did not say %q (and nothing of a failover):\n%s", want, stderr)
	}
	castReceipt(t, work, 3, stdout, 2, vkeys[1])
}

// TestVoteHintedOperators: a voter names one operator (--board, with its
// key), which drops every ballot posted to it; the election's definition
// gives the other operators' addresses (url hints). Once evote vote has
// verified the definition, its post falls over to the hinted operators, in
// the definition's order, each under the board key the definition names
// for it: at the address hinted for operator 2 answers a board under an
// impostor's key of operator 2's name, which is left out, named, and the
// ballot is cast on operator 3 with a receipt under operator 3's key, on
// the board of every operator. check-receipt, given the first operator
// alone, checks that receipt on operator 3, at its hinted address.
func TestVoteHintedOperators(t *testing.T) {
	dir, vkeys := initNetworkCLI(t)
	ops, err := replica.ReadOperators(filepath.Join(dir, replica.OperatorsFile))
	mustOK(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	work := t.TempDir()
	if _, stderr, err := runBoard(t.Context(), "board", "keygen", "--out", filepath.Join(work, "impostor"), "--name", ops[1].Name); err != nil {
		t.Fatalf("board keygen: %v\n%s", err, stderr)
	}
	impostor, impostorDone := startBoard(t, ctx, "--db", filepath.Join(work, "impostor.db"), "--init", "--key", filepath.Join(work, "impostor", "board.skey"), "--policy", "open")
	urls, dones := startDropping(t, ctx, dir)
	defer stopBoards(t, cancel, append(dones, impostorDone))
	hints := map[string]string{ops[0].Name: urls[0], ops[1].Name: impostor, ops[2].Name: urls[2], ops[3].Name: urls[3]}
	e, _ := openOperatorsElection(t, dir, urls, vkeys, hints)
	keyArgs := keyFiles(t, work, vkeys)
	first := []string{"--board", urls[0], "--board-key", keyArgs[0], "--board-timeout", "1s"}

	stdout, stderr, err := castCLI(t, e, work, 0, first)
	if err != nil {
		t.Fatalf("vote cast through the first operator and the hinted ones: %v\n%s%s", err, stdout, stderr)
	}
	t.Logf("evote vote cast said:\n%s%s", stdout, stderr)
	hinted := func(i int, url string) string {
		return fmt.Sprintf("the operator %q at %s, the address the election's definition gives for it,", ops[i].Name, url)
	}
	for _, want := range []string{
		"the board operator " + urls[0] + " did not acknowledge the post",
		"posting it to " + hinted(1, impostor) + " instead",
		hinted(1, impostor) + " does not serve a checkpoint signed by the board key the definition names for it",
		"posting it to " + hinted(2, urls[2]) + " instead",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("vote cast did not say %q:\n%s", want, stderr)
		}
	}
	receipt := castReceipt(t, work, 0, stdout, 3, vkeys[2])
	for i, cl := range networktest.Clients(t, urls, vkeys) {
		st, err := follow.New(cl).SyncTo(t.Context(), receipt.Index+1)
		mustOK(t, err)
		if idx, ok := st.CastBallot(e.Voters[0].Public); !ok || int64(idx) != receipt.Index {
			t.Fatalf("operator %d counts record %d (%v) for the voter, want the receipted %d", i+1, idx, ok, receipt.Index)
		}
	}
	stdout, stderr, err = runBoard(t.Context(), append([]string{"vote", "check-receipt", "--receipt", filepath.Join(work, "receipt-0.txt")}, first...)...)
	if err != nil || !strings.Contains(stdout, fmt.Sprintf("COUNTED: your ballot, record %d", receipt.Index)) || !strings.Contains(stdout, "checked against board "+urls[2]) ||
		!strings.Contains(stderr, "checking the receipt on the operator \""+ops[2].Name+"\" at "+urls[2]) {
		t.Fatalf("check-receipt given operator 1 = %v\n%s%s, want COUNTED on operator 3, at its hinted address", err, stdout, stderr)
	}
}

// startDropping runs the operators of the network in dir (startOperators),
// the first of which drops every ballot posted to it
// (--test-drop-ballots), until ctx ends.
func startDropping(t *testing.T, ctx context.Context, dir string) ([]string, []<-chan error) {
	t.Helper()
	return startOperators(t, ctx, dir, func(op int) []string {
		if op == 0 {
			return []string{"--test-drop-ballots"}
		}
		return nil
	})
}

// stopBoards cancels the boards' context and waits for each board's
// result, done, failing the test at an error.
func stopBoards(t *testing.T, cancel context.CancelFunc, dones []<-chan error) {
	t.Helper()
	cancel()
	for i, done := range dones {
		if err := <-done; err != nil {
			t.Errorf("board %d: %v", i+1, err)
		}
	}
}

// openOperatorsElection sets up an election on the network in dir,
// whose operators are at urls with board keys vkeys, named in the
// definition with the url hints of hints, with three voters
// (networktest.OpenElection), and opens voting; it returns once every
// operator serves the opening.
func openOperatorsElection(t *testing.T, dir string, urls, vkeys []string, hints map[string]string) (*simulate.Election, []replica.Operator) {
	t.Helper()
	ops, err := replica.ReadOperators(filepath.Join(dir, replica.OperatorsFile))
	mustOK(t, err)
	e := networktest.OpenElection(t, networktest.Clients(t, urls, vkeys), ops, networktest.Options{Voters: 4, Hints: hints})
	return e, ops
}

// keyFiles writes each key of vkeys in a file of dir and returns them as
// --board-key arguments, @FILE.
func keyFiles(t *testing.T, dir string, vkeys []string) []string {
	t.Helper()
	args := make([]string, len(vkeys))
	for i, k := range vkeys {
		name := filepath.Join(dir, fmt.Sprintf("op%d.vkey", i+1))
		mustOK(t, os.WriteFile(name, []byte(k+"\n"), 0o644))
		args[i] = "@" + name
	}
	return args
}

// castCLI has voter v of e prepare a ballot and cast it with evote vote,
// talking to the board as the flags of board say, and returns what evote
// vote cast said. The receipt goes to work/receipt-v.txt.
func castCLI(t *testing.T, e *simulate.Election, work string, v int, board []string) (string, string, error) {
	t.Helper()
	cred := filepath.Join(work, fmt.Sprintf("voter-%d.json", v))
	b, err := e.Voters[v].Marshal()
	mustOK(t, err)
	mustOK(t, os.WriteFile(cred, b, 0o600))
	prepared := filepath.Join(work, fmt.Sprintf("ballot-%d.prepared", v))
	device := filepath.Join(work, fmt.Sprintf("device-%d", v))
	if _, stderr, err := runBoard(t.Context(), append([]string{"vote", "prepare", "--credential", cred, "--choices", "mayor=bob;budget=schools:3,roads:2",
		"--out", prepared, "--device-state", device}, board...)...); err != nil {
		t.Fatalf("vote prepare: %v\n%s", err, stderr)
	}
	return runBoard(t.Context(), append([]string{"vote", "cast", "--credential", cred, "--prepared", prepared,
		"--receipt", filepath.Join(work, fmt.Sprintf("receipt-%d.txt", v))}, board...)...)
}

// castReceipt returns the receipt that evote vote cast, having printed
// stdout, saved for voter v in work, after checking that it is for the
// record it printed and that it verifies with the key vkey of operator op
// (from 1).
func castReceipt(t *testing.T, work string, v int, stdout string, op int, vkey string) *bulletin.Receipt {
	t.Helper()
	m := regexp.MustCompile(`cast: your ballot is record (\d+)`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("vote cast printed no record:\n%s", stdout)
	}
	data, err := os.ReadFile(filepath.Join(work, fmt.Sprintf("receipt-%d.txt", v)))
	mustOK(t, err)
	receipt, err := bulletin.ParseReceipt(data)
	mustOK(t, err)
	if _, err := receipt.Verify(vkey); err != nil {
		t.Fatalf("the receipt does not verify with operator %d's key: %v", op, err)
	}
	if fmt.Sprint(receipt.Index) != m[1] {
		t.Fatalf("the receipt is for record %d, vote cast said %s", receipt.Index, m[1])
	}
	return receipt
}

// mustOK fails the test at err.
func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
