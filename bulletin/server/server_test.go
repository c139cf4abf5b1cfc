package server_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/bulletin/server"
	"github.com/evote/evote/bulletin/store"
)

func noteKey(t testing.TB) (note.Signer, string) {
	seed := sha256.Sum256([]byte("server test board"))
	skey, vkey, err := note.GenerateKey(bytes.NewReader(seed[:]), "test-board")
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s, vkey
}

func author(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func sub(i int) *bulletin.Submission {
	return bulletin.Sign(author("voter"), "ballot", fmt.Appendf(nil, `{"n":%d,"html":"<b>&</b>"}`, i))
}

type board struct {
	log  *bulletin.Log
	srv  *server.Server
	ts   *httptest.Server
	cl   *client.Client
	vkey string
}

func newBoard(t *testing.T, s store.Store, cfg server.Config, lopts bulletin.LogOptions) *board {
	t.Helper()
	return newPolicyBoard(t, s, bulletin.NewOpenPolicy, cfg, lopts)
}

// newPolicyBoard is newBoard with the given policy.
func newPolicyBoard(t *testing.T, s store.Store, policy func() bulletin.Policy, cfg server.Config, lopts bulletin.LogOptions) *board {
	t.Helper()
	signer, vkey := noteKey(t)
	lopts.Signer = signer
	l, err := bulletin.OpenLog(context.Background(), s, policy, lopts)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Log = l
	srv := server.New(cfg)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
		l.Close()
	})
	cl, err := client.New(ts.URL, vkey, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &board{log: l, srv: srv, ts: ts, cl: cl, vkey: vkey}
}

func post(t *testing.T, url string, body []byte) (*http.Response, bulletin.ErrorResponse) {
	t.Helper()
	return answered(t)(http.Post(url+"/records", "application/json", bytes.NewReader(body)))
}

// answered returns a function that reads a response to its end and
// returns it with its error body, if it has one, failing the test on err.
func answered(t *testing.T) func(resp *http.Response, err error) (*http.Response, bulletin.ErrorResponse) {
	return func(resp *http.Response, err error) (*http.Response, bulletin.ErrorResponse) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		var er bulletin.ErrorResponse
		json.Unmarshal(data, &er)
		return resp, er
	}
}

func TestPostAndRead(t *testing.T) {
	b := newBoard(t, store.NewMemory(), server.Config{}, bulletin.LogOptions{})
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		rec, receipt, err := b.cl.Post(ctx, sub(i))
		if err != nil {
			t.Fatalf("Post(%d): %v", i, err)
		}
		if rec.Index != uint64(i) {
			t.Fatalf("Post(%d) index = %d", i, rec.Index)
		}
		if _, err := receipt.Verify(b.vkey); err != nil {
			t.Fatalf("receipt %d: %v", i, err)
		}
	}
	rec, err := b.cl.Record(ctx, 4)
	if err != nil || rec.Index != 4 || !bytes.Equal(rec.Payload, sub(4).Payload) {
		t.Fatalf("Record(4) = %v, %v", rec, err)
	}
	recs, err := b.cl.Records(ctx, 2, 8)
	if err != nil || len(recs) != 6 {
		t.Fatalf("Records(2, 8) = %d records, %v", len(recs), err)
	}
	cp, err := b.cl.Checkpoint(ctx)
	if err != nil || cp.Size != 10 {
		t.Fatalf("Checkpoint = %v, %v", cp, err)
	}
	if err := b.cl.VerifyInclusion(ctx, rec, cp); err != nil {
		t.Fatalf("VerifyInclusion: %v", err)
	}
	if h, err := b.cl.Health(ctx); err != nil || h.Size != 10 || h.Status != "ok" {
		t.Fatalf("Health = %v, %v", h, err)
	}
	// Array format and paging bounds.
	resp, err := http.Get(b.ts.URL + "/records?start=8&format=array")
	if err != nil {
		t.Fatal(err)
	}
	var arr []json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&arr); err != nil || len(arr) != 2 {
		t.Fatalf("GET /records?format=array = %d, %v", len(arr), err)
	}
	resp.Body.Close()
	for _, tt := range []struct {
		path   string
		status int
	}{
		{"/records/10", 404},
		{"/records/x", 400},
		{"/records?start=11", 404},
		{"/records?start=-1", 400},
		{"/records?start=5&end=2", 400},
		{"/proof/inclusion?index=10&size=10", 404},
		{"/proof/inclusion?size=10", 400},
		{"/proof/consistency?old=3&new=11", 404},
		{"/proof/consistency?old=0&new=3", 404},
		{"/proof/consistency?old=3&new=7", 200},
		{"/nope", 404},
	} {
		resp, err := http.Get(b.ts.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("GET %s = %d, want %d", tt.path, resp.StatusCode, tt.status)
		}
	}
}

