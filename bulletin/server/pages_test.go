package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/server"
	"github.com/evote/evote/bulletin/store"
)

// sizedSub is a submission of about size bytes.
func sizedSub(i, size int) *bulletin.Submission {
	return bulletin.Sign(author("voter"), "ballot", fmt.Appendf(nil, `{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", size)))
}

// TestRecordsPageStreamed checks that a page sent in chunks is the same
// page: every record once, in order, in both formats.
func TestRecordsPageStreamed(t *testing.T) {
	b := newBoard(t, store.NewMemory(), server.Config{}, bulletin.LogOptions{})
	const n = 100 // three chunks and a bit
	for i := range n {
		if _, _, err := b.log.Append(context.Background(), sub(i)); err != nil {
			t.Fatal(err)
		}
	}
	r := do(t, "GET", b.ts.URL+"/records?start=3&end=99&format=array", nil)
	var recs []json.RawMessage
	if err := json.Unmarshal([]byte(r.body), &recs); r.status != 200 || err != nil || len(recs) != 96 {
		t.Fatalf("array page = %d, %d records, %v", r.status, len(recs), err)
	}
	lines := strings.Split(strings.TrimSuffix(do(t, "GET", b.ts.URL+"/records?start=3&end=99", nil).body, "\n"), "\n")
	if len(lines) != 96 {
		t.Fatalf("JSON Lines page has %d lines, want 96", len(lines))
	}
	for i, line := range lines {
		rec, err := bulletin.ParseRecord([]byte(line))
		if err != nil || rec.Index != uint64(3+i) || string(recs[i]) != line {
			t.Fatalf("line %d: record %v, %v; or the array differs", i, rec, err)
		}
	}
	if r := do(t, "GET", b.ts.URL+"/records?start=100&format=array", nil); r.status != 200 || r.body != "[]\n" {
		t.Fatalf("empty array page = %d %q", r.status, r.body)
	}
}

// TestUnreadPagesBounded checks that clients who ask for big pages and
// never read them hold a bounded number of slots, are cut off after the
// write timeout, and leave the board serving others.
func TestUnreadPagesBounded(t *testing.T) {
	b := newBoard(t, store.NewMemory(), server.Config{PageWriteTimeout: 300 * time.Millisecond, MaxPagesPerClient: 2}, bulletin.LogOptions{})
	for i := range 400 { // 400 records of 40 KB: a 16 MB page, more than socket buffers hold
		if _, _, err := b.log.Append(context.Background(), sizedSub(i, 40<<10)); err != nil {
			t.Fatal(err)
		}
	}
	addr := strings.TrimPrefix(b.ts.URL, "http://")
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.(*net.TCPConn).SetReadBuffer(4096)
		conns = append(conns, c)
		fmt.Fprintf(c, "GET /records?start=0&end=400 HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	}
	metric := func() string {
		m := do(t, "GET", b.ts.URL+"/metrics", nil).body
		i := strings.Index(m, "\nevote_board_pages ")
		return strings.Fields(m[i+1:])[1]
	}
	deadline := time.Now().Add(5 * time.Second)
	for metric() != "2" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := metric(); got != "2" {
		t.Fatalf("pages being sent to the unread clients = %s, want 2", got)
	}
	// This client holds its share: a third page is refused, not queued.
	if r := do(t, "GET", b.ts.URL+"/records?start=0&end=1", nil); r.status != 429 || r.header.Get("Retry-After") == "" {
		t.Fatalf("a third page from the same address = %d %s, want 429 with Retry-After", r.status, r.body)
	}
	// The write timeout frees the slots of readers who stopped reading.
	for metric() != "0" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := metric(); got != "0" {
		t.Fatalf("pages still being sent after the write timeout = %s, want 0", got)
	}
	if r := do(t, "GET", b.ts.URL+"/records?start=0&end=1", nil); r.status != 200 {
		t.Fatalf("a page after the stalled ones were cut off = %d %s", r.status, r.body)
	}
}

// TestAuthorLimit checks that one key cannot post more ballots than its
// bucket allows, from however many addresses, while other keys and other
// record types are not held back.
func TestAuthorLimit(t *testing.T) {
	b := newBoard(t, store.NewMemory(), server.Config{AuthorLimit: 6, AuthorBurst: 2, AuthorLimitTypes: map[string]bool{"ballot": true}}, bulletin.LogOptions{})
	post := func(s *bulletin.Submission) response {
		body, _ := s.MarshalJSON()
		return do(t, "POST", b.ts.URL+"/records", body)
	}
	for i := range 2 {
		if r := post(sub(i)); r.status != 201 {
			t.Fatalf("ballot %d within the burst = %d %s", i, r.status, r.body)
		}
	}
	r := post(sub(2))
	if r.status != 429 || r.er.Code != "rate-limited" || !strings.Contains(r.er.Error, "too many ballot records from this key") || r.header.Get("Retry-After") != "10" {
		t.Fatalf("a third ballot from the key = %d Retry-After %q %s, want 429 after 10 s", r.status, r.header.Get("Retry-After"), r.body)
	}
	if r := post(bulletin.Sign(author("another voter"), "ballot", []byte(`{"n":1}`))); r.status != 201 {
		t.Fatalf("another key's ballot = %d %s", r.status, r.body)
	}
	if r := post(bulletin.Sign(author("voter"), "roll", []byte(`{"n":1}`))); r.status != 201 {
		t.Fatalf("a record of another type from the limited key = %d %s", r.status, r.body)
	}
}

// TestMaxPosts checks that a submission arriving while the board handles
// as many as it may is refused at once, before its body is read.
func TestMaxPosts(t *testing.T) {
	b := newBoard(t, store.NewMemory(), server.Config{MaxPosts: 1}, bulletin.LogOptions{})
	addr := strings.TrimPrefix(b.ts.URL, "http://")
	// A post whose body never finishes holds the only place.
	slow := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST /records HTTP/1.1\r\nHost: %s\r\nContent-Length: 1000\r\n\r\n{", addr)
		return c
	}
	c := slow()
	defer func() { c.Close() }()
	body, _ := sub(1).MarshalJSON()
	deadline := time.Now().Add(5 * time.Second)
	var r response
	for time.Now().Before(deadline) {
		if r = do(t, "POST", b.ts.URL+"/records", body); r.status == 503 {
			break
		}
		// The slow post may not have been taken in yet, or it came while
		// this post held the place, and was answered 503 itself: then it
		// is posted again.
		c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
		if n, _ := c.Read(make([]byte, 1)); n > 0 {
			c.Close()
			c = slow()
		}
	}
	if r.status != 503 || r.er.Code != "overloaded" || r.header.Get("Retry-After") == "" {
		t.Fatalf("a post while another holds the only place = %d %s, want 503 overloaded", r.status, r.body)
	}
	c.Close()
	body, _ = sub(2).MarshalJSON() // sub(1) may have been appended before the slow post took its place
	for time.Now().Before(deadline) {
		if r = do(t, "POST", b.ts.URL+"/records", body); r.status == 201 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("a post once the place is free = %d %s, want 201", r.status, r.body)
}
