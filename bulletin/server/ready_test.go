package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/server"
	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/bulletin/store/sqlite"
	"github.com/evote/evote/bulletin/store/storetest"
	"github.com/evote/evote/internal/testlog"
)

// response is a response read whole.
type response struct {
	status int
	header http.Header
	body   string
	er     bulletin.ErrorResponse
}

func do(t *testing.T, method, url string, body []byte) response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, body: string(data)}
	json.Unmarshal(data, &r.er)
	return r
}

// createDB creates a board database in a temporary directory and returns
// its path, closed.
func createDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "board.db")
	st, err := sqlite.Create(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadyz(t *testing.T) {
	st, err := sqlite.Create(context.Background(), filepath.Join(t.TempDir(), "board.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b := newBoard(t, st, server.Config{Storage: st}, bulletin.LogOptions{})
	body, _ := sub(1).MarshalJSON()
	if r := do(t, "POST", b.ts.URL+"/records", body); r.status != 201 {
		t.Fatalf("POST = %d %s", r.status, r.body)
	}
	r := do(t, "GET", b.ts.URL+"/readyz", nil)
	var h bulletin.HealthResponse
	if err := json.Unmarshal([]byte(r.body), &h); r.status != 200 || err != nil || h.Status != "ready" || h.Size != 1 {
		t.Fatalf("GET /readyz = %d %s, want 200 ready, size 1", r.status, r.body)
	}
	if n, err := st.Size(context.Background()); n != 1 || err != nil {
		t.Fatalf("store size after /readyz = %d, %v, want 1", n, err)
	}
}

// TestStorageFailure checks that a board that cannot write says so: 503 with
// Retry-After for posts and /readyz, nothing of the database's error in the
// answers (it goes to the log), and /healthz still alive.
func TestStorageFailure(t *testing.T) {
	for _, tt := range []struct {
		name string
		open func(t *testing.T) *sqlite.Store
	}{
		{"opened read-only", func(t *testing.T) *sqlite.Store {
			st, err := sqlite.OpenReadOnly(context.Background(), createDB(t))
			if err != nil {
				t.Fatal(err)
			}
			return st
		}},
		{"file made read-only", func(t *testing.T) *sqlite.Store {
			if os.Geteuid() == 0 {
				t.Skip("root writes to read-only files")
			}
			path := createDB(t)
			if err := os.Chmod(path, 0o444); err != nil {
				t.Fatal(err)
			}
			st, err := sqlite.Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.open(t)
			defer st.Close()
			var logs testlog.Buffer
			b := newBoard(t, st, server.Config{Storage: st, Logger: logs.Logger()}, bulletin.LogOptions{})
			body, _ := sub(1).MarshalJSON()
			for _, req := range []struct{ method, path string }{{"POST", "/records"}, {"GET", "/readyz"}} {
				r := do(t, req.method, b.ts.URL+req.path, body)
				if r.status != 503 || r.header.Get("Retry-After") == "" || r.er.Code != "unavailable" || r.er.Error != "the board cannot write to its database" {
					t.Errorf("%s %s = %d Retry-After %q %s, want 503 unavailable with Retry-After", req.method, req.path, r.status, r.header.Get("Retry-After"), r.body)
				}
				for _, leak := range []string{"sqlite", "readonly", "read-only", "attempt", "board.db"} {
					if strings.Contains(strings.ToLower(r.body), leak) {
						t.Errorf("%s %s body %q contains %q", req.method, req.path, r.body, leak)
					}
				}
			}
			if !strings.Contains(logs.String(), "attempt to write a readonly database") {
				t.Errorf("the log lacks SQLite's error:\n%s", logs.String())
			}
			if r := do(t, "GET", b.ts.URL+"/healthz", nil); r.status != 200 || !strings.Contains(r.body, `"status":"ok"`) {
				t.Errorf("GET /healthz = %d %s, want 200 ok", r.status, r.body)
			}
			if b.log.Size() != 0 {
				t.Errorf("log size = %d, want 0", b.log.Size())
			}
		})
	}
}

func TestReadyzDiskNearlyFull(t *testing.T) {
	st, err := sqlite.Create(context.Background(), filepath.Join(t.TempDir(), "board.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	free, err := st.FreeSpace()
	if err != nil {
		t.Fatal(err)
	}
	var logs testlog.Buffer
	b := newBoard(t, st, server.Config{Storage: st, MinFreeSpace: free + 1<<40, Logger: logs.Logger()}, bulletin.LogOptions{})
	r := do(t, "GET", b.ts.URL+"/readyz", nil)
	if r.status != 503 || r.header.Get("Retry-After") == "" || r.er.Code != "disk-full" || r.er.Error != "the board's disk is nearly full" {
		t.Fatalf("GET /readyz with too little space = %d Retry-After %q %s, want 503 disk-full", r.status, r.header.Get("Retry-After"), r.body)
	}
	if !strings.Contains(logs.String(), "free_bytes=") {
		t.Errorf("the log does not say how much space is free:\n%s", logs.String())
	}
}

// fakeStorage is a server.Storage whose answers the test sets.
type fakeStorage struct {
	mu       sync.Mutex
	writeErr error
	free     uint64
	freeErr  error
	probes   int
}

func (f *fakeStorage) CheckWrite(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.probes++
	return f.writeErr
}

func (f *fakeStorage) FreeSpace() (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.free, f.freeErr
}

func (f *fakeStorage) set(writeErr error, free uint64, freeErr error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writeErr, f.free, f.freeErr = writeErr, free, freeErr
}

func (f *fakeStorage) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.probes
}

// TestReadyzChecks walks /readyz through its verdicts and checks that it
// probes the store at most once a second, however often it is asked.
func TestReadyzChecks(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	tick := func() { mu.Lock(); now = now.Add(time.Second); mu.Unlock() }
	fs := &fakeStorage{free: 1 << 30}
	b := newBoard(t, store.NewMemory(), server.Config{Storage: fs, Now: clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, bulletin.LogOptions{})
	ready := func() response { return do(t, "GET", b.ts.URL+"/readyz", nil) }

	for range 5 {
		if r := ready(); r.status != 200 {
			t.Fatalf("GET /readyz = %d %s, want 200", r.status, r.body)
		}
	}
	if n := fs.count(); n != 1 {
		t.Fatalf("5 /readyz within a second made %d write probes, want 1", n)
	}
	for _, tt := range []struct {
		name     string
		writeErr error
		free     uint64
		freeErr  error
		status   int
		code     string
	}{
		{"write fails", errors.New("disk I/O error"), 1 << 30, nil, 503, "unavailable"},
		{"below 64 MiB by default", nil, 64<<20 - 1, nil, 503, "disk-full"},
		{"free space unknown", nil, 0, fmt.Errorf("statfs: %w", errors.ErrUnsupported), 200, ""},
		{"statfs fails", nil, 0, errors.New("statfs: no such file or directory"), 503, "unavailable"},
		{"exactly 64 MiB", nil, 64 << 20, nil, 200, ""},
	} {
		fs.set(tt.writeErr, tt.free, tt.freeErr)
		if r := ready(); r.status != 200 {
			t.Fatalf("%s: /readyz within the second of the last check = %d, want the cached 200", tt.name, r.status)
		}
		tick()
		if r := ready(); r.status != tt.status || r.er.Code != tt.code {
			t.Errorf("%s: GET /readyz = %d %s, want %d %q", tt.name, r.status, r.body, tt.status, tt.code)
		}
		tick()
		fs.set(nil, 1<<30, nil)
		if r := ready(); r.status != 200 {
			t.Fatalf("%s: GET /readyz after recovery = %d %s, want 200", tt.name, r.status, r.body)
		}
	}
	// A closed log is not ready, whatever the store says.
	b.log.Close()
	tick()
	if r := ready(); r.status != 503 || r.er.Error != "the board is shutting down" {
		t.Errorf("GET /readyz with the log closed = %d %s, want 503 shutting down", r.status, r.body)
	}
}

// prefilled returns a memory store holding n records appended through a
// log, so that a log opened on it later has nothing in its caches.
func prefilled(t *testing.T, n int) store.Store {
	t.Helper()
	s := store.NewMemory()
	signer, _ := noteKey(t)
	l, err := bulletin.OpenLog(context.Background(), s, bulletin.NewOpenPolicy, bulletin.LogOptions{Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, _, err := l.Append(context.Background(), sub(i)); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	return s
}

// TestInternalErrorsHidden checks that a read failing in the store is a 500
// whose body says nothing of the error, and whose log line does.
func TestInternalErrorsHidden(t *testing.T) {
	fs := storetest.NewFaulty(prefilled(t, 300))
	var logs testlog.Buffer
	b := newBoard(t, fs, server.Config{Logger: logs.Logger()}, bulletin.LogOptions{})
	fs.FailReads(true)
	for _, path := range []string{"/records?start=0", "/records/1", "/proof/inclusion?index=3&size=300", "/proof/consistency?old=3&new=300", "/tile/0/000", "/tile/entries/000"} {
		r := do(t, "GET", b.ts.URL+path, nil)
		if r.status != 500 || r.er.Code != "internal" || r.er.Error != "internal error" {
			t.Errorf("GET %s with failing reads = %d %s, want 500 internal error", path, r.status, r.body)
		}
	}
	if n := strings.Count(logs.String(), storetest.ErrInjected.Error()); n != 6 {
		t.Errorf("the log has the store's error %d times, want 6:\n%s", n, logs.String())
	}
	// Out of range is still 404, without asking the store.
	for _, path := range []string{"/proof/inclusion?index=300&size=300", "/proof/consistency?old=3&new=301", "/proof/consistency?old=0&new=3"} {
		if r := do(t, "GET", b.ts.URL+path, nil); r.status != 404 || r.er.Code != "not-found" {
			t.Errorf("GET %s = %d %s, want 404 not-found", path, r.status, r.body)
		}
	}
}

// TestSlowBody checks that a body cut short by the server's read timeout is
// a 408 that names no socket address.
func TestSlowBody(t *testing.T) {
	signer, _ := noteKey(t)
	l, err := bulletin.OpenLog(context.Background(), store.NewMemory(), bulletin.NewOpenPolicy, bulletin.LogOptions{Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	srv := server.New(server.Config{Log: l})
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.Config.ReadTimeout = 200 * time.Millisecond
	ts.Start()
	defer ts.Close()

	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /records HTTP/1.1\r\nHost: board\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"type\":")
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	data, err := io.ReadAll(conn) // the server closes the connection after answering
	if err != nil {
		t.Fatal(err)
	}
	resp := string(data)
	if !strings.HasPrefix(resp, "HTTP/1.1 408 ") || !strings.Contains(resp, `"code":"timeout"`) {
		t.Fatalf("slow body answered\n%s\nwant 408 timeout", resp)
	}
	host, port, _ := net.SplitHostPort(conn.LocalAddr().String())
	for _, leak := range []string{host, ":" + port, "i/o timeout"} {
		if strings.Contains(resp, leak) {
			t.Errorf("slow body answer contains %q:\n%s", leak, resp)
		}
	}
}

// TestNoSniff checks that every answer, refusals included, carries
// X-Content-Type-Options: nosniff.
func TestNoSniff(t *testing.T) {
	type request struct {
		method, path string
		status       int
	}
	for _, tt := range []struct {
		name     string
		cfg      server.Config
		requests []request
	}{
		{"rate limited", server.Config{RateLimit: 1, RateBurst: 1}, []request{
			{"GET", "/checkpoint", 200},
			{"POST", "/records", 429}, // the bucket of one is spent
			{"GET", "/healthz", 200},
			{"GET", "/readyz", 200},
			{"GET", "/metrics", 200},
		}},
		{"default", server.Config{}, []request{
			{"POST", "/records", 201},
			{"POST", "/records", 409},
			{"GET", "/records", 200},
			{"HEAD", "/records", 200},
			{"GET", "/records/0", 200},
			{"GET", "/records/9", 404},
			{"GET", "/proof/inclusion?index=0&size=2", 200},
			{"GET", "/proof/consistency?old=1", 200},
			{"GET", "/tile/0/000.p/2", 200},
			{"GET", "/tile/entries/000.p/2", 200},
			{"GET", "/feed?from=x", 400},
			{"GET", "/nope", 404},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := newBoard(t, store.NewMemory(), tt.cfg, bulletin.LogOptions{})
			if _, _, err := b.log.Append(context.Background(), sub(0)); err != nil {
				t.Fatal(err)
			}
			body, _ := sub(1).MarshalJSON()
			for _, req := range tt.requests {
				r := do(t, req.method, b.ts.URL+req.path, body)
				if r.status != req.status || r.header.Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("%s %s = %d X-Content-Type-Options %q, want %d nosniff", req.method, req.path, r.status, r.header.Get("X-Content-Type-Options"), req.status)
				}
			}
		})
	}
}

// countingStore counts the reads of records from the store.
type countingStore struct {
	store.Store
	mu    sync.Mutex
	reads int
}

func (s *countingStore) Records(ctx context.Context, start, end int64) ([][]byte, error) {
	s.mu.Lock()
	s.reads++
	s.mu.Unlock()
	return s.Store.Records(ctx, start, end)
}

func (s *countingStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// TestHeadRecords checks that HEAD /records answers GET's headers without
// reading the page.
func TestHeadRecords(t *testing.T) {
	cs := &countingStore{Store: prefilled(t, 30)}
	b := newBoard(t, cs, server.Config{PageSize: 10}, bulletin.LogOptions{})
	for _, query := range []string{"", "?start=25", "?start=5&end=8&format=array"} {
		before := cs.count()
		head := do(t, "HEAD", b.ts.URL+"/records"+query, nil)
		if n := cs.count() - before; n != 0 {
			t.Errorf("HEAD /records%s read the store %d times, want 0", query, n)
		}
		get := do(t, "GET", b.ts.URL+"/records"+query, nil)
		if cs.count() == before {
			t.Fatalf("GET /records%s did not read the store: the test cannot see HEAD's reads", query)
		}
		if head.status != 200 || head.body != "" {
			t.Errorf("HEAD /records%s = %d %q, want 200 with no body", query, head.status, head.body)
		}
		for _, h := range []string{"Content-Type", "Evote-Log-Size", "Evote-Next"} {
			if head.header.Get(h) != get.header.Get(h) || get.header.Get(h) == "" {
				t.Errorf("HEAD /records%s %s: %q, GET's %q", query, h, head.header.Get(h), get.header.Get(h))
			}
		}
	}
	// HEAD checks its query as GET does.
	if r := do(t, "HEAD", b.ts.URL+"/records?start=31", nil); r.status != 404 {
		t.Errorf("HEAD /records?start=31 = %d, want 404", r.status)
	}
}

// TestStartingBoard checks that a board opened in the background serves
// reads at once, and says it is starting, not ready, on /readyz and to
// posts (503 with Retry-After) until its replay has ended.
func TestStartingBoard(t *testing.T) {
	ms := store.NewMemory()
	first := newBoard(t, ms, server.Config{}, bulletin.LogOptions{})
	for i := range 3 {
		body, _ := sub(i).MarshalJSON()
		if r := do(t, "POST", first.ts.URL+"/records", body); r.status != 201 {
			t.Fatalf("POST = %d %s", r.status, r.body)
		}
	}
	first.log.Close()

	slow := storetest.NewGated(ms)
	b := newBoard(t, slow, server.Config{}, bulletin.LogOptions{Background: true})
	if r := do(t, "GET", b.ts.URL+"/records/2", nil); r.status != 200 {
		t.Fatalf("GET /records/2 while starting = %d %s", r.status, r.body)
	}
	r := do(t, "GET", b.ts.URL+"/readyz", nil)
	if r.status != 503 || r.er.Code != "starting" || !strings.Contains(r.er.Error, "replayed 0 of its 3 records") || r.header.Get("Retry-After") == "" {
		t.Fatalf("GET /readyz while starting = %d %s, want 503 starting", r.status, r.body)
	}
	body, _ := sub(3).MarshalJSON()
	if r := do(t, "POST", b.ts.URL+"/records", body); r.status != 503 || r.er.Code != "overloaded" || !strings.Contains(r.er.Error, "the board is starting") || r.header.Get("Retry-After") == "" {
		t.Fatalf("POST while starting = %d %s, want 503 overloaded naming the start", r.status, r.body)
	}
	slow.Release()
	for range 200 {
		if _, _, done, _ := b.log.Replay(); done {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if r := do(t, "POST", b.ts.URL+"/records", body); r.status != 201 {
		t.Fatalf("POST after the replay = %d %s", r.status, r.body)
	}
}
