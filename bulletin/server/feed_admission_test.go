package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/server"
	"github.com/evote/evote/bulletin/store"
)

// dialFeedFrom subscribes at url from the loopback address local (all of
// 127.0.0.0/8 is loopback on Linux), so that the board sees a client of
// that address, with the request headers h.
func dialFeedFrom(t *testing.T, local, url string, h http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	nd := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	d := websocket.Dialer{NetDialContext: nd.DialContext, HandshakeTimeout: 10 * time.Second}
	conn, resp, err := d.Dial(url, h)
	if errors.Is(err, syscall.EADDRNOTAVAIL) {
		t.Skipf("cannot connect from %s: %v (only Linux routes all of 127.0.0.0/8 to loopback)", local, err)
	}
	return conn, resp, err
}

// checkRefused checks that a feed handshake was refused with status and
// the API's JSON error of code, whose message contains msg.
func checkRefused(t *testing.T, what string, conn *websocket.Conn, resp *http.Response, err error, status int, code, msg string) {
	t.Helper()
	if err == nil {
		conn.Close()
		t.Fatalf("%s: subscribed, want %d %s", what, status, code)
	}
	if resp == nil {
		t.Fatalf("%s: %v, want %d %s", what, err, status, code)
	}
	body, _ := io.ReadAll(resp.Body)
	var er bulletin.ErrorResponse
	if resp.StatusCode != status || json.Unmarshal(body, &er) != nil || er.Code != code || !strings.Contains(er.Error, msg) {
		t.Fatalf("%s: %d %s, want %d with code %q and message %q", what, resp.StatusCode, body, status, code, msg)
	}
}

// handshakeStatus describes the answer to a refused handshake.
func handshakeStatus(resp *http.Response) string {
	if resp == nil {
		return "no response"
	}
	return resp.Status
}

// TestFeedPerClientShare checks docs/spec/bulletin.md §8: a client address
// holds at most MaxFeedsPerClient feeds (more get 429 with Retry-After)
// while other addresses still get theirs, up to MaxFeeds in all (more get
// 503); a client's slot is free again once one of its feeds ends.
func TestFeedPerClientShare(t *testing.T) {
	b := newBoard(t, store.NewMemory(), server.Config{MaxFeeds: 4, MaxFeedsPerClient: 2, FeedCheckpointInterval: time.Millisecond}, bulletin.LogOptions{})
	url := feedURL(b, 0)
	var held []*websocket.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	subscribe := func(local string) *websocket.Conn {
		t.Helper()
		conn, _, err := dialFeedFrom(t, local, url, nil)
		if err != nil {
			t.Fatalf("feed from %s: %v", local, err)
		}
		held = append(held, conn)
		return conn
	}

	first := subscribe("127.0.0.1")
	subscribe("127.0.0.1")
	for range 3 { // refusals take no slot of the client
		conn, resp, err := dialFeedFrom(t, "127.0.0.1", url, nil)
		checkRefused(t, "third feed from 127.0.0.1 (MaxFeedsPerClient 2)", conn, resp, err, http.StatusTooManyRequests, "rate-limited", "too many feeds from this address")
		if resp.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	}

	// Another address is served while the first holds its share.
	other := subscribe("127.0.0.2")
	if _, _, err := b.log.Append(context.Background(), sub(0)); err != nil {
		t.Fatal(err)
	}
	f := &feedReader{conn: other}
	if err := f.readUntil(1, time.Now().Add(10*time.Second)); err != nil {
		t.Fatalf("feed from 127.0.0.2 while 127.0.0.1 holds its share: %v", err)
	}

	// The board's total still holds: 4 feeds are open.
	subscribe("127.0.0.2")
	conn, resp, err := dialFeedFrom(t, "127.0.0.3", url, nil)
	checkRefused(t, "fifth feed (MaxFeeds 4)", conn, resp, err, http.StatusServiceUnavailable, "overloaded", "too many feed subscribers")

	// When one of 127.0.0.1's feeds ends, the address may open another.
	first.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		conn, resp, err := dialFeedFrom(t, "127.0.0.1", url, nil)
		if err == nil {
			held = append(held, conn)
			break
		}
		if resp == nil || resp.StatusCode != http.StatusTooManyRequests || time.Now().After(deadline) {
			t.Fatalf("feed from 127.0.0.1 after one of its two ended: %v (%s)", err, handshakeStatus(resp))
		}
	}
}

