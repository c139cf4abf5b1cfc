package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// TestBoardServeFeedFlags checks that --feed-origin and
// --max-feeds-per-client reach the board's feed, and that a --feed-origin
// that is not an origin stops serve before it creates the database.
func TestBoardServeFeedFlags(t *testing.T) {
	dir := t.TempDir()
	keyDir, db := filepath.Join(dir, "key"), filepath.Join(dir, "board.db")
	if _, _, err := runBoard(t.Context(), "board", "keygen", "--out", keyDir); err != nil {
		t.Fatalf("keygen: %v", err)
	}
	skey := filepath.Join(keyDir, "board.skey")

	_, _, err := runBoard(t.Context(), "board", "serve", "--db", db, "--key", skey, "--init", "--policy", "open", "--addr", "127.0.0.1:0",
		"--feed-origin", "observer.example.org")
	var buf bytes.Buffer
	printError(&buf, err)
	if err == nil || !strings.Contains(buf.String(), `--feed-origin: "observer.example.org" is not an origin`) || !strings.Contains(buf.String(), "evote: hint: ") {
		t.Fatalf("serve --feed-origin observer.example.org = %q", buf.String())
	}

	ctx, cancel := context.WithCancel(t.Context())
	url, done := startBoard(t, ctx, "--db", db, "--key", skey, "--init", "--policy", "open",
		"--feed-origin", "https://observer.example.org", "--max-feeds-per-client", "1")
	feed := "ws" + strings.TrimPrefix(url, "http") + "/feed?from=0"
	dial := func(origin string) (*websocket.Conn, int) {
		conn, resp, err := websocket.DefaultDialer.Dial(feed, http.Header{"Origin": {origin}})
		if err == nil {
			return conn, http.StatusSwitchingProtocols
		}
		if resp == nil {
			t.Fatalf("feed with Origin %q: %v", origin, err)
		}
		return nil, resp.StatusCode
	}
	conn, got := dial("https://observer.example.org")
	if got != http.StatusSwitchingProtocols {
		t.Fatalf("feed with the --feed-origin = %d, want 101", got)
	}
	if _, got := dial("https://observer.example.org"); got != http.StatusTooManyRequests {
		t.Errorf("second feed with --max-feeds-per-client 1 = %d, want 429", got)
	}
	conn.Close()
	if _, got := dial("https://evil.example"); got != http.StatusForbidden {
		t.Errorf("feed with an origin not in --feed-origin = %d, want 403", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}