func TestPostErrors(t *testing.T) {
	b := newBoard(t, store.NewMemory(), server.Config{MaxBodyBytes: 4096}, bulletin.LogOptions{MaxPayload: 2048})
	good, _ := sub(1).MarshalJSON()
	if resp, er := post(t, b.ts.URL, good); resp.StatusCode != 201 {
		t.Fatalf("good post = %d %v", resp.StatusCode, er)
	}
	badSig := sub(2)
	badSig.Sig[3] ^= 1
	badSigJSON, _ := badSig.MarshalJSON()
	big := bulletin.Sign(author("x"), "ballot", fmt.Appendf(nil, `"%s"`, strings.Repeat("a", 3000)))
	bigJSON, _ := big.MarshalJSON()
	huge := bulletin.Sign(author("x"), "ballot", fmt.Appendf(nil, `"%s"`, strings.Repeat("a", 5000)))
	hugeJSON, _ := huge.MarshalJSON()
	tests := []struct {
		name   string
		body   []byte
		status int
		code   string
	}{
		{"malformed JSON", []byte(`{"type":"ballot",`), 400, "malformed"},
		{"unknown field", []byte(`{"type":"ballot","payload":1,"author":"","sig":"","index":1}`), 400, "malformed"},
		{"short author", []byte(`{"type":"ballot","payload":1,"author":"AAAA","sig":""}`), 400, "malformed"},
		{"bad signature", badSigJSON, 400, "bad-signature"},
		{"payload over limit", bigJSON, 413, "too-large"},
		{"body over limit", hugeJSON, 413, "too-large"},
		{"duplicate", good, 409, "duplicate"},
	}
	for _, tt := range tests {
		resp, er := post(t, b.ts.URL, tt.body)
		if resp.StatusCode != tt.status || er.Code != tt.code || er.Error == "" {
			t.Errorf("%s: POST = %d %+v, want %d %q", tt.name, resp.StatusCode, er, tt.status, tt.code)
		}
	}
	if b.log.Size() != 1 {
		t.Fatalf("log size after bad posts = %d, want 1", b.log.Size())
	}
	// The client surfaces rejections as *bulletin.RejectError.
	_, _, err := b.cl.Post(context.Background(), sub(1))
	var re *bulletin.RejectError
	if !errors.As(err, &re) || re.Code != bulletin.CodeDuplicate {
		t.Fatalf("client Post(duplicate) = %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	b := newBoard(t, store.NewMemory(), server.Config{RateLimit: 2, RateBurst: 3, Now: clock}, bulletin.LogOptions{})
	get := func() *http.Response {
		resp, err := http.Get(b.ts.URL + "/checkpoint")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := 0; i < 3; i++ {
		if r := get(); r.StatusCode != 200 {
			t.Fatalf("request %d within burst = %d", i, r.StatusCode)
		}
	}
	r := get()
	if r.StatusCode != 429 || r.Header.Get("Retry-After") != "1" {
		t.Fatalf("request over burst = %d Retry-After %q, want 429 1", r.StatusCode, r.Header.Get("Retry-After"))
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		if resp, _ := http.Get(b.ts.URL + path); resp.StatusCode != 200 {
			t.Fatalf("%s is rate limited", path)
		}
	}
	mu.Lock()
	now = now.Add(500 * time.Millisecond) // one token at 2/s
	mu.Unlock()
	if r := get(); r.StatusCode != 200 {
		t.Fatalf("request after refill = %d", r.StatusCode)
	}
	if r := get(); r.StatusCode != 429 {
		t.Fatalf("second request after refill of one token = %d", r.StatusCode)
	}
}

// blockingStore blocks every Append until release is closed.
type blockingStore struct {
	store.Store
	entered chan struct{}
	release chan struct{}
}

func (s *blockingStore) Append(ctx context.Context, start int64, recs [][]byte, hs []tlog.Hash) error {
	s.entered <- struct{}{}
	<-s.release
	return s.Store.Append(ctx, start, recs, hs)
}

func TestQueueFull(t *testing.T) {
	bs := &blockingStore{Store: store.NewMemory(), entered: make(chan struct{}, 10), release: make(chan struct{})}
	b := newBoard(t, bs, server.Config{}, bulletin.LogOptions{QueueSize: 1, MaxBatch: 1})
	type res struct {
		status int
		er     bulletin.ErrorResponse
		retry  string
	}
	results := make(chan res, 10)
	postAsync := func(i int) {
		body, _ := sub(i).MarshalJSON()
		resp, er := post(t, b.ts.URL, body)
		results <- res{resp.StatusCode, er, resp.Header.Get("Retry-After")}
	}
	go postAsync(1)
	<-bs.entered // the writer holds record 1 in a blocked store write
	// Of five more posts, one fits in the queue and four are refused.
	for i := 2; i <= 6; i++ {
		go postAsync(i)
	}
	timeout := time.After(10 * time.Second)
	for refused := 0; refused < 4; {
		select {
		case r := <-results:
			if r.status != 503 || r.er.Code != "overloaded" || r.retry == "" {
				t.Fatalf("post with a full queue = %d %+v Retry-After %q, want 503 overloaded", r.status, r.er, r.retry)
			}
			refused++
		case <-timeout:
			t.Fatalf("only %d posts refused with a full queue", refused)
		}
	}
	close(bs.release)
	for range 2 {
		if r := <-results; r.status != 201 {
			t.Fatalf("queued post = %d %+v, want 201", r.status, r.er)
		}
	}
}

func TestExtraRoutes(t *testing.T) {
	b := newBoard(t, store.NewMemory(), server.Config{}, bulletin.LogOptions{})
	b.srv.Mux().HandleFunc("GET /vote", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "page") })
	resp, err := http.Get(b.ts.URL + "/vote")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(data) != "page" {
		t.Fatalf("extra route = %q", data)
	}
}

// TestFeedMidStream connects subscribers at several points while posters keep
// appending, and checks each sees every record from its start exactly once, in order.
func TestFeedMidStream(t *testing.T) {
	b := newBoard(t, store.NewMemory(), server.Config{FeedCheckpointInterval: 10 * time.Millisecond}, bulletin.LogOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const total = 300
	const posters = 4
	var wg sync.WaitGroup
	for p := 0; p < posters; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := p; i < total; i += posters {
				if _, _, err := b.log.Append(ctx, sub(i)); err != nil {
					t.Errorf("Append: %v", err)
					return
				}
				if i%50 == 0 {
					time.Sleep(2 * time.Millisecond)
				}
			}
		}()
	}
	type result struct {
		from int64
		got  []uint64
		cps  int
		err  error
	}
	results := make(chan result, 4)
	for _, wait := range []int64{0, 30, 100, 200} {
		go func() {
			for b.log.Size() < wait {
				time.Sleep(time.Millisecond)
			}
			from := b.log.Size() / 2 // mid-stream: some history, then live
			cl, _ := client.New(b.ts.URL, b.vkey, nil)
			r := result{from: from}
			fctx, fcancel := context.WithCancel(ctx)
			defer fcancel()
			r.err = cl.Follow(fctx, from, func(ev client.Event) error {
				if ev.Record != nil {
					r.got = append(r.got, ev.Record.Index)
				} else {
					r.cps++
					if ev.Checkpoint.Size == total {
						fcancel() // everything received and covered by a verified checkpoint
					}
				}
				return nil
			})
			results <- r
		}()
	}
	wg.Wait()
	for range 4 {
		r := <-results
		if !errors.Is(r.err, context.Canceled) {
			t.Errorf("from=%d: Follow = %v", r.from, r.err)
		}
		if int64(len(r.got)) != total-r.from {
			t.Errorf("from=%d: got %d records, want %d", r.from, len(r.got), total-r.from)
		}
		for i, idx := range r.got {
			if idx != uint64(r.from)+uint64(i) {
				t.Fatalf("from=%d: record %d of the feed has index %d", r.from, i, idx)
			}
		}
		if r.cps == 0 {
			t.Errorf("from=%d: no checkpoints received", r.from)
		}
	}
}

