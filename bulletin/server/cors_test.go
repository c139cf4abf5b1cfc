package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/server"
	"github.com/evote/evote/bulletin/store"
)

// TestAPIOrigin checks the API's Origin policy (bulletin.md §8.1): a
// listed origin (another operator's page) gets its preflight answered and
// its post taken, with Access-Control-Allow-Origin naming it; any other
// origin's preflight and post are refused with 403 and nothing is
// appended, its GET is served without CORS headers; clients without an
// Origin and the board's own pages are served as before.
func TestAPIOrigin(t *testing.T) {
	const op2 = "http://127.0.0.1:8082"
	b := newBoard(t, store.NewMemory(), server.Config{APIOrigins: []string{op2}}, bulletin.LogOptions{})
	do, body := originRequests(t, b)

	// The listed origin: preflight, then the post, both with CORS headers.
	checkAdmitted(t, do, body, op2)

	// Other origins: the same host on another port or scheme, a page
	// elsewhere, a sandboxed page.
	for _, origin := range []string{"http://127.0.0.1:8083", "https://127.0.0.1:8082", "https://evil.example", "null"} {
		resp, er := do(http.MethodOptions, "/records", origin, nil, preflight...)
		if resp.StatusCode != http.StatusForbidden || er.Code != "forbidden-origin" || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight from %s = %d %q ACAO %q, want 403 forbidden-origin without CORS headers", origin, resp.StatusCode, er.Code, resp.Header.Get("Access-Control-Allow-Origin"))
		}
		resp, er = do(http.MethodPost, "/records", origin, body())
		if resp.StatusCode != http.StatusForbidden || er.Code != "forbidden-origin" || !strings.Contains(er.Error, origin) {
			t.Errorf("post from %s = %d %q %q, want 403 forbidden-origin naming it", origin, resp.StatusCode, er.Code, er.Error)
		}
		resp, _ = do(http.MethodGet, "/checkpoint", origin, nil)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("GET /checkpoint from %s = %d ACAO %q, want 200 without CORS headers", origin, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	}
	if got := b.log.Size(); got != 1 {
		t.Fatalf("log size %d after the refused posts, want 1", got)
	}

	// No Origin (the CLI) and the board's own page.
	for _, origin := range []string{"", "SELF"} {
		resp, er := do(http.MethodPost, "/records", origin, body())
		if resp.StatusCode != http.StatusCreated || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("post with Origin %q = %d (%s), want 201 without CORS headers", origin, resp.StatusCode, er.Error)
		}
	}
}

// preflight are the headers of a preflight for a post of JSON.
var preflight = []string{"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type"}

