package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/server"
	"github.com/evote/evote/bulletin/store"
)

// Socket buffer sizes for the back-pressure tests: small, so that a
// subscriber that stops reading fills the path from the server in a few
// hundred kilobytes instead of the many megabytes of autotuned loopback
// buffers.
const (
	smallSendBuffer = 16 << 10
	smallRecvBuffer = 16 << 10
)

// smallBufferListener shrinks the kernel send buffer of every accepted connection.
type smallBufferListener struct{ net.Listener }

func (l smallBufferListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(smallSendBuffer)
	}
	return c, err
}

// feedDialer dials websockets with a small kernel receive buffer.
var feedDialer = websocket.Dialer{
	NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(smallRecvBuffer)
		}
		return c, err
	},
	ReadBufferSize: 4 << 10,
}

// newSmallBufferBoard is newBoard with small socket buffers on the server side.
func newSmallBufferBoard(t *testing.T, cfg server.Config) *board {
	t.Helper()
	signer, vkey := noteKey(t)
	l, err := bulletin.OpenLog(context.Background(), store.NewMemory(), bulletin.NewOpenPolicy, bulletin.LogOptions{Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Log = l
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := server.New(cfg)
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.Listener = smallBufferListener{ts.Listener}
	ts.Start()
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
		l.Close()
	})
	return &board{log: l, srv: srv, ts: ts, vkey: vkey}
}

// bigSub is a valid submission with a payload of about 4 KiB, so that a few
// dozen records fill the small socket buffers.
func bigSub(i int) *bulletin.Submission {
	pad := strings.Repeat("x", 4<<10)
	return bulletin.Sign(author("voter"), "ballot", fmt.Appendf(nil, `{"n":%d,"pad":%q}`, i, pad))
}

func feedURL(b *board, from int64) string {
	return "ws" + strings.TrimPrefix(b.ts.URL, "http") + fmt.Sprintf("/feed?from=%d", from)
}

// appendBig appends bigSub(first) … bigSub(first+n-1).
func appendBig(t *testing.T, b *board, first, n int) {
	t.Helper()
	for i := first; i < first+n; i++ {
		if _, _, err := b.log.Append(context.Background(), bigSub(i)); err != nil {
			t.Fatalf("Append(%d): %v", i, err)
		}
	}
}

// feedReader reads a feed connection and checks every record follows the
// previous one: index next, prev = leaf hash of the previous record.
type feedReader struct {
	conn *websocket.Conn
	next uint64
	prev []byte // leaf hash of record next-1, nil if unknown
}

// readUntil reads until record end-1 has been received, or an error. Checkpoints are skipped.
func (f *feedReader) readUntil(end uint64, deadline time.Time) error {
	f.conn.SetReadDeadline(deadline)
	for f.next < end {
		if err := f.readOne(); err != nil {
			return err
		}
	}
	return nil
}

func (f *feedReader) readOne() error {
	var m bulletin.FeedMessage
	if err := f.conn.ReadJSON(&m); err != nil {
		return err
	}
	switch m.Type {
	case bulletin.FeedCheckpoint:
		return nil
	case bulletin.FeedRecord:
	default:
		return fmt.Errorf("unexpected feed message type %q", m.Type)
	}
	rec, err := bulletin.ParseRecord(m.Record)
	if err != nil {
		return fmt.Errorf("feed record after %d: %w", f.next, err)
	}
	if rec.Index != f.next {
		return fmt.Errorf("got record %d, want %d (skipped or repeated)", rec.Index, f.next)
	}
	if f.prev != nil && !bytes.Equal(rec.Prev, f.prev) {
		return fmt.Errorf("record %d: prev is not the leaf hash of record %d", rec.Index, rec.Index-1)
	}
	h := rec.LeafHash()
	f.prev = h[:]
	f.next++
	return nil
}

// feedSlotFree reports whether the server accepts one more feed subscriber
// (with MaxFeeds set, it answers 503 while all slots are taken). The probe
// subscribes at the end of the log and leaves at once.
func feedSlotFree(t *testing.T, b *board) bool {
	t.Helper()
	conn, resp, err := websocket.DefaultDialer.Dial(feedURL(b, b.log.Size()), nil)
	if err == nil {
		conn.Close()
		return true
	}
	if resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("probe subscriber: %v (response %v)", err, resp)
	}
	return false
}

