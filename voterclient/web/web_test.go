package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/voterclient/web"
)

// fakeBuild writes a stand-in module directory.
func fakeBuild(t *testing.T) (dir string, wasm []byte) {
	t.Helper()
	dir = t.TempDir()
	wasm = []byte("\x00asm\x01\x00\x00\x00 stand-in module")
	must(t, os.WriteFile(filepath.Join(dir, web.WasmFile), wasm, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, web.WasmExecFile), []byte("// wasm_exec.js"), 0o644))
	return dir, wasm
}

func get(t *testing.T, srv *httptest.Server, path string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	must(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp, body
}

// pages returns a handler serving only the pages' routes.
func pages(opts web.Options) (http.Handler, error) {
	mux := http.NewServeMux()
	if err := web.Register(mux, opts); err != nil {
		return nil, err
	}
	return mux, nil
}

func TestRoutes(t *testing.T) {
	dir, wasm := fakeBuild(t)
	tracker := new(election.Tracker)
	h, err := pages(web.Options{WasmDir: dir, State: tracker.State, BoardKey: "board+1234+key"})
	must(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()

	for _, tt := range []struct {
		path, ctype, contains string
	}{
		{"/", "text/html; charset=utf-8", `<script src="/wasm_exec.js">`},
		{"/observe", "text/html; charset=utf-8", `/static/observe.js`},
		{"/static/app.js", "text/javascript; charset=utf-8", `call("prepare"`},
		{"/static/observe.js", "text/javascript; charset=utf-8", `/feed?from=`},
		{"/static/style.css", "text/css; charset=utf-8", `:focus-visible`},
		{"/voter.wasm", "application/wasm", "stand-in module"},
		{"/wasm_exec.js", "text/javascript; charset=utf-8", "wasm_exec.js"},
		{"/messages.json", "application/json", `"lang.name":"Français"`},
		{"/static/i18n.js", "text/javascript; charset=utf-8", `navigator.languages`},
	} {
		resp, body := get(t, srv, tt.path)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tt.ctype || !strings.Contains(string(body), tt.contains) {
			t.Errorf("GET %s = %d %q, body contains %q: %v", tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), tt.contains, strings.Contains(string(body), tt.contains))
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: Content-Security-Policy %q", tt.path, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff", tt.path)
		}
	}
	// The module is served gzipped to clients that accept it, plain to others.
	for _, enc := range []string{"gzip, deflate, br", "identity", ""} {
		req, _ := http.NewRequest("GET", srv.URL+"/voter.wasm", nil)
		req.Header.Set("Accept-Encoding", enc) // set: the transport then does not decode
		resp, err := http.DefaultTransport.RoundTrip(req)
		must(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		must(t, err)
		if strings.HasPrefix(enc, "gzip") {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			must(t, err)
			if body, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
			if resp.Header.Get("Content-Encoding") != "gzip" {
				t.Errorf("Accept-Encoding %q: Content-Encoding %q", enc, resp.Header.Get("Content-Encoding"))
			}
		} else if resp.Header.Get("Content-Encoding") != "" {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q", enc, resp.Header.Get("Content-Encoding"))
		}
		if !bytes.Equal(body, wasm) || resp.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("Accept-Encoding %q: got other bytes, or Vary %q", enc, resp.Header.Get("Vary"))
		}
	}
	// Nothing in the pages points outside the board. SVG's namespace name
	// (createElementNS) is a URI but loads nothing.
	for _, name := range []string{"/", "/observe", "/static/app.js", "/static/observe.js", "/static/style.css"} {
		_, body := get(t, srv, name)
		text := strings.ReplaceAll(string(body), `"http://www.w3.org/2000/svg"`, "")
		for _, bad := range []string{"http://", "https://", "//cdn", "@import"} {
			if strings.Contains(text, bad) {
				t.Errorf("%s mentions %q", name, bad)
			}
		}
	}

	resp, body := get(t, srv, "/election/summary")
	var s web.Summary
	must(t, json.Unmarshal(body, &s))
	sum := sha256.Sum256(wasm)
	if resp.StatusCode != 200 || s.Phase != "empty" || s.ClientSHA256 != hex.EncodeToString(sum[:]) || s.BoardKey != "board+1234+key" || s.Clients == nil {
		t.Errorf("summary = %d %+v", resp.StatusCode, s)
	}

	resp, _ = get(t, srv, "/election/voters/nothex")
	if resp.StatusCode != 400 {
		t.Errorf("GET /election/voters/nothex = %d, want 400", resp.StatusCode)
	}
	resp, body = get(t, srv, "/election/voters/"+strings.Repeat("ab", 32))
	var v web.VoterStatus
	must(t, json.Unmarshal(body, &v))
	if resp.StatusCode != 200 || v.Cast || v.Credential != strings.Repeat("ab", 32) {
		t.Errorf("voter status = %d %+v", resp.StatusCode, v)
	}
	if resp, _ := get(t, srv, "/nothing"); resp.StatusCode != 404 {
		t.Errorf("GET /nothing = %d, want 404", resp.StatusCode)
	}
}

