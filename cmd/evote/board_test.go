package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/client"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a server.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runBoard runs "evote args..." in-process and returns stdout, stderr and the error.
func runBoard(ctx context.Context, args ...string) (string, string, error) {
	var stdout, stderr syncBuffer
	app := newApp()
	app.Writer, app.ErrWriter = &stdout, &stderr
	err := app.RunContext(ctx, append([]string{"evote"}, args...))
	return stdout.String(), stderr.String(), err
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
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		app := newApp()
		app.Writer, app.ErrWriter = &syncBuffer{}, &stderr
		done <- app.RunContext(ctx, []string{"evote", "board", "serve", "--db", db, "--key", skey, "--addr", "127.0.0.1:0", "--init", "--policy", "open"})
	}()
	re := regexp.MustCompile(`listening on (http://[0-9.:]+)`)
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == ""; {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
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
	out, _, err := runBoard(t.Context(), "board", "verify-export", "--in", export, "--vkey", filepath.Join(keyDir, "board.vkey"), "--checkpoint", cpFile)
	if err != nil || !strings.Contains(out, "ok: 5 records") || !strings.Contains(out, "match the signed checkpoint") {
		t.Fatalf("verify-export = %q, %v", out, err)
	}

	// Deleting record 2 is reported by index.
	data, _ := os.ReadFile(export)
	lines := strings.SplitAfter(string(data), "\n")
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(strings.Join(append(lines[:2:2], lines[3:]...), "")), 0o644)
	_, _, err = runBoard(t.Context(), "board", "verify-export", "--in", bad)
	buf.Reset()
	printError(&buf, err)
	if err == nil || !strings.Contains(buf.String(), "record 2 (line 3): has index 3, want 2") {
		t.Fatalf("verify-export of an export missing record 2 = %q", buf.String())
	}
	// --checkpoint without --vkey is refused.
	if _, _, err := runBoard(t.Context(), "board", "verify-export", "--in", export, "--checkpoint", cpFile); err == nil {
		t.Fatalf("verify-export --checkpoint without --vkey succeeded")
	}
	// A checkpoint the export does not reach fails.
	short := filepath.Join(dir, "short.jsonl")
	os.WriteFile(short, []byte(strings.Join(lines[:3], "")), 0o644)
	if _, _, err := runBoard(t.Context(), "board", "verify-export", "--in", short, "--vkey", filepath.Join(keyDir, "board.vkey"), "--checkpoint", cpFile); err == nil {
		t.Fatalf("verify-export of a truncated export against a later checkpoint succeeded")
	}
}
