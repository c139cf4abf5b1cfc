package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/election"
)

// fate is what a flakyBoard does with a request.
type fate int

const (
	forward         fate = iota // pass it to the board and its answer back
	forwardThenDrop             // pass it to the board, then hang up without its answer
	drop                        // hang up; the board never sees it
)

// flakyBoard is a reverse proxy in front of a test board that breaks
// connections as a crashing board or a bad network does. The page talks to
// it, so everything it fetches goes through it.
type flakyBoard struct {
	srv   *httptest.Server
	proxy *httputil.ReverseProxy

	mu    sync.Mutex
	posts int              // POST /records received
	post  func(n int) fate // what to do with the n-th POST /records (from 1)
	down  bool             // drop every request
	fates []string         // what was done with each POST /records and dropped request
}

func newFlakyBoard(t *testing.T, b *testBoard) *flakyBoard {
	t.Helper()
	u, err := url.Parse(b.srv.URL)
	must(t, err)
	f := &flakyBoard{proxy: httputil.NewSingleHostReverseProxy(u), post: func(int) fate { return forward }}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *flakyBoard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	what := forward
	switch {
	case f.down:
		what = drop
	case r.Method == http.MethodPost && r.URL.Path == "/records":
		f.posts++
		what = f.post(f.posts)
	}
	if what != forward || r.Method == http.MethodPost {
		f.fates = append(f.fates, fmt.Sprintf("%s %s: %s", r.Method, r.URL.Path, [...]string{"forwarded", "forwarded, answer dropped", "dropped"}[what]))
	}
	f.mu.Unlock()
	switch what {
	case forward:
		f.proxy.ServeHTTP(w, r)
	case forwardThenDrop:
		rec := httptest.NewRecorder()
		f.proxy.ServeHTTP(rec, r) // the board answers, and appended the ballot
		hangUp(w)
	case drop:
		io.Copy(io.Discard, r.Body)
		hangUp(w)
	}
}

// hangUp closes the client's connection without an answer.
func hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	conn.Close()
}

func (f *flakyBoard) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

func (f *flakyBoard) log() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.fates, "; ")
}

// watchMessages has the page record every text its status line, error box
// and "was your ballot cast?" step show, in window.evoteMessages.
const watchMessages = `(() => {
  window.evoteMessages = [];
  for (const id of ["status", "error", "h-unsure", "unsure-text"]) {
    const el = document.getElementById(id);
    new MutationObserver(() => { if (el.textContent) window.evoteMessages.push(id + ": " + el.textContent); })
      .observe(el, { childList: true, characterData: true, subtree: true });
  }
  return true;
})()`

// castThrough opens the voter page at base, loads the credential file
// cred, marks and encrypts a ballot and casts it, calling beforeCast (if
// not nil) just before; it returns the confirmation code shown.
func castThrough(t *testing.T, p *page, base, cred string, beforeCast func()) string {
	t.Helper()
	p.do("open the voter page", chromedp.Navigate(base+"/"))
	p.waitJS("the credential step", visible("#step-credential"))
	p.do("upload the credential", chromedp.SetUploadFiles(css("#credential-file"), []string{cred}))
	p.waitJS("the ballot step", visible("#step-ballot"))
	p.do("mark and encrypt",
		chromedp.Click(css("#c0-o0")),
		press("#c3-o0", kb.ArrowUp+kb.ArrowUp+kb.ArrowUp),
		press("#c3-o2", kb.ArrowUp+kb.ArrowUp),
		chromedp.Click(css("#encrypt")))
	p.waitJS("the confirmation code", visible("#step-decide"))
	evaluate[bool](p, watchMessages)
	code := p.text("#code")
	if beforeCast != nil {
		beforeCast()
	}
	p.do("cast", chromedp.Click(css("#cast")))
	return code
}

// checkCast checks that the page shows voter v's ballot as the record the
// board counts, with a receipt for it that verifies with the board's key.
func checkCast(t *testing.T, p *page, b *testBoard, v int, code string) {
	t.Helper()
	idx, ok := b.tracker.State().CastBallot(b.sim.Voters[v].Public)
	if !ok {
		t.Fatal("the board has no ballot of the voter")
	}
	if s := p.text("#cast-summary"); !strings.Contains(s, fmt.Sprintf("is record %d on the board", idx)) || !strings.Contains(s, code) {
		t.Fatalf("cast summary %q, want record %d and code %s", s, idx, code)
	}
	text := evaluate[string](p, `document.getElementById("receipt-text").value`)
	r, err := bulletin.ParseReceipt([]byte(text))
	must(t, err)
	if _, err := r.Verify(b.vkey); err != nil {
		t.Fatalf("the receipt shown does not verify: %v\n%s", err, text)
	}
	rec, err := b.log.Record(t.Context(), int64(idx))
	must(t, err)
	if !r.Matches(rec) || rec.Type != election.TypeBallot {
		t.Fatalf("the receipt shown is for record %d, the ballot is record %d", r.Index, idx)
	}
	if got := evaluate[string](p, `document.getElementById("status").textContent`); got != "Ballot cast. Save your receipt." {
		t.Errorf("status %q", got)
	}
}

// messages returns what the page said while sending.
func messages(p *page) []string { return evaluate[[]string](p, `window.evoteMessages`) }

