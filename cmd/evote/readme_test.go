//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/bulletin/replica"
	"github.com/evote/evote/election"
)

// walkthroughMark is the line before each ```sh block of the README that
// TestREADMEWalkthrough runs; blocks without it only illustrate.
const walkthroughMark = "<!-- walkthrough -->"

// readmeBoardAddr is the board address the README's walkthrough uses; the
// test gives the board a free port instead.
const readmeBoardAddr = "127.0.0.1:8080"

// walkthroughTimeout bounds the whole walkthrough; a participant waiting
// for another that failed would otherwise wait for ever.
const walkthroughTimeout = 3 * time.Minute

// TestREADMEWalkthrough runs the README's walkthrough as written: its
// marked shell blocks, in order, in one bash in an empty folder, with the
// evote just built and curl on the PATH. Only the board's address changes,
// to a free port. Any failing command fails the test.
func TestREADMEWalkthrough(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("the README's walkthrough needs curl (apt-get install curl)")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := walkthroughBlocks(readme)
	if err != nil {
		t.Fatal(err)
	}
	script := strings.Join(blocks, "\n")
	if !strings.Contains(script, readmeBoardAddr) {
		t.Fatalf("the walkthrough does not name its board %s: the test cannot move it to a free port", readmeBoardAddr)
	}
	script = "set -euo pipefail\n" + strings.ReplaceAll(script, readmeBoardAddr, freeAddr(t))
	scriptFile := filepath.Join(t.TempDir(), "walkthrough.sh")
	if err := os.WriteFile(scriptFile, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}

	bin := buildEvote(t)
	work := t.TempDir()
	output, err := os.Create(filepath.Join(t.TempDir(), "output"))
	if err != nil {
		t.Fatal(err)
	}
	defer output.Close()
	ctx, cancel := context.WithTimeout(t.Context(), walkthroughTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", scriptFile)
	cmd.Dir, cmd.Stdout, cmd.Stderr = work, output, output
	cmd.Env = append(walkthroughEnv(), "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	// The walkthrough leaves the board running in the background, as a
	// shell would: stop the whole process group, board and all, at the end.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	start := time.Now()
	runErr := cmd.Run()
	if cmd.Process != nil {
		stopGroup(cmd.Process.Pid)
	}
	out, err := os.ReadFile(output.Name())
	if err != nil {
		t.Fatal(err)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("the walkthrough did not finish in %v:\n%s\nboard log:\n%s", walkthroughTimeout, out, boardLog(work))
	}
	if runErr != nil {
		t.Fatalf("the walkthrough failed: %v\n%s\nboard log:\n%s", runErr, out, boardLog(work))
	}
	t.Logf("the walkthrough ran in %v", time.Since(start).Round(100*time.Millisecond))
	for _, want := range []string{
		"posted the definition",
		"ON THE ROLL",
		"closed the voter roll",
		"posted the joint election key",
		"challenged: record",
		"COUNTED",
		"posted the result",
		`posted mix 2 of contest "tree"`,
		`posted the count of the ranked contest "tree"`,
		"winner: Oak",
		"tallied",
	} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("the walkthrough did not print %q:\n%s", want, out)
		}
	}
	if n := bytes.Count(out, []byte("Everything holds: 0 failures")); n != 2 {
		t.Errorf("%d verifications held, want 2:\n%s", n, out)
	}
}

// stopGroup stops what is left of process group pgid, the board the
// walkthrough started in the background: as Ctrl-C would, then for good
// after a few seconds.
func stopGroup(pgid int) {
	syscall.Kill(-pgid, syscall.SIGINT)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if syscall.Kill(-pgid, 0) != nil {
			return // none left
		}
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
}

// walkthroughBlocks returns the shell blocks of a README marked with
// walkthroughMark, in order.
func walkthroughBlocks(readme []byte) ([]string, error) {
	var blocks []string
	sc := bufio.NewScanner(bytes.NewReader(readme))
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) != walkthroughMark {
			continue
		}
		if !sc.Scan() || sc.Text() != "```sh" {
			return nil, fmt.Errorf("README.md:%d: %s is not followed by a ```sh block", n, walkthroughMark)
		}
		n++
		var block []string
		closed := false
		for sc.Scan() {
			n++
			if sc.Text() == "```" {
				closed = true
				break
			}
			block = append(block, sc.Text())
		}
		if !closed {
			return nil, fmt.Errorf("README.md:%d: the walkthrough block is not closed", n)
		}
		blocks = append(blocks, strings.Join(block, "\n")+"\n")
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(blocks) < 5 {
		return nil, fmt.Errorf("README.md has %d walkthrough blocks, want the whole election", len(blocks))
	}
	return blocks, nil
}