// TestFeedSlowReader lets a raw subscriber fall far behind the log and
// checks it is caught up, in order, without loss.
func TestFeedSlowReader(t *testing.T) {
	b := newBoard(t, store.NewMemory(), server.Config{}, bulletin.LogOptions{})
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		b.log.Append(ctx, sub(i))
	}
	ws := "ws" + strings.TrimPrefix(b.ts.URL, "http") + "/feed?from=5"
	conn, _, err := websocket.DefaultDialer.Dial(ws, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Do not read while 1200 more records are appended in parallel.
	var wg sync.WaitGroup
	for p := 0; p < 4; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 20 + p; i < 1220; i += 4 {
				if _, _, err := b.log.Append(ctx, sub(i)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	next := uint64(5)
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	for next < 1220 {
		var m bulletin.FeedMessage
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatalf("after record %d: %v", next, err)
		}
		if m.Type != bulletin.FeedRecord {
			continue
		}
		rec, err := bulletin.ParseRecord(m.Record)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Index != next {
			t.Fatalf("got record %d, want %d", rec.Index, next)
		}
		next++
	}
}

// TestFeedShutdownReason: a subscriber whose feed the server closes on
// shutdown is told why. The server is closed once the subscriber has the
// feed's first message (the checkpoint of the empty log), so that the
// feed is streaming when it closes.
func TestFeedShutdownReason(t *testing.T) {
	b := newBoard(t, store.NewMemory(), server.Config{}, bulletin.LogOptions{})
	errc := make(chan error, 1)
	streaming := make(chan struct{})
	var once sync.Once
	go func() {
		errc <- b.cl.Follow(context.Background(), 0, func(client.Event) error {
			once.Do(func() { close(streaming) })
			return nil
		})
	}()
	select {
	case <-streaming:
	case err := <-errc:
		t.Fatalf("Follow ended before the server closed: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the feed sent nothing")
	}
	b.srv.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, client.ErrFeedClosed) || !strings.Contains(err.Error(), "shutting down") {
			t.Fatalf("Follow after server Close = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Follow did not end")
	}
}

