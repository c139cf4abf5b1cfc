package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/bulletin/replica"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/follow"
	"github.com/evote/evote/election/simulate"
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
func TestVoteFailsOver(t *testing.T) {
	dir, vkeys := initNetworkCLI(t)
	ctx, cancel := context.WithCancel(t.Context())
	urls, dones := startOperators(t, ctx, dir, func(op int) []string {
		if op == 0 {
			return []string{"--test-drop-ballots"}
		}
		return nil
	})
	defer func() {
		cancel()
		for i, done := range dones {
			if err := <-done; err != nil {
				t.Errorf("operator %d: %v", i+1, err)
			}
		}
	}()

	// The election's setup, through operator 2 (then the others in turn),
	// read from operator 2.
	clients := operatorClients(t, urls, vkeys)
	boards, err := client.NewBoards(slices.Concat(clients[1:], clients[:1]), client.BoardsOptions{})
	mustOK(t, err)
	post, state := follow.New(clients[1]).Acting(boards.Post, time.Minute)
	ops, err := replica.ReadOperators(filepath.Join(dir, replica.OperatorsFile))
	mustOK(t, err)
	e, err := simulate.New(t.Context(), post, state, simulate.Options{Voters: 3, Trustees: 3, Threshold: 2,
		Operators: replica.DefinitionOperators(ops, nil)})
	mustOK(t, err)
	mustOK(t, e.Ceremony(t.Context()))
	mustOK(t, e.SetPhase(t.Context(), election.PhaseOpen))
	// Every operator has the opening before the voter reads operator 1:
	// once operator 2's view covers it, its checkpoint does.
	_, err = state(t.Context())
	mustOK(t, err)
	opened, err := clients[1].Checkpoint(t.Context())
	mustOK(t, err)
	for _, cl := range clients {
		for {
			cp, err := cl.Checkpoint(t.Context())
			mustOK(t, err)
			if cp.Size >= opened.Size {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	work := t.TempDir()
	keyArgs := make([]string, 4)
	for i, k := range vkeys {
		keyArgs[i] = filepath.Join(work, fmt.Sprintf("op%d.vkey", i+1))
		mustOK(t, os.WriteFile(keyArgs[i], []byte(k+"\n"), 0o644))
		keyArgs[i] = "@" + keyArgs[i]
	}
	all := []string{"--board", strings.Join(urls, ","), "--board-key", strings.Join(keyArgs, ","), "--board-timeout", "3s"}
	dropperOnly := []string{"--board", urls[0], "--board-key", keyArgs[0], "--board-timeout", "1s"}
	cast := func(v int, board []string) (string, string, error) {
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
	m := regexp.MustCompile(`cast: your ballot is record (\d+)`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("vote cast printed no record:\n%s", stdout)
	}
	data, err := os.ReadFile(filepath.Join(work, "receipt-1.txt"))
	mustOK(t, err)
	receipt, err := bulletin.ParseReceipt(data)
	mustOK(t, err)
	if _, err := receipt.Verify(vkeys[1]); err != nil {
		t.Fatalf("the receipt does not verify with operator 2's key: %v", err)
	}
	stdout, stderr, err = runBoard(t.Context(), append([]string{"vote", "check-receipt", "--receipt", filepath.Join(work, "receipt-1.txt")}, all...)...)
	if err != nil || !strings.Contains(stdout, "COUNTED: your ballot, record "+m[1]) || !strings.Contains(stdout, urls[1]) {
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
	data, err = os.ReadFile(filepath.Join(work, "receipt-2.txt"))
	mustOK(t, err)
	receipt, err = bulletin.ParseReceipt(data)
	mustOK(t, err)
	if _, err := receipt.Verify(vkeys[2]); err != nil {
		t.Fatalf("the receipt does not verify with operator 3's key: %v", err)
	}
}

// mustOK fails the test at err.
func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