// TestFeedOrigin checks the Origin policy of GET /feed (bulletin.md §8)
// on a real websocket handshake: clients that send no Origin and the
// board's own pages are served, other pages get 403 unless their origin is
// listed in FeedOrigins or the list holds "*".
func TestFeedOrigin(t *testing.T) {
	for _, tt := range []struct {
		name    string
		origins []string
		host    string // Host header, if not the server's address
		origin  string // "SELF" is http://<the server's address>
		ok      bool
	}{
		{"no Origin (not a browser)", nil, "", "", true},
		{"same origin", nil, "", "SELF", true},
		{"same origin behind a TLS proxy", nil, "vote.example.org", "https://vote.example.org", true},
		{"other origin", nil, "", "https://evil.example", false},
		{"other origin with a listed one", []string{"https://observer.example"}, "", "https://evil.example", false},
		{"listed origin", []string{"https://observer.example"}, "", "https://observer.example", true},
		{"listed host, other scheme", []string{"https://observer.example"}, "", "http://observer.example", false},
		{"same origin with a list", []string{"https://observer.example"}, "", "SELF", true},
		{"any origin", []string{"*"}, "", "https://evil.example", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := newBoard(t, store.NewMemory(), server.Config{FeedOrigins: tt.origins}, bulletin.LogOptions{})
			h := http.Header{}
			if tt.host != "" {
				h.Set("Host", tt.host)
			}
			origin := strings.ReplaceAll(tt.origin, "SELF", b.ts.URL)
			if origin != "" {
				h.Set("Origin", origin)
			}
			conn, resp, err := websocket.DefaultDialer.Dial(feedURL(b, 0), h)
			if tt.ok {
				if err != nil {
					t.Fatalf("feed with Origin %q: %v (%s)", origin, err, handshakeStatus(resp))
				}
				conn.Close()
				return
			}
			checkRefused(t, fmt.Sprintf("feed with Origin %q", origin), conn, resp, err, http.StatusForbidden, "forbidden-origin", fmt.Sprintf("%q", origin))
		})
	}
}

// TestFeedPastEnd checks bulletin.md §8: a feed from past the end of the
// log is refused with 416 before the upgrade, naming the log's size, and
// takes no slot; a feed from the size waits for the next record.
func TestFeedPastEnd(t *testing.T) {
	b := newBoard(t, store.NewMemory(), server.Config{MaxFeeds: 1}, bulletin.LogOptions{})
	ctx := context.Background()
	for i := range 3 {
		if _, _, err := b.log.Append(ctx, sub(i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, from := range []int64{4, 999999999, 1 << 62} {
		conn, resp, err := websocket.DefaultDialer.Dial(feedURL(b, from), nil)
		checkRefused(t, fmt.Sprintf("feed from %d", from), conn, resp, err, http.StatusRequestedRangeNotSatisfiable, "past-end",
			fmt.Sprintf("from %d is past the end of the log (size 3)", from))
		if got := resp.Header.Get("Evote-Log-Size"); got != "3" {
			t.Errorf("feed from %d: Evote-Log-Size %q, want 3", from, got)
		}
	}

	// With MaxFeeds 1, this also shows that the refusals hold no slot.
	conn, _, err := websocket.DefaultDialer.Dial(feedURL(b, 3), nil)
	if err != nil {
		t.Fatalf("feed from the log's size: %v", err)
	}
	defer conn.Close()
	if _, _, err := b.log.Append(ctx, sub(3)); err != nil {
		t.Fatal(err)
	}
	f := &feedReader{conn: conn, next: 3}
	if err := f.readUntil(4, time.Now().Add(10*time.Second)); err != nil {
		t.Fatalf("feed from the log's size, after an append: %v", err)
	}
}
