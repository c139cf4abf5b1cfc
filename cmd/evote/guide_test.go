package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evote/evote/bulletin/replica"
)

// TestDemoGuideByHand runs the demo, then every command of the README.txt
// it leaves, as a person would type them from the folder holding the demo:
// re-verifying the record, serving the board and looking at it, and playing
// the tally by hand on the copy of the board at the close — three trustees
// replay and verify the board, each mixes the ranked contest in turn and
// decrypts, the official combines and counts, and the result verifies.
func TestDemoGuideByHand(t *testing.T) {
	bin := buildEvote(t)
	work := t.TempDir()
	// The witnesses' binaries, which `go tool` builds only inside the
	// repository, go on the PATH of every command, as a user installs them.
	tools, err := witnessTools(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	path := strings.Join([]string{filepath.Dir(bin), filepath.Dir(tools.Litewitness), filepath.Dir(tools.Witnessctl), os.Getenv("PATH")}, string(os.PathListSeparator))
	demo := exec.Command(bin, "demo", "--voters", "20", "--challenges", "1", "--revotes", "2", "--dir", "evote-demo")
	demo.Dir, demo.Env = work, append(os.Environ(), "PATH="+path)
	if out, err := demo.CombinedOutput(); err != nil {
		t.Fatalf("evote demo: %v\n%s", err, out)
	}
	guide, err := os.ReadFile(filepath.Join(work, "evote-demo", "README.txt"))
	if err != nil {
		t.Fatal(err)
	}
	commands := regexp.MustCompile(`(?m)^  ((?:evote|cp|export) .*)$`).FindAllStringSubmatch(string(guide), -1)
	if len(commands) < 10 {
		t.Fatalf("README.txt has %d commands:\n%s", len(commands), guide)
	}
	// Each address the guide names gets a free port of its own.
	ports := map[string]string{}
	for _, addr := range regexp.MustCompile(`127\.0\.0\.1:\d+`).FindAllString(string(guide), -1) {
		if ports[addr] == "" {
			ports[addr] = freeAddr(t)
		}
	}
	var exports []string
	var outputs strings.Builder
	for _, m := range commands {
		line := m[1]
		for from, to := range ports {
			line = strings.ReplaceAll(line, from, to)
		}
		if strings.HasPrefix(line, "export ") {
			exports = append(exports, line)
			continue
		}
		script := strings.Join(append(exports, ""), "\n")
		if bg, ok := strings.CutSuffix(line, " &"); ok {
			startBackground(t, work, path, script+"exec "+bg)
			continue
		}
		cmd := exec.Command("bash", "-c", script+line)
		cmd.Dir, cmd.Env = work, append(os.Environ(), "PATH="+path)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out)
		}
		outputs.WriteString("$ " + line + "\n" + string(out))
	}
	all := outputs.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`Everything holds: 0 failures`),
		regexp.MustCompile(`phase\s+tallied`),
		regexp.MustCompile(`trustee 2: posted the partial decryption as record \d+`),
		regexp.MustCompile(`trustee 3: posted the partial decryption as record \d+`),
		regexp.MustCompile(`trustee 5: posted the partial decryption as record \d+`),
		regexp.MustCompile(`posted the result as record \d+ \(trustees \[2 3 5\] combined\)`),
		regexp.MustCompile(`trustee 5: posted mix 3 of contest "\w+", with its proof of shuffle`),
		regexp.MustCompile(`posted the count of the ranked contest "\w+" as record \d+ \(trustees 2, 3, 5 decrypted its mixed ballots\)`),
		regexp.MustCompile(`posted the count of the write-ins of contest "clerk" as record \d+ \(trustees 2, 3, 5 decrypted its mixed ballots\)`),
		regexp.MustCompile(`counted by instant-runoff: \d+ ballots, mixed by trustees 2, 3, 5`),
	} {
		if !want.MatchString(all) {
			t.Errorf("the guide's commands did not print %v:\n%s", want, all)
		}
	}
	if n := strings.Count(all, "Everything holds: 0 failures"); n != 3 {
		t.Errorf("%d verifications held, want 3:\n%s", n, all)
	}
}

// freeAddr returns a loopback address with a free port, for a board
// started later to listen at: one below the kernel's ephemeral range
// (replica.LoopbackAddrs), which no outgoing connection takes meanwhile.
func freeAddr(t *testing.T) string {
	t.Helper()
	return freeURLs(t, 1)[0][len("http://"):]
}

// freeURLs returns n distinct http:// URLs of free loopback addresses, as
// freeAddr chooses them.
func freeURLs(t *testing.T, n int) []string {
	t.Helper()
	addrs, err := replica.LoopbackAddrs(n)
	if err != nil {
		t.Fatal(err)
	}
	urls := make([]string, n)
	for i, a := range addrs {
		urls[i] = "http://" + a
	}
	return urls
}

// heldURLs is freeURLs with each address held by a listener until
// release is called: for ports that must not be chosen again meanwhile,
// such as the boards' while evote network init picks CometBFT's.
func heldURLs(t *testing.T, n int) (urls []string, release func()) {
	t.Helper()
	urls = freeURLs(t, n)
	var lns []net.Listener
	release = func() {
		for _, ln := range lns {
			ln.Close()
		}
	}
	for _, u := range urls {
		ln, err := net.Listen("tcp", u[len("http://"):])
		if err != nil {
			release()
			t.Fatal(err)
		}
		lns = append(lns, ln)
	}
	return urls, release
}

// startBackground starts script with bash, as a shell's "&" would, and
// waits until the board it starts listens.
func startBackground(t *testing.T, dir, path, script string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), "PATH="+path)
	// Stop it as Ctrl-C would, so that it stops what it started.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	listening := make(chan bool, 1)
	var log strings.Builder
	var logMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logMu.Lock()
			log.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if strings.Contains(sc.Text(), "listening on") {
				listening <- true
				io.Copy(io.Discard, stderr)
				return
			}
		}
		listening <- false
	}()
	select {
	case ok := <-listening:
		if !ok {
			logMu.Lock()
			defer logMu.Unlock()
			t.Fatalf("%s: did not start:\n%s", script, log.String())
		}
	case <-time.After(20 * time.Second):
		logMu.Lock()
		defer logMu.Unlock()
		t.Fatalf("%s: did not start in 20 s:\n%s", script, log.String())
	}
}