// TestBrowserCastAnswerLost: the connection breaks after the board appended
// the ballot (the proxy forwards the POST, waits for the board's answer,
// then hangs up). The page does not say the ballot was not cast: it looks
// it up on the board and shows the record and a receipt checked against
// the board's signed checkpoint. Chromium resends a POST whose reused
// connection closed without an answer; the board's answer to that resend,
// if it gets there, is a duplicate refusal naming the record, which leads
// to the same.
func TestBrowserCastAnswerLost(t *testing.T) {
	for _, tc := range []struct {
		name   string
		resend fate // what the proxy does with later POSTs
	}{
		{"resend lost", drop},
		{"resend answered", forward},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPage(t)
			b := startBoard(t, nil, 3)
			f := newFlakyBoard(t, b)
			f.post = func(n int) fate {
				if n == 1 {
					return forwardThenDrop
				}
				return tc.resend
			}
			code := castThrough(t, p, f.srv.URL, b.credentialFile(t, 0), nil)
			p.waitJS("the cast ballot", visible("#step-cast"))
			checkCast(t, p, b, 0, code)
			said := messages(p)
			t.Logf("proxy: %s", f.log())
			t.Logf("the page said: %q", said)
			for _, m := range said {
				if strings.Contains(m, "not cast") || strings.HasPrefix(m, "error: ") {
					t.Errorf("the page said %q", m)
				}
			}
			if !slicesContain(said, "does not know yet whether your ballot was cast") && !slicesContain(said, "says it already has your ballot") {
				t.Errorf("the page did not say it was looking the ballot up: %q", said)
			}
			if !evaluate[bool](p, visible("#cast-recovered")) {
				t.Error("the page does not say the board's answer was lost")
			}
			if n := b.tracker.State().Summary().Ballots; n != 1 {
				t.Fatalf("the board holds %d ballots, want 1", n)
			}
			if bad := evaluate[[]string](p, unlabelledControls); len(bad) > 0 {
				t.Errorf("controls without an accessible name: %v", bad)
			}
			p.screenshot("voter-cast-answer-lost.png")
		})
	}
}

// TestBrowserCastNeverArrived: the POST never reaches the board, and the
// board stays out of reach for a while. The page says it cannot tell yet
// (never that the ballot was not cast) and offers to check again; once the
// board is back, it finds the ballot is not there, says it was not cast and
// offers to send it again; sent again, the ballot is cast, once.
func TestBrowserCastNeverArrived(t *testing.T) {
	p := newPage(t)
	b := startBoard(t, nil, 3)
	f := newFlakyBoard(t, b)
	f.post = func(n int) fate {
		if n == 1 {
			f.down = true // the board goes away with the POST, until the test brings it back
			return drop
		}
		return forward
	}
	code := castThrough(t, p, f.srv.URL, b.credentialFile(t, 1), nil)
	p.waitJS("cannot tell yet", `document.getElementById("step-unsure").dataset.state === "unknown" && `+visible("#check-again"))
	unsure := p.text("#step-unsure")
	if !strings.Contains(unsure, "cannot tell yet whether your ballot was cast") || strings.Contains(unsure, "not cast") ||
		!strings.Contains(unsure, code) || evaluate[bool](p, visible("#send-again")) {
		t.Fatalf("while the board is away the page says %q (send again offered: %v)", unsure, evaluate[bool](p, visible("#send-again")))
	}
	if s := p.text("#status"); !strings.Contains(s, "cannot tell yet") {
		t.Errorf("status line %q", s)
	}
	if !evaluate[bool](p, `document.activeElement === document.getElementById("h-unsure")`) {
		t.Error("focus did not move to the step's heading")
	}
	if _, ok := b.tracker.State().CastBallot(b.sim.Voters[1].Public); ok {
		t.Fatal("the board has the ballot the proxy dropped")
	}
	p.screenshot("voter-cast-unknown.png")

	f.setDown(false)
	p.do("check again", chromedp.Click(css("#check-again")))
	p.waitJS("not cast", `document.getElementById("step-unsure").dataset.state === "not-found" && `+visible("#send-again"))
	if h, s := p.text("#h-unsure"), p.text("#unsure-text"); h != "Your ballot was not cast" || !strings.HasPrefix(s, "Your ballot was not cast: ") ||
		evaluate[bool](p, visible("#check-again")) {
		t.Fatalf("once the board is back the page says %q: %q", h, s)
	}
	t.Logf("not cast: %s", p.text("#unsure-text"))
	p.screenshot("voter-cast-not-found.png")

	p.do("send it again", press("#send-again", kb.Enter))
	p.waitJS("the cast ballot", visible("#step-cast"))
	checkCast(t, p, b, 1, code)
	if evaluate[bool](p, visible("#cast-recovered")) || evaluate[bool](p, visible("#step-unsure")) {
		t.Error("after a plain second send, the page says the answer was lost, or still asks")
	}
	if n := b.tracker.State().Summary().Ballots; n != 1 {
		t.Fatalf("the board holds %d ballots, want 1", n)
	}
	t.Logf("proxy: %s", f.log())
	t.Logf("the page said: %q", messages(p))
}

func slicesContain(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