// TestFeedBackPressure checks docs/spec/bulletin.md §8: a subscriber that
// leaves a message unread for FeedWriteTimeout is disconnected, while a
// reading subscriber on the same server keeps receiving every record exactly
// once, in order.
//
// The server's disconnection is observed through its feed slots (MaxFeeds
// 2: the slow and the fast subscriber take both, so a third subscriber is
// refused with 503 until the slow one is dropped). As the spec says, the
// slow subscriber then finds the connection cut without a close frame
// (1006): after a timed-out write the stream may end in a partial message.
func TestFeedBackPressure(t *testing.T) {
	// Long enough that the reading subscriber is never too slow, even on a
	// loaded machine where its goroutine may wait to be scheduled.
	const writeTimeout = 2 * time.Second
	b := newSmallBufferBoard(t, server.Config{MaxFeeds: 2, FeedWriteTimeout: writeTimeout, FeedCheckpointInterval: time.Millisecond})
	appendBig(t, b, 0, 3)

	slowConn, _, err := feedDialer.Dial(feedURL(b, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slowConn.Close()
	fastConn, _, err := feedDialer.Dial(feedURL(b, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fastConn.Close()
	fast := &feedReader{conn: fastConn}
	if feedSlotFree(t, b) {
		t.Fatal("a third subscriber was accepted with MaxFeeds 2")
	}

	// The fast subscriber reads everything while records keep arriving; the
	// slow one reads nothing, which stalls its feed once its buffers are full
	// (about 50 KiB of 4 KiB records).
	const stalled, after = 150, 30
	fastErr := make(chan error, 1)
	go func() { fastErr <- fast.readUntil(stalled+after, time.Now().Add(30*time.Second)) }()
	appendBig(t, b, 3, stalled-3)
	appended := time.Now()

	// The server drops the slow subscriber once a write has waited
	// writeTimeout, which frees its slot.
	for !feedSlotFree(t, b) {
		if time.Since(appended) > writeTimeout+5*time.Second {
			t.Fatalf("slow subscriber still connected %v after the last append (FeedWriteTimeout %v)", time.Since(appended), writeTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("slow subscriber dropped %v after the last append", time.Since(appended).Round(time.Millisecond))

	// Records keep flowing to the fast subscriber after the slow one left.
	appendBig(t, b, stalled, after)
	if err := <-fastErr; err != nil {
		t.Fatalf("fast subscriber: after record %d: %v", int64(fast.next)-1, err)
	}
	fastConn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	for {
		// Only checkpoints may follow the last record.
		if err := fast.readOne(); err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("fast subscriber after the last record: %v", err)
			}
			break
		}
		if fast.next != stalled+after {
			t.Fatalf("fast subscriber got record %d after the last one", fast.next-1)
		}
	}

	// The slow subscriber, reading at last, finds an in-order prefix of the
	// log (what was buffered) and then the end of the connection.
	slow := &feedReader{conn: slowConn, next: 1}
	err = slow.readUntil(stalled+after, time.Now().Add(10*time.Second))
	if slow.next >= stalled {
		t.Fatalf("slow subscriber received %d records: it was never stalled", slow.next-1)
	}
	var ce *websocket.CloseError
	switch {
	case err == nil:
		t.Fatalf("slow subscriber received every record: it was not disconnected")
	case errors.As(err, &ce) && ce.Code == websocket.CloseAbnormalClosure, errors.Is(err, io.ErrUnexpectedEOF):
		t.Logf("slow subscriber: connection cut after record %d: %v", slow.next-1, err)
	default:
		t.Fatalf("slow subscriber, after record %d: %v, want the connection closed for being too slow", slow.next-1, err)
	}
}

// TestFeedStallShorterThanWriteTimeout is the counterpart of
// TestFeedBackPressure: a subscriber whose buffers are full for less than
// FeedWriteTimeout stays connected and then receives every record once, in order.
func TestFeedStallShorterThanWriteTimeout(t *testing.T) {
	b := newSmallBufferBoard(t, server.Config{MaxFeeds: 1, FeedWriteTimeout: 10 * time.Second})
	conn, _, err := feedDialer.Dial(feedURL(b, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const n = 60 // the subscriber's buffers hold about 16
	appendBig(t, b, 0, n)
	time.Sleep(time.Second) // stalled, well under the write timeout
	if feedSlotFree(t, b) {
		t.Fatal("subscriber stalled for 1s was dropped with FeedWriteTimeout 10s")
	}
	f := &feedReader{conn: conn}
	if err := f.readUntil(n, time.Now().Add(20*time.Second)); err != nil {
		t.Fatalf("after record %d: %v", int64(f.next)-1, err)
	}
}