func TestVoterStatusAfterCasting(t *testing.T) {
	b := newBoardNoWeb(t)
	dir, _ := fakeBuild(t)
	h, err := pages(web.Options{WasmDir: dir, State: b.tracker.State})
	must(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx := context.Background()
	must(t, b.sim.Ceremony(ctx))
	must(t, b.sim.SetPhase(ctx, election.PhaseOpen))
	rec, _, err := b.sim.Cast(ctx, 0, b.sim.RandomChoices())
	must(t, err)
	_, body := get(t, srv, "/election/voters/"+hex.EncodeToString(b.sim.Voters[0].Public))
	var v web.VoterStatus
	must(t, json.Unmarshal(body, &v))
	if !v.Cast || v.Index != rec.Index {
		t.Errorf("voter status = %+v, want cast as record %d", v, rec.Index)
	}
	_, body = get(t, srv, "/election/summary")
	var s web.Summary
	must(t, json.Unmarshal(body, &s))
	if s.Phase != "open" || s.Counted != 1 || s.Voters != 2 || s.Result != nil {
		t.Errorf("summary = %+v", s)
	}
}

func TestRegisterNeedsABuild(t *testing.T) {
	tracker := new(election.Tracker)
	if _, err := pages(web.Options{WasmDir: t.TempDir(), State: tracker.State}); err == nil || !strings.Contains(err.Error(), "build-web.sh") {
		t.Errorf("Register without a build: %v", err)
	}
	dir, _ := fakeBuild(t)
	if _, err := pages(web.Options{WasmDir: dir}); err == nil {
		t.Error("Register without State succeeded")
	}
}

// newBoardNoWeb is a board with an election defined, without HTTP.
func newBoardNoWeb(t *testing.T) *testBoard {
	t.Helper()
	b := &testBoard{tracker: new(election.Tracker)}
	b.log = openLog(t, b.tracker)
	var err error
	b.sim, err = simulate.New(context.Background(), b.log.Append, b.tracker.Current, simulate.Options{Voters: 2, Trustees: 2, Threshold: 2})
	must(t, err)
	return b
}

// TestSummaryStyledResult: with ballot styles and weights, the summary's
// result names each contest's counted ballots and their weight, as the
// observer page shows them.
func TestSummaryStyledResult(t *testing.T) {
	b := &testBoard{tracker: new(election.Tracker)}
	b.log = openLog(t, b.tracker)
	ctx := context.Background()
	var err error
	b.sim, err = simulate.New(ctx, b.log.Append, b.tracker.Current, simulate.Options{Voters: 2, Trustees: 2, Threshold: 2,
		Styles: []ballot.Style{{ID: "all", Contests: []string{"mayor", "council", "parks", "budget"}}, {ID: "mayor-only", Contests: []string{"mayor"}}},
		Assign: func(v int) (string, uint64) { return [...]string{"all", "mayor-only"}[v], uint64(3 - 2*v) },
	})
	must(t, err)
	must(t, b.sim.Ceremony(ctx))
	must(t, b.sim.SetPhase(ctx, election.PhaseOpen))
	for v := range 2 {
		_, _, err := b.sim.Cast(ctx, v, b.sim.VoterChoices(v))
		must(t, err)
	}
	must(t, b.sim.SetPhase(ctx, election.PhaseClosed))
	must(t, b.sim.Decrypt(ctx, 1))
	must(t, b.sim.Decrypt(ctx, 2))
	_, err = b.sim.Tally(ctx)
	must(t, err)
	dir, _ := fakeBuild(t)
	h, err := pages(web.Options{WasmDir: dir, State: b.tracker.State})
	must(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	_, body := get(t, srv, "/election/summary")
	var s web.Summary
	must(t, json.Unmarshal(body, &s))
	want := []election.ContestCount{{ID: "mayor", Ballots: 2, Weight: 4}, {ID: "council", Ballots: 1, Weight: 3}, {ID: "parks", Ballots: 1, Weight: 3}, {ID: "budget", Ballots: 1, Weight: 3}}
	if fmt.Sprint(s.Contests) != fmt.Sprint(want) {
		t.Errorf("summary contests = %+v, want %+v", s.Contests, want)
	}
}