// TestClientDetectsFork serves the client two boards signed with the same
// key but with different histories, and expects ErrInconsistency with both
// checkpoints.
func TestClientDetectsFork(t *testing.T) {
	a := newBoard(t, store.NewMemory(), server.Config{}, bulletin.LogOptions{})
	f := newBoard(t, store.NewMemory(), server.Config{}, bulletin.LogOptions{})
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		a.log.Append(ctx, sub(i))
		f.log.Append(ctx, sub(100+i))
	}
	f.log.Append(ctx, sub(200))
	var target string = a.ts.URL
	var mu sync.Mutex
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		u := target
		mu.Unlock()
		resp, err := http.Get(u + r.URL.RequestURI())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	defer proxy.Close()
	cl, _ := client.New(proxy.URL, a.vkey, nil)
	if _, err := cl.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	target = f.ts.URL
	mu.Unlock()
	_, err := cl.Checkpoint(ctx)
	var inc *client.ErrInconsistency
	if !errors.As(err, &inc) {
		t.Fatalf("Checkpoint from forked board = %v, want ErrInconsistency", err)
	}
	if inc.Old.Size != 5 || inc.New.Size != 6 || len(inc.Old.Note) == 0 || len(inc.New.Note) == 0 {
		t.Fatalf("ErrInconsistency = %+v", inc)
	}
	// Both notes are genuinely signed by the board: they are evidence.
	for _, n := range [][]byte{inc.Old.Note, inc.New.Note} {
		if _, _, err := bulletin.VerifyCheckpoint(a.vkey, n); err != nil {
			t.Fatalf("evidence checkpoint does not verify: %v", err)
		}
	}
	// Same size, different root: also caught.
	cl2, _ := client.New(a.ts.URL, a.vkey, nil)
	cl2.Checkpoint(ctx)
	f5 := func() []byte {
		s, _ := noteKey(t)
		h, _ := f.log.TreeHash(5)
		n, _ := bulletin.SignCheckpoint(bulletin.Checkpoint{Origin: s.Name(), Size: 5, Hash: h}, s)
		return n
	}()
	if _, err := cl2.VerifyCheckpoint(ctx, f5); !errors.As(err, &inc) {
		t.Fatalf("same-size fork = %v, want ErrInconsistency", err)
	}
}
