package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/internal/testlog"
)

// runBoard runs "evote args..." in-process and returns stdout, stderr and the error.
func runBoard(ctx context.Context, args ...string) (string, string, error) {
	var stdout, stderr testlog.Buffer
	app := newApp()
	app.Writer, app.ErrWriter = &stdout, &stderr
	err := app.RunContext(ctx, append([]string{"evote"}, args...))
	return stdout.String(), stderr.String(), err
}

// startBoard runs "evote board serve --addr 127.0.0.1:0 args..." in-process
// until ctx ends, and returns its URL and where its result will be sent
// (serveBoard).
func startBoard(t *testing.T, ctx context.Context, args ...string) (string, <-chan error) {
	t.Helper()
	url, done, _ := serveBoard(t, ctx, append([]string{"--addr", "127.0.0.1:0"}, args...)...)
	return url, done
}

// serveBoard runs "evote board serve args..." in-process until ctx ends,
// and returns, once it listens, its URL, where its result will be sent,
// and what it writes on stderr. The test's cleanup waits for the server to
// end, so that it has closed its database before the test's temporary
// directory is removed.
func serveBoard(t *testing.T, ctx context.Context, args ...string) (string, <-chan error, *testlog.Buffer) {
	t.Helper()
	stderr := &testlog.Buffer{}
	done := make(chan error, 1)
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		app := newApp()
		app.Writer, app.ErrWriter = &testlog.Buffer{}, stderr
		done <- app.RunContext(ctx, append([]string{"evote", "board", "serve"}, args...))
	}()
	t.Cleanup(func() {
		select {
		case <-ended:
		case <-time.After(30 * time.Second):
			t.Errorf("board serve did not end within 30 s of the test's end; its context is not the test's")
		}
	})
	re := regexp.MustCompile(`listening on (http://[0-9.:]+)`)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			return m[1], done, stderr
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended before listening: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %s", stderr.String())
		}
	}
}

func TestBoardCLI(t *testing.T) {
	dir := t.TempDir()
	keyDir := filepath.Join(dir, "key")
	db := filepath.Join(dir, "board.db")
	if _, _, err := runBoard(t.Context(), "board", "keygen", "--out", keyDir); err != nil {
		t.Fatalf("keygen: %v", err)
	}
	if _, _, err := runBoard(t.Context(), "board", "keygen", "--out", keyDir); err == nil {
		t.Fatalf("keygen over existing keys succeeded")
	}
	vkeyBytes, _ := os.ReadFile(filepath.Join(keyDir, "board.vkey"))
	vkey := strings.TrimSpace(string(vkeyBytes))
	skey := filepath.Join(keyDir, "board.skey")

	// Without --init a missing database is an error with a hint.
	_, _, err := runBoard(t.Context(), "board", "serve", "--db", db, "--key", skey, "--addr", "127.0.0.1:0")
	var buf bytes.Buffer
	printError(&buf, err)
	if err == nil || !strings.Contains(buf.String(), "evote: hint: pass --init") {
		t.Fatalf("serve of a missing db = %q", buf.String())
	}

	// Serve with --init, post through the client, stop with the context.
	ctx, cancel := context.WithCancel(t.Context())
	url, done := startBoard(t, ctx, "--db", db, "--key", skey, "--init", "--policy", "open")
	cl, err := client.New(url, vkey, nil)
	if err != nil {
		t.Fatal(err)
	}
	seed := sha256.Sum256([]byte("cli test"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	for i := 0; i < 5; i++ {
		if _, _, err := cl.Post(t.Context(), bulletin.Sign(priv, "note", fmt.Appendf(nil, `{"i":%d}`, i))); err != nil {
			t.Fatalf("Post: %v", err)
		}
	}
	cp, err := cl.Checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	cpFile := filepath.Join(dir, "checkpoint.txt")
	os.WriteFile(cpFile, cp.Note, 0o644)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}

	export := filepath.Join(dir, "export.jsonl")
	if _, _, err := runBoard(t.Context(), "board", "export", "--db", db, "--out", export); err != nil {
		t.Fatalf("export: %v", err)
	}
	out, _, err := runBoard(t.Context(), "board", "verify-export", "--record", export, "--board-key-file", filepath.Join(keyDir, "board.vkey"), "--checkpoint", cpFile)
	if err != nil || !strings.Contains(out, "ok: 5 records") || !strings.Contains(out, "match the signed checkpoint") {
		t.Fatalf("verify-export = %q, %v", out, err)
	}

	// Deleting record 2 is reported by index.
	data, _ := os.ReadFile(export)
	lines := strings.SplitAfter(string(data), "\n")
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(strings.Join(append(lines[:2:2], lines[3:]...), "")), 0o644)
	_, _, err = runBoard(t.Context(), "board", "verify-export", "--record", bad, "--no-checkpoint")
	buf.Reset()
	printError(&buf, err)
	if err == nil || !strings.Contains(buf.String(), "record 2 (line 3): has index 3, want 2") {
		t.Fatalf("verify-export of an export missing record 2 = %q", buf.String())
	}
	// --checkpoint without the board's key is refused.
	if _, _, err := runBoard(t.Context(), "board", "verify-export", "--record", export, "--checkpoint", cpFile); err == nil {
		t.Fatalf("verify-export --checkpoint without --board-key succeeded")
	}
	// A checkpoint the export does not reach fails.
	short := filepath.Join(dir, "short.jsonl")
	os.WriteFile(short, []byte(strings.Join(lines[:3], "")), 0o644)
	if _, _, err := runBoard(t.Context(), "board", "verify-export", "--record", short, "--board-key-file", filepath.Join(keyDir, "board.vkey"), "--checkpoint", cpFile); err == nil {
		t.Fatalf("verify-export of a truncated export against a later checkpoint succeeded")
	}
}