// TestWalkthroughBlocks checks what walkthroughBlocks takes from a README.
func TestWalkthroughBlocks(t *testing.T) {
	readme := "# T\n\n```sh\nillustration\n```\n\n" + walkthroughMark + "\n```sh\none\ntwo\n```\n\n```sh\nnot marked\n```\n"
	readme += strings.Repeat(walkthroughMark+"\n```sh\nmore\n```\n", 4)
	blocks, err := walkthroughBlocks([]byte(readme))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(blocks, "|"); got != "one\ntwo\n|more\n|more\n|more\n|more\n" {
		t.Errorf("walkthroughBlocks = %q", got)
	}
	for _, bad := range []string{
		walkthroughMark + "\n\n```sh\nx\n```\n",
		walkthroughMark + "\n```go\nx\n```\n",
		walkthroughMark + "\n```sh\nx\n",
		"no blocks",
	} {
		if blocks, err := walkthroughBlocks([]byte(bad)); err == nil {
			t.Errorf("walkthroughBlocks(%q) = %q, want an error", bad, blocks)
		}
	}
}

// walkthroughEnv is the test's environment without the variables that
// name a board, a key or a passphrase: the walkthrough sets its own.
func walkthroughEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "EVOTE_") && !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	return env
}

// boardLog returns the log the walkthrough's board wrote, if any.
func boardLog(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "board.log"))
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// readmeNetworkBase is the first operator's address in the README's
// section "A board kept by several operators"; the test moves the four to
// free ports.
const readmeNetworkBase = "127.0.0.1:8081"

// TestREADMENetwork runs the first shell block of the README's section "A
// board kept by several operators" as written, in-process, from an empty
// folder: evote network init with one base --url, then four evote board
// serve --network lines with no other flag. Only the ports move, to four
// consecutive free ones. Each operator must listen at its address and
// serve a checkpoint that the definition's operators (as
// definition-operators.json names them) accept: cosigned by three of the
// four, which it gathers only from peers it found in operators.json.
func TestREADMENetwork(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	mustOK(t, err)
	_, section, ok := strings.Cut(string(readme), "\n## A board kept by several operators\n")
	_, block, ok2 := strings.Cut(section, "\n```sh\n")
	block, _, ok3 := strings.Cut(block, "\n```\n")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README.md has no shell block under \"## A board kept by several operators\"")
	}
	host, base := consecutiveFreePorts(t, 4)
	var lines []string
	for _, line := range strings.Split(block, "\n") {
		line, _, _ = strings.Cut(line, "#")
		if line = strings.TrimSpace(line); line != "" {
			lines = append(lines, line)
		}
	}
	want := []string{"evote network init --operators 4 --dir net --url http://" + readmeNetworkBase}
	for i := range 4 {
		want = append(want, fmt.Sprintf("evote board serve --network net/op%d &", i+1))
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the README's network block is\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	t.Chdir(t.TempDir())
	ctx, cancel := context.WithCancel(t.Context())
	var dones []<-chan error
	defer func() { stopBoards(t, cancel, dones) }()
	for _, line := range lines {
		args := strings.Fields(strings.ReplaceAll(line, readmeNetworkBase, fmt.Sprintf("%s:%d", host, base)))[1:]
		if bg, ok := strings.CutSuffix(strings.Join(args, " "), " &"); ok {
			url, done, _ := serveBoard(t, ctx, strings.Fields(bg)[2:]...)
			if want := fmt.Sprintf("http://%s:%d", host, base+len(dones)); url != want {
				t.Fatalf("%s listens on %s, want %s", line, url, want)
			}
			dones = append(dones, done)
			continue
		}
		if _, stderr, err := runBoard(t.Context(), args...); err != nil {
			t.Fatalf("%s: %v\n%s", line, err, stderr)
		}
	}
	ops, err := replica.ReadOperators(filepath.Join("net", replica.OperatorsFile))
	mustOK(t, err)
	policy, err := election.TrustPolicy(&ballot.Manifest{Operators: replica.DefinitionOperators(ops, nil)})
	mustOK(t, err)
	wait, cancelWait := context.WithTimeout(t.Context(), time.Minute)
	defer cancelWait()
	for i, op := range ops {
		cl, err := client.New(op.URL, op.BoardKey, nil)
		mustOK(t, err)
		for {
			cp, err := cl.Checkpoint(wait)
			if err != nil {
				t.Fatalf("operator %d's checkpoint: %v", i+1, err)
			}
			c, perr := policy.Check(cp.Note)
			if perr == nil && len(c.Names) >= 3 {
				break
			}
			select {
			case <-wait.Done():
				t.Fatalf("operator %d serves no checkpoint cosigned by three operators: %v", i+1, perr)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}

// consecutiveFreePorts returns a loopback host and the first of n
// consecutive ports that are free on it. The block ends at a port that
// freeAddr chose, below the kernel's ephemeral range, so that none of its
// ports can become the local port of an outgoing connection meanwhile.
func consecutiveFreePorts(t *testing.T, n int) (string, int) {
	t.Helper()
	for range 50 {
		last, err := net.Listen("tcp", freeAddr(t))
		if err != nil {
			continue // taken since: try another
		}
		base := last.Addr().(*net.TCPAddr).Port - (n - 1)
		lns := []net.Listener{last}
		for i := range n - 1 {
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+i))
			if err != nil {
				break
			}
			lns = append(lns, ln)
		}
		for _, ln := range lns {
			ln.Close()
		}
		if len(lns) == n {
			return "127.0.0.1", base
		}
	}
	t.Fatalf("found no %d consecutive free ports", n)
	return "", 0
}