// originRequests returns do, which sends a request to b from the web page
// of origin (SELF in it: the board's own; "": no Origin header), with the
// headers hdr (name, value, …), and body, which returns a new submission
// each time.
func originRequests(t *testing.T, b *board) (do func(method, path, origin string, body []byte, hdr ...string) (*http.Response, bulletin.ErrorResponse), body func() []byte) {
	do = func(method, path, origin string, body []byte, hdr ...string) (*http.Response, bulletin.ErrorResponse) {
		t.Helper()
		req, err := http.NewRequest(method, b.ts.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if origin != "" {
			req.Header.Set("Origin", strings.ReplaceAll(origin, "SELF", b.ts.URL))
		}
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		return answered(t)(http.DefaultClient.Do(req))
	}
	n := 0
	body = func() []byte {
		data, err := sub(n).MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		n++
		return data
	}
	return do, body
}

// checkAdmitted checks that the API admits the pages of origin: its
// preflight is answered 204 allowing POST with Content-Type, its post
// and its GET are served, each with Access-Control-Allow-Origin naming
// it.
func checkAdmitted(t *testing.T, do func(method, path, origin string, body []byte, hdr ...string) (*http.Response, bulletin.ErrorResponse), body func() []byte, origin string) {
	t.Helper()
	resp, _ := do(http.MethodOptions, "/records", origin, nil, preflight...)
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != origin ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.EqualFold(resp.Header.Get("Access-Control-Allow-Headers"), "Content-Type") {
		t.Fatalf("preflight from %s = %d %v, want 204 allowing POST with Content-Type", origin, resp.StatusCode, resp.Header)
	}
	resp, er := do(http.MethodPost, "/records", origin, body())
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Fatalf("post from %s = %d (%s) ACAO %q, want 201 naming it", origin, resp.StatusCode, er.Error, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	resp, _ = do(http.MethodGet, "/checkpoint", origin, nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Fatalf("GET /checkpoint from %s = %d ACAO %q, want 200 naming it", origin, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
}

// TestParseAPIOrigins: origins are written as browsers send them; "*" and
// anything that is not an origin are refused.
func TestParseAPIOrigins(t *testing.T) {
	got, err := server.ParseAPIOrigins([]string{"HTTP://Op2.example:80, https://op3.example:8443"})
	if err != nil || strings.Join(got, " ") != "http://op2.example https://op3.example:8443" {
		t.Fatalf("ParseAPIOrigins = %q, %v", got, err)
	}
	for _, bad := range []string{"*", "https://op2.example/", "op2.example", "https://op2.example/path"} {
		if _, err := server.ParseAPIOrigins([]string{bad}); err == nil {
			t.Errorf("ParseAPIOrigins(%q) succeeded, want an error", bad)
		}
	}
}

// TestOperatorOrigins: the origins of the boards that Config.OperatorURLs
// returns (on a replicated board, the url hints of the election's
// definition, which it learns once the definition is on the board) are
// admitted by the API's and the feed's Origin policies as listed ones
// are: a preflight, a post, a read (the observer page's summary) and a
// feed from such an origin are served, with Access-Control-Allow-Origin
// naming it; before the board knows the hint, and for any other origin
// (another port, another scheme, what a hint that is not a URL names),
// the preflight, the post and the feed are refused with 403.
func TestOperatorOrigins(t *testing.T) {
	var hints atomic.Pointer[[]string]
	hints.Store(&[]string{})
	b := newBoard(t, store.NewMemory(), server.Config{OperatorURLs: func() []string { return *hints.Load() }}, bulletin.LogOptions{})
	const op3, op4 = "http://127.0.0.1:8083", "https://op4.example"
	do, body := originRequests(t, b)
	feed := func(origin string) (*websocket.Conn, *http.Response, error) {
		return websocket.DefaultDialer.Dial(feedURL(b, 0), http.Header{"Origin": {origin}})
	}
	refused := func(origin string) {
		t.Helper()
		resp, er := do(http.MethodOptions, "/records", origin, nil, preflight...)
		if resp.StatusCode != http.StatusForbidden || er.Code != "forbidden-origin" {
			t.Errorf("preflight from %s = %d %q, want 403 forbidden-origin", origin, resp.StatusCode, er.Code)
		}
		resp, er = do(http.MethodPost, "/records", origin, body())
		if resp.StatusCode != http.StatusForbidden || er.Code != "forbidden-origin" {
			t.Errorf("post from %s = %d %q, want 403 forbidden-origin", origin, resp.StatusCode, er.Code)
		}
		resp, _ = do(http.MethodGet, "/checkpoint", origin, nil)
		if resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("GET /checkpoint from %s names it in Access-Control-Allow-Origin", origin)
		}
		conn, resp, err := feed(origin)
		checkRefused(t, "feed from "+origin, conn, resp, err, http.StatusForbidden, "forbidden-origin", fmt.Sprintf("%q", origin))
	}

	// Before the definition gives the hints: refused.
	refused(op3)

	hints.Store(&[]string{"HTTP://127.0.0.1:8083", op4 + ":443/board", "op5.example", "ftp://op6.example"})
	for _, origin := range []string{op3, op4} {
		checkAdmitted(t, do, body, origin)
		conn, resp, err := feed(origin)
		if err != nil {
			t.Errorf("feed from %s: %v (%s)", origin, err, handshakeStatus(resp))
		} else {
			conn.Close()
		}
	}
	for _, origin := range []string{"http://127.0.0.1:8084", "https://127.0.0.1:8083", "http://op4.example", "https://op5.example", "http://op5.example", "ftp://op6.example", "https://evil.example"} {
		refused(origin)
	}
}