// TestBoardServeLocked checks that a second board on a served database
// refuses to start, naming the database, while an export of it works; and
// that the board's /readyz applies --min-free-space.
func TestBoardServeLocked(t *testing.T) {
	dir := t.TempDir()
	keyDir, db := filepath.Join(dir, "key"), filepath.Join(dir, "board.db")
	if _, _, err := runBoard(t.Context(), "board", "keygen", "--out", keyDir); err != nil {
		t.Fatalf("keygen: %v", err)
	}
	skey := filepath.Join(keyDir, "board.skey")
	ctx, cancel := context.WithCancel(t.Context())
	url, done := startBoard(t, ctx, "--db", db, "--key", skey, "--init", "--policy", "open", "--min-free-space", "1099511627776")

	_, _, err := runBoard(t.Context(), "board", "serve", "--db", db, "--key", skey, "--addr", "127.0.0.1:0", "--policy", "open")
	var buf bytes.Buffer
	printError(&buf, err)
	if err == nil || !strings.Contains(buf.String(), db+": another board process holds the database") || !strings.Contains(buf.String(), "evote: hint: stop the other") {
		t.Fatalf("second serve of one database = %q", buf.String())
	}
	if _, _, err := runBoard(t.Context(), "board", "export", "--db", db, "--out", filepath.Join(dir, "export.jsonl")); err != nil {
		t.Fatalf("export of a served database: %v", err)
	}

	for _, tt := range []struct {
		path   string
		status int
		body   string
	}{
		{"/healthz", 200, `"status":"ok"`},
		{"/readyz", 503, `"code":"disk-full"`}, // no disk has an exbibyte free
	} {
		resp, err := http.Get(url + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.body) {
			t.Errorf("GET %s = %d %s, want %d %s", tt.path, resp.StatusCode, body, tt.status, tt.body)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	// Once the first board stopped, the database can be served again.
	ctx, cancel = context.WithCancel(t.Context())
	url, done = startBoard(t, ctx, "--db", db, "--key", skey, "--policy", "open")
	if resp, err := http.Get(url + "/readyz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("GET /readyz of the second board = %v, %v, want 200", resp, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

func TestKeygenPassphrase(t *testing.T) {
	dir := t.TempDir()
	passFile := func(name, pass string, mode os.FileMode) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(pass), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil { // past the umask
			t.Fatal(err)
		}
		return path
	}
	for _, tt := range []struct {
		name    string
		pass    string
		mode    os.FileMode
		err     string // "" for success
		warning bool
	}{
		{"short", "1234567\n", 0o600, "the passphrase has 7 characters; a keystore's needs at least 8", false},
		{"short in runes", "ééééééé", 0o600, "the passphrase has 7 characters", false},
		{"empty", "\n", 0o600, "the passphrase has 0 characters", false},
		{"eight", "12345678\n", 0o600, "", false},
		{"readable by others", "correct horse battery", 0o644, "", true},
		{"readable by group", "correct horse battery", 0o640, "", true},
		{"short and readable", "short", 0o604, "at least 8", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, tt.name)
			_, stderr, err := runBoard(t.Context(), "trustee", "keygen", "--out", out, "--passphrase-file", passFile(tt.name+".pass", tt.pass, tt.mode))
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("keygen: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("keygen = %v, want %q", err, tt.err)
			}
			if _, err := os.Stat(filepath.Join(out, "trustee.keystore")); (err == nil) != (tt.err == "") {
				t.Errorf("keystore exists: %v, want %v", err == nil, tt.err == "")
			}
			if got := strings.Contains(stderr, "evote: warning: the passphrase file") && strings.Contains(stderr, "readable by group or others"); got != tt.warning {
				t.Errorf("warning = %v, want %v; stderr:\n%s", got, tt.warning, stderr)
			}
		})
	}
	t.Run("environment", func(t *testing.T) {
		t.Setenv("EVOTE_PASSPHRASE", "seven77")
		if _, _, err := runBoard(t.Context(), "trustee", "keygen", "--out", filepath.Join(dir, "env")); err == nil || !strings.Contains(err.Error(), "at least 8") {
			t.Fatalf("keygen with a short $EVOTE_PASSPHRASE = %v", err)
		}
	})
}

// deepPath returns a path under base, in directories of 200 bytes, of 4090
// bytes: on Linux it can be made, but no file in it can (PATH_MAX is 4096
// with the NUL); elsewhere making it may fail part way.
func deepPath(base string) string {
	p := base
	for len(p)+201 < 4090 {
		p = filepath.Join(p, strings.Repeat("d", 200))
	}
	return filepath.Join(p, strings.Repeat("e", 4090-len(p)-1))
}

// TestKeygenLeavesNoTrace checks that a failed keygen removes the files
// and directories it made, and nothing else.
func TestKeygenLeavesNoTrace(t *testing.T) {
	pass := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(pass, []byte("a trustee passphrase"), 0o600); err != nil {
		t.Fatal(err)
	}
	keygens := map[string][]string{
		"board":   {"board", "keygen"},
		"trustee": {"trustee", "keygen", "--passphrase-file", pass},
	}
	for name, args := range keygens {
		t.Run(name+"/directories", func(t *testing.T) {
			for _, out := range []func(base string) string{
				func(base string) string { return filepath.Join(base, "new", strings.Repeat("n", 300)) }, // too long a name
				deepPath,
			} {
				base := t.TempDir()
				if _, _, err := runBoard(t.Context(), append(args, "--out", out(base))...); err == nil {
					t.Fatalf("keygen into %s succeeded", out(base))
				}
				if left, err := os.ReadDir(base); err != nil || len(left) != 0 {
					t.Errorf("failed keygen left %v (%v) in %s", left, err, base)
				}
			}
		})
	}
	// The second file exists: the first, just written, goes; the rest stays.
	for _, tt := range []struct {
		name          string
		wrote, exists string
	}{
		{"board", "board.skey", "board.vkey"},
		{"trustee", "trustee.keystore", "trustee.pub.json"},
	} {
		t.Run(tt.name+"/files", func(t *testing.T) {
			out := t.TempDir()
			if err := os.WriteFile(filepath.Join(out, tt.exists), []byte("theirs"), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, _, err := runBoard(t.Context(), append(keygens[tt.name], "--out", out)...); err == nil || !errors.Is(err, fs.ErrExist) {
				t.Fatalf("keygen over an existing %s = %v", tt.exists, err)
			}
			if _, err := os.Stat(filepath.Join(out, tt.wrote)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("failed keygen left %s: %v", tt.wrote, err)
			}
			if b, err := os.ReadFile(filepath.Join(out, tt.exists)); err != nil || string(b) != "theirs" {
				t.Errorf("%s after a failed keygen = %q, %v", tt.exists, b, err)
			}
		})
	}
}
