package web_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/server"
	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/voterclient/web"
)

var saveScreenshots = flag.Bool("screenshots", false, "save the browser test's screenshots under docs/screenshots (otherwise a temporary directory)")

// chromiumPath finds Chromium ($EVOTE_CHROMIUM, or chromium on $PATH), or
// skips the test; when the environment variable CI is set (CI installs
// Chromium) a missing browser fails the test instead.
func chromiumPath(t testing.TB) string {
	t.Helper()
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("browser test skipped in -short mode (it always runs when CI is set)")
	}
	candidates := []string{os.Getenv("EVOTE_CHROMIUM"), "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("Chromium is not installed, and CI is set: install the chromium package")
	}
	t.Skip("Chromium is not installed (apt-get install -y chromium); set CI to make this a failure")
	return ""
}

var (
	wasmOnce sync.Once
	wasmDir  string
	wasmErr  error
)

// buildWasm builds cmd/voterclient-wasm with the flags of
// scripts/build-web.sh and copies wasm_exec.js, once per test binary.
func buildWasm(t testing.TB) string {
	t.Helper()
	wasmOnce.Do(func() {
		dir, err := os.MkdirTemp("", "evote-web-")
		if err != nil {
			wasmErr = err
			return
		}
		wasmDir = dir
		cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid=",
			"-o", filepath.Join(dir, web.WasmFile), "github.com/evote/evote/cmd/voterclient-wasm")
		cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			wasmErr = fmt.Errorf("building the wasm module: %v\n%s", err, out)
			return
		}
		goroot, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			wasmErr = fmt.Errorf("go env GOROOT: %v", err)
			return
		}
		src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", web.WasmExecFile))
		if err != nil {
			wasmErr = err
			return
		}
		wasmErr = os.WriteFile(filepath.Join(dir, web.WasmExecFile), src, 0o644)
	})
	if wasmErr != nil {
		t.Fatal(wasmErr)
	}
	return wasmDir
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if wasmDir != "" {
		os.RemoveAll(wasmDir)
	}
	os.Exit(code)
}

// testBoard is a real bulletin board (memory store, election policy) with
// its HTTP API and the web pages, running an election through simulate.
type testBoard struct {
	srv     *httptest.Server
	log     *bulletin.Log
	tracker *election.Tracker
	sim     *simulate.Election
	vkey    string
	wasmDir string
}

// startBoard starts a board whose election is open for voting.
func startBoard(t testing.TB, contests []ballot.Contest, voters int) *testBoard {
	t.Helper()
	b := newTestBoard(t, simulate.Options{
		Title: "Springfield municipal election", Voters: voters, Trustees: 3, Threshold: 2, Contests: contests,
		MinCounted: 2}) // the browser and one simulated voter vote
	b.openVoting(t)
	return b
}

// newTestBoard starts a board and posts the election's definition and
// roll (simulate.New with opts).
func newTestBoard(t testing.TB, opts simulate.Options) *testBoard {
	t.Helper()
	b := &testBoard{tracker: new(election.Tracker)}
	b.log, b.vkey = openLogKey(t, b.tracker)
	srv := server.New(server.Config{Log: b.log, FeedCheckpointInterval: 100 * time.Millisecond})
	b.wasmDir = buildWasm(t)
	must(t, web.Register(srv.Mux(), web.Options{WasmDir: b.wasmDir, State: b.tracker.State, BoardKey: b.vkey}))
	b.srv = httptest.NewServer(srv.Handler())
	t.Cleanup(func() { srv.Close(); b.srv.Close() })
	var err error
	b.sim, err = simulate.New(context.Background(), b.log.Append, b.tracker.Current, opts)
	must(t, err)
	return b
}

// openVoting runs the key ceremony, publishes the hash of the module the
// board serves, and opens voting.
func (b *testBoard) openVoting(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	must(t, b.sim.Ceremony(ctx))
	wasm, err := os.ReadFile(filepath.Join(b.wasmDir, web.WasmFile))
	must(t, err)
	sub, err := election.NewSubmission(b.sim.Official, election.TypeClientHash, b.tracker.State().ClientHashRecord("voter-web "+runtime.Version(), sha256.Sum256(wasm)))
	must(t, err)
	_, _, err = b.log.Append(ctx, sub)
	must(t, err)
	must(t, b.sim.SetPhase(ctx, election.PhaseOpen))
}

// tally has trustees 1 and 3 post their partial decryptions of the
// closed election's totals and the official the result. simulate does
// not know the ballots a browser cast, so its own check of the totals
// failing (simulate.ErrMismatch) is no failure: the result is posted
// first.
func (b *testBoard) tally(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	must(t, b.sim.Decrypt(ctx, 1))
	must(t, b.sim.Decrypt(ctx, 3))
	if _, err := b.sim.Tally(ctx); err != nil && !errors.Is(err, simulate.ErrMismatch) {
		t.Fatal(err)
	}
}

// openLogKey opens an in-memory board log with the election policy and
// returns it with its checkpoint verifier key.
func openLogKey(t testing.TB, tracker *election.Tracker) (*bulletin.Log, string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "evote-test-board")
	must(t, err)
	signer, err := note.NewSigner(skey)
	must(t, err)
	l, err := bulletin.OpenLog(context.Background(), store.NewMemory(), tracker.New, bulletin.LogOptions{Signer: signer})
	must(t, err)
	t.Cleanup(func() { l.Close() })
	return l, vkey
}

func openLog(t testing.TB, tracker *election.Tracker) *bulletin.Log {
	l, _ := openLogKey(t, tracker)
	return l
}

// credentialFile writes voter v's credential file and returns its path.
func (b *testBoard) credentialFile(t testing.TB, v int) string {
	t.Helper()
	return credentialFile(t, b.sim, v)
}

// credentialFile writes the credential file of sim's voter v and returns
// its path.
func credentialFile(t testing.TB, sim *simulate.Election, v int) string {
	t.Helper()
	data, err := sim.Voters[v].Marshal()
	must(t, err)
	p := filepath.Join(t.TempDir(), fmt.Sprintf("voter-%d.json", v))
	must(t, os.WriteFile(p, data, 0o600))
	return p
}

// page is a headless Chromium tab with helpers that fail the test.
type page struct {
	t      testing.TB
	ctx    context.Context
	mu     sync.Mutex
	errs   []string // uncaught exceptions and console errors
	origin []string // requests to anything but the test servers
	allow  []string // further URL prefixes the page may request
	shots  string
}

func newPage(t testing.TB) *page {
	t.Helper()
	exe := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1000, 1300),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	p := &page{t: t, ctx: ctx, shots: t.TempDir()}
	if *saveScreenshots {
		p.shots = filepath.Join("..", "..", "docs", "screenshots")
		must(t, os.MkdirAll(p.shots, 0o755))
	}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium %s: %v", exe, err)
	}
	p.listen()
	return p
}

// tab opens another tab of p's browser, a page of its own.
func (p *page) tab() *page {
	p.t.Helper()
	ctx, cancel := chromedp.NewContext(p.ctx)
	p.t.Cleanup(cancel)
	q := &page{t: p.t, ctx: ctx, shots: p.shots}
	if err := chromedp.Do(ctx); err != nil {
		p.t.Fatalf("opening a tab: %v", err)
	}
	q.listen()
	return q
}

// listen records the page's uncaught exceptions, console errors and
// requests to anything but the test servers, which checkClean reports at
// the test's end.
func (p *page) listen() {
	t := p.t
	err := chromedp.Listen(p.ctx, func(ev any) {
		p.mu.Lock()
		defer p.mu.Unlock()
		switch ev := ev.(type) {
		case *cdpruntime.EventExceptionThrown:
			p.errs = append(p.errs, "exception: "+ev.ExceptionDetails.Text+describe(ev.ExceptionDetails.Exception))
		case *cdpruntime.EventConsoleAPICalled:
			if ev.Type == cdpruntime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, describe(a))
				}
				p.errs = append(p.errs, "console.error:"+strings.Join(parts, " "))
			}
		case *network.EventRequestWillBeSent:
			u := ev.Request.URL
			allowed := slices.ContainsFunc(append([]string{"http://127.0.0.1:", "ws://127.0.0.1:", "data:", "blob:"}, p.allow...),
				func(prefix string) bool { return strings.HasPrefix(u, prefix) })
			if !allowed {
				p.origin = append(p.origin, u)
			}
		}
	})
	must(t, err)
	t.Cleanup(p.checkClean)
}

func describe(o *cdpruntime.RemoteObject) string {
	if o == nil {
		return ""
	}
	if o.Description != "" {
		return " " + o.Description
	}
	return " " + string(o.Value)
}

// checkClean fails the test if the pages threw, logged errors, or reached
// for anything but the board.
func (p *page) checkClean() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.errs {
		p.t.Errorf("page error: %s", e)
	}
	for _, u := range p.origin {
		p.t.Errorf("page requested an external resource: %s", u)
	}
}

func (p *page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v%s", what, err, p.errorBox())
	}
}

// errorBox returns the page's error box text, to explain a failure.
func (p *page) errorBox() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById("error")||{}).textContent || ""`))
	if err != nil || s == "" {
		return ""
	}
	return "\npage error box: " + s
}

func evaluate[T any](p *page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 90*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// waitJS waits until the JavaScript expression is true.
func (p *page) waitJS(what, expr string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 90*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(80*time.Second))); err != nil {
		p.t.Fatalf("waiting for %s (%s): %v%s", what, expr, err, p.errorBox())
	}
}

func (p *page) text(sel string) string {
	p.t.Helper()
	return evaluate[string](p, fmt.Sprintf(`document.querySelector(%q).textContent`, sel))
}

// screenshot saves a screenshot of the page as name, then checks the
// page's accessibility in this state (accessible).
func (p *page) screenshot(name string) {
	p.t.Helper()
	p.capture(name)
	p.accessible(name)
}

func (p *page) capture(name string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 60*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(p.shots, name)
	must(p.t, os.WriteFile(path, png, 0o644))
	p.t.Logf("screenshot: %s", path)
}

func visible(sel string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && !e.hidden && e.offsetParent !== null; })()`, sel)
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// press focuses sel and types keys, as a keyboard user does.
func press(sel, keys string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Focus(css(sel)), chromedp.KeyEvent(keys))
}

const unlabelledControls = `(() => {
  const bad = [];
  for (const el of document.querySelectorAll("input, textarea, select")) {
    if (el.offsetParent === null) continue;
    if (!(el.labels && el.labels.length) && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby")) bad.push(el.id || el.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll("button, a")) {
    if (el.offsetParent === null) continue;
    if (!el.textContent.trim() && !el.getAttribute("aria-label")) bad.push(el.outerHTML.slice(0, 80));
  }
  for (const fs of document.querySelectorAll("fieldset")) {
    if (!fs.querySelector("legend")) bad.push("fieldset without legend");
  }
  return bad;
})()`

// TestBrowserVoting is the voter's whole journey in a real browser: load
// the credential, mark choices by keyboard and mouse, encrypt in
// WebAssembly, challenge and check what was revealed, vote again and cast,
// download and check the receipt; someone else who holds the credential
// casts with it, and the receipt check warns that the ballot no longer
// counts; re-vote; then the observer page follows the board live to the
// published result.
func TestBrowserVoting(t *testing.T) {
	p := newPage(t)
	b := startBoard(t, nil, 3)
	ctx := context.Background()
	m := b.sim.Manifest

	p.do("open the voter page", chromedp.Navigate(b.srv.URL+"/"))
	p.waitJS("the credential step", visible("#step-credential"))
	p.screenshot("voter-start.png")
	if got := evaluate[string](p, `document.getElementById("module-line").dataset.match || ""`); got != "yes" {
		t.Errorf("module hash line: match=%q, text %q", got, p.text("#module-line"))
	}

	// A file that is not a credential is explained.
	bad := filepath.Join(t.TempDir(), "notes.txt")
	must(t, os.WriteFile(bad, []byte("my shopping list"), 0o600))
	p.do("upload a wrong file", chromedp.SetUploadFiles(css("#credential-file"), []string{bad}))
	p.waitJS("the bad credential error", `document.getElementById("error").dataset.code === "bad-credential"`)
	t.Logf("bad credential: %s", p.text("#error"))
	p.screenshot("voter-error.png")

	cred := b.credentialFile(t, 0)
	p.do("upload the credential", chromedp.SetUploadFiles(css("#credential-file"), []string{cred}))
	p.waitJS("the ballot step", visible("#step-ballot"))
	if bad := evaluate[[]string](p, unlabelledControls); len(bad) > 0 {
		t.Errorf("controls without an accessible name: %v", bad)
	}
	for i, c := range m.Contests {
		want := c.Title
		if got := p.text(fmt.Sprintf(`fieldset[data-contest=%q] legend`, c.ID)); got != want {
			t.Errorf("contest %d legend = %q, want %q", i, got, want)
		}
	}

	// Mark: mayor=bob (keyboard), council=dan,heidi (mouse) + ken (keyboard),
	// parks=lake (mouse), budget=schools 3, safety 2 (arrow keys).
	p.do("mark choices",
		press("#c0-o1", " "),
		chromedp.Click(css("#c1-o0")),
		chromedp.Click(css("#c1-o4")),
		press("#c1-o7", " "),
		chromedp.Click(css("#c2-o1")),
		press("#c3-o0", kb.ArrowUp+kb.ArrowUp+kb.ArrowUp),
		press("#c3-o2", kb.ArrowUp+kb.ArrowUp),
	)
	marked := ballot.Choices{{0, 1, 0}, {1, 0, 0, 0, 1, 0, 0, 1, 0, 0}, {0, 1, 0, 0}, {3, 0, 2}}
	p.screenshot("voter-ballot.png")

	// One council option too many is refused in plain words.
	p.do("mark a fourth council option", chromedp.Click(css("#c1-o9")), press("#encrypt", kb.Enter))
	p.waitJS("the too-many error", `document.getElementById("error").dataset.code === "invalid-choices"`)
	t.Logf("too many: %s", p.text("#error"))
	p.do("unmark it", chromedp.Click(css("#c1-o9")))

	// Encrypt (keyboard), then challenge.
	p.do("encrypt", press("#encrypt", kb.Enter))
	p.waitJS("the confirmation code", visible("#step-decide"))
	code1 := p.text("#code")
	t.Logf("first ballot: code %s, encrypted in %.0f ms", code1, evaluate[float64](p, "window.evoteLastEncryptMs"))
	p.screenshot("voter-encrypted.png")
	p.do("challenge", chromedp.Click(css("#challenge")))
	p.waitJS("the challenged ballot", visible("#step-challenged"))
	if ok := evaluate[string](p, `document.getElementById("challenge-verdict").dataset.ok`); ok != "yes" {
		t.Fatalf("challenge verdict %q: %s", ok, p.text("#challenge-verdict"))
	}
	shown := evaluate[[]string](p, `Array.from(document.querySelectorAll("#revealed dd"), d => d.textContent)`)
	if want := describeChoices(m, marked); !slices.Equal(shown, want) {
		t.Fatalf("revealed choices shown %q, marked %q", shown, want)
	}
	if !strings.Contains(p.text("#challenge-summary"), code1) {
		t.Errorf("challenge summary %q does not name code %s", p.text("#challenge-summary"), code1)
	}
	p.screenshot("voter-challenged.png")

	// Vote again: mayor=carol; cast.
	p.do("vote again", chromedp.Click(css("#vote-again")))
	p.waitJS("the ballot step", visible("#step-ballot"))
	p.do("change mayor, encrypt", press("#c0-o2", " "), chromedp.Click(css("#encrypt")))
	p.waitJS("the confirmation code", visible("#step-decide"))
	code2 := p.text("#code")
	if code2 == code1 {
		t.Fatal("the second ballot has the first one's code")
	}
	if evaluate[bool](p, visible("#revote-note")) {
		t.Errorf("re-vote note shown before the first cast: %s", p.text("#revote-note"))
	}
	p.do("cast", chromedp.Click(css("#cast")))
	p.waitJS("the cast confirmation", visible("#step-cast"))
	final := slices.Clone(marked)
	final[0] = []uint64{0, 0, 1}
	first, ok := b.tracker.State().CastBallot(b.sim.Voters[0].Public)
	if !ok {
		t.Fatal("the board has no counted ballot of the voter")
	}
	if s := p.text("#cast-summary"); !strings.Contains(s, fmt.Sprintf("record %d", first)) || !strings.Contains(s, code2) {
		t.Errorf("cast summary %q, want record %d and code %s", s, first, code2)
	}
	receiptText := evaluate[string](p, `document.getElementById("receipt-text").value`)
	p.screenshot("voter-cast.png")

	// Download the receipt, then check it on the page.
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(p.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
		t.Fatal(err)
	}
	p.do("download the receipt", chromedp.Click(css("#receipt-download")))
	receiptPath := filepath.Join(downloads, fmt.Sprintf("evote-receipt-%d.txt", first))
	var saved []byte
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var err error
		if saved, err = os.ReadFile(receiptPath); err == nil && len(saved) > 0 {
			break
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(downloads)
			t.Fatalf("the receipt was not downloaded to %s (found %v)", receiptPath, entries)
		}
	}
	if string(saved) != receiptText {
		t.Fatalf("downloaded receipt differs from the one shown")
	}
	p.do("check the receipt", chromedp.SetUploadFiles(css("#receipt-file"), []string{receiptPath}), chromedp.Click(css("#check-receipt")))
	p.waitJS("the receipt verdict", `!!document.getElementById("receipt-result").dataset.ok`)
	if ok, status := evaluate[string](p, `document.getElementById("receipt-result").dataset.ok`),
		evaluate[string](p, `document.getElementById("receipt-result").dataset.status`); ok != "yes" || status != "counted" {
		t.Fatalf("receipt check: ok=%q status=%q: %s", ok, status, p.text("#receipt-result"))
	}
	if s := p.text("#receipt-result"); !strings.HasPrefix(s, "\u2714 Your ballot counts.") {
		t.Errorf("counted receipt: %q", s)
	}
	t.Logf("receipt check: %s", p.text("#receipt-result"))

	// Whoever holds the voter's credential (the official who generated it)
	// casts a later ballot with it: the same receipt now warns, loudly.
	taken, _, err := b.sim.Cast(ctx, 0, b.sim.RandomChoices())
	must(t, err)
	p.do("check the receipt again", chromedp.SetUploadFiles(css("#receipt-file"), []string{receiptPath}), chromedp.Click(css("#check-receipt")))
	p.waitJS("the replaced warning", `document.getElementById("receipt-result").dataset.status === "replaced"`)
	got := evaluate[map[string]string](p, `(() => { const e = document.getElementById("receipt-result");
		return {ok: e.dataset.ok, role: e.getAttribute("role"), by: e.dataset.replacedBy, at: e.dataset.replacedAt, current: e.dataset.current, text: e.textContent}; })()`)
	at, err := time.Parse(time.RFC3339, got["at"])
	if err != nil || !at.Equal(taken.Time) {
		t.Errorf("replaced_at %q (%v), want %v", got["at"], err, taken.Time)
	}
	warning := fmt.Sprintf("\u2716 Warning: a later ballot used your credential. Your ballot, record %d, no longer counts: record %d, cast at %s, replaced it.",
		first, taken.Index, taken.Time.UTC().Format("2006-01-02 15:04:05 UTC"))
	if idx := fmt.Sprint(taken.Index); got["ok"] != "no" || got["role"] != "alert" || got["by"] != idx || got["current"] != idx ||
		!strings.HasPrefix(got["text"], warning) || !strings.Contains(got["text"], "someone else holds your credential") {
		t.Fatalf("replaced receipt: %v, want record %d replacing record %d, in an alert starting %q", got, taken.Index, first, warning)
	}
	t.Logf("replaced receipt: %s", got["text"])
	p.screenshot("voter-receipt-replaced.png")
	// An altered receipt is refused.
	altered := filepath.Join(t.TempDir(), "altered.txt")
	lines := strings.Split(receiptText, "\n")
	lines[2] = "leaf: " + strings.Repeat("A", 43) + "="
	must(t, os.WriteFile(altered, []byte(strings.Join(lines, "\n")), 0o600))
	p.do("check an altered receipt", chromedp.SetUploadFiles(css("#receipt-file"), []string{altered}), chromedp.Click(css("#check-receipt")))
	p.waitJS("the altered receipt verdict", `document.getElementById("receipt-result").dataset.ok === "no"`)
	t.Logf("altered receipt: %s", p.text("#receipt-result"))

	// Re-vote.
	p.do("re-vote", chromedp.Click(css("#revote")))
	p.waitJS("the ballot step", visible("#step-ballot"))
	p.do("encrypt", chromedp.Click(css("#encrypt")))
	p.waitJS("the confirmation code", visible("#step-decide"))
	p.waitJS("the re-vote note", visible("#revote-note"))
	if s := p.text("#revote-note"); !strings.Contains(s, "replaces") || !strings.Contains(s, fmt.Sprintf("record %d", taken.Index)) {
		t.Errorf("re-vote note %q", s)
	}
	p.do("cast again", chromedp.Click(css("#cast")))
	p.waitJS("the cast confirmation", visible("#step-cast"))
	p.waitJS("the replaced note", visible("#cast-revote"))
	if s := p.text("#cast-revote"); !strings.Contains(s, fmt.Sprintf("replaces your earlier ballot (record %d)", taken.Index)) {
		t.Errorf("re-vote confirmation %q", s)
	}

	// The board holds the challenged ballot, the cast ballot, the ballot cast
	// with the voter's credential by someone else and the re-vote, all valid.
	st := b.tracker.State()
	s := st.Summary()
	if s.Challenged != 1 || s.Ballots != 3 || s.Superseded != 2 || s.Counted != 1 {
		t.Fatalf("board summary = %+v, want 1 challenged, 3 ballots, 2 superseded, 1 counted", s)
	}
	second, _ := st.CastBallot(b.sim.Voters[0].Public)
	if sup := st.Superseded(); sup[first] != taken.Index || sup[taken.Index] != second {
		t.Fatalf("superseded = %v, want %d → %d → %d", sup, first, taken.Index, second)
	}
	checkVoterRecords(t, b, 4)

	// The observer page follows the board live.
	p.do("open the observer page", chromedp.Navigate(b.srv.URL+"/observe"))
	p.waitJS("the live feed", `document.getElementById("conn").dataset.live === "yes"`)
	p.waitJS("the counts", `document.getElementById("counted").textContent === "1" && document.getElementById("challenged").textContent === "1"`)
	size := b.log.Size()
	p.waitJS("every record", fmt.Sprintf(`document.querySelectorAll("#records tbody tr").length === %d`, size))
	other := b.sim.RandomChoices()
	rec, _, err := b.sim.Cast(ctx, 1, other)
	must(t, err)
	p.waitJS("the new ballot, live", fmt.Sprintf(`document.querySelector("#records tbody tr td").textContent === "%d" && document.getElementById("counted").textContent === "2"`, rec.Index))
	p.waitJS("the checkpoint", fmt.Sprintf(`document.getElementById("cp-size").textContent === "%d"`, b.log.Size()))
	if bad := evaluate[[]string](p, unlabelledControls); len(bad) > 0 {
		t.Errorf("observer controls without an accessible name: %v", bad)
	}
	p.screenshot("observer.png")

	// Close, decrypt, publish: the voter page says voting closed, the
	// observer shows the result, which counts the browser's ballot.
	must(t, b.sim.SetPhase(ctx, election.PhaseClosed))
	p.do("open the voter page after closing", chromedp.Navigate(b.srv.URL+"/"))
	p.waitJS("the closed message", `document.getElementById("error").dataset.code === "closed"`)
	t.Logf("closed: %s", p.text("#error"))
	b.tally(t)
	want := flatten(final)
	for i, v := range flatten(other) {
		want[i] += v
	}
	if got := b.tracker.State().Result(); got == nil || !slices.Equal(got.Counts, want) {
		t.Fatalf("result = %v, want %v (the browser's last ballot plus voter 1's)", got, want)
	}
	p.do("open the observer page", chromedp.Navigate(b.srv.URL+"/observe"))
	p.waitJS("the result table", visible("#result-section")+` && document.querySelectorAll("#result tbody tr").length === `+fmt.Sprint(len(want)))
	p.waitJS("the tallied phase", `document.getElementById("phase").textContent === "tallied"`)
	checkObserverCharts(t, p, b.tracker.State())
	p.screenshot("observer-result.png")
}

// checkObserverCharts checks the observer page's charts of a tallied
// election: one bar chart per contest, drawn, whose bars' lengths follow
// the result table, and the turnout chart, whose table adds up to the
// ballots on the board; every chart has an accessible name.
func checkObserverCharts(t *testing.T, p *page, st *election.State) {
	t.Helper()
	p.waitJS("the turnout chart", visible("#turnout-section")+` && !!document.querySelector("#turnout-chart svg")`)
	charts := evaluate[[][3]int](p, chartsShown)
	m := st.Manifest()
	if len(charts) != len(m.Contests)+1 {
		t.Fatalf("%d charts on the observer page, want one per contest and the turnout", len(charts))
	}
	for i, c := range charts {
		if c[0] <= 0 || c[1] <= 0 || c[2] == 0 {
			t.Errorf("observer chart %d is %d×%d px with %d bars drawn", i, c[0], c[1], c[2])
		}
	}
	if n := evaluate[int](p, `Array.from(document.querySelectorAll("svg.chart")).filter(s => s.getAttribute("role") === "img" && s.getAttribute("aria-label")).length`); n != len(charts) {
		t.Errorf("%d of %d charts have an accessible name", n, len(charts))
	}
	// The bars of the first contest: as long as their count over the most.
	table, err := st.ResultTable()
	must(t, err)
	widths := evaluate[[]float64](p, `Array.from(document.querySelectorAll("#result-charts svg")[0].querySelectorAll(".bar"), b => +b.getAttribute("width"))`)
	var most uint64
	for _, l := range table[:len(m.Contests[0].Options)] {
		most = max(most, l.Count)
	}
	for k, l := range table[:len(m.Contests[0].Options)] {
		if want := math.Floor(float64(l.Count) / float64(most) * 480); k >= len(widths) || widths[k] != want && !(l.Count > 0 && widths[k] == 1) {
			t.Errorf("bar widths %v: option %s counts %d of at most %d, want width %v", widths, l.Option, l.Count, most, want)
		}
	}
	ballots := evaluate[int](p, `Array.from(document.querySelectorAll("#turnout-table tbody td.num"), td => +td.textContent).reduce((a, b) => a + b, 0)`)
	if want := st.Summary().Ballots; ballots != want {
		t.Errorf("the turnout table adds up to %d ballots, want %d", ballots, want)
	}
}

// describeChoices renders choices as the page lists a revealed ballot.
func describeChoices(m *ballot.Manifest, c ballot.Choices) []string {
	var out []string
	for i, contest := range m.Contests {
		var picked []string
		for k, n := range c[i] {
			switch {
			case n == 1:
				picked = append(picked, contest.Options[k].Title)
			case n > 1:
				picked = append(picked, fmt.Sprintf("%s (%d)", contest.Options[k].Title, n))
			}
		}
		if len(picked) == 0 {
			out = append(out, "(nothing marked)")
		} else {
			out = append(out, strings.Join(picked, ", "))
		}
	}
	return out
}

func flatten(c ballot.Choices) []uint64 {
	var out []uint64
	for _, contest := range c {
		out = append(out, contest...)
	}
	return out
}

// checkVoterRecords re-verifies, from the board's records alone, every
// ballot and challenged ballot of voter 0: want records in all.
func checkVoterRecords(t *testing.T, b *testBoard, want int) {
	t.Helper()
	st := b.tracker.State()
	e := st.Election()
	raws, err := b.log.Records(context.Background(), 0, b.log.Size())
	must(t, err)
	n := 0
	for _, raw := range raws {
		rec, err := bulletin.ParseRecord(raw)
		must(t, err)
		if rec.Type != election.TypeBallot && rec.Type != election.TypeChallenge {
			continue
		}
		if !b.sim.Voters[0].Public.Equal(ed25519.PublicKey(rec.Author)) {
			continue
		}
		n++
		v, err := election.Decode(rec.Type, rec.Payload)
		must(t, err)
		switch v := v.(type) {
		case *ballot.EncryptedBallot:
			if err := ballot.VerifyBallot(e, v, rec.Author); err != nil {
				t.Errorf("record %d: %v", rec.Index, err)
			}
		case *ballot.ChallengedBallot:
			if err := ballot.VerifyChallenge(e, v); err != nil {
				t.Errorf("record %d: %v", rec.Index, err)
			}
		}
	}
	if n != want {
		t.Errorf("voter 0 has %d ballot records on the board, want %d", n, want)
	}
}

// BenchmarkBrowserEncrypt measures how long the browser takes to encrypt
// and prove a ballot of one contest with 10 options, pick up to 3, against
// the same Go code run natively. Each iteration encrypts the ballot once
// in the page's WebAssembly module (timed in the page, without the
// DevTools round trip) and once natively; the benchmark reports the
// browser's median, minimum and maximum, the native median and their
// ratio, the first encryption from the page's own button, the ballot's
// size as posted and the module's size, and no ns/op (which would add
// both and the round trip):
//
//	go test ./voterclient/web -run '^$' -bench BrowserEncrypt -benchtime 15x
func BenchmarkBrowserEncrypt(b *testing.B) {
	p := newPage(b)
	council := simulate.SampleContests()[1]
	council.ID, council.Title = "council", "City council (choose up to 3)"
	tb := startBoard(b, []ballot.Contest{council}, 2)

	p.do("open the voter page", chromedp.Navigate(tb.srv.URL+"/"))
	p.waitJS("the credential step", visible("#step-credential"))
	p.do("upload the credential", chromedp.SetUploadFiles(css("#credential-file"), []string{tb.credentialFile(b, 0)}))
	p.waitJS("the ballot step", visible("#step-ballot"))
	p.do("mark 3 options and encrypt", chromedp.Click(css("#c0-o0")), chromedp.Click(css("#c0-o3")), chromedp.Click(css("#c0-o9")), chromedp.Click(css("#encrypt")))
	p.waitJS("the confirmation code", visible("#step-decide"))
	ui := evaluate[float64](p, "window.evoteLastEncryptMs")
	const prepare = `evote.prepare(JSON.stringify({choices: [[1,0,0,1,0,0,0,0,0,1]], prev: ""}))`
	size := evaluate[float64](p, `JSON.parse(`+prepare+`).result.bytes`)
	wasm, err := os.Stat(filepath.Join(buildWasm(b), web.WasmFile))
	must(b, err)

	e := tb.tracker.State().Election()
	choices := ballot.Choices{{1, 0, 0, 1, 0, 0, 0, 0, 0, 1}}
	var browserMs, nativeMs []float64
	for b.Loop() {
		browserMs = append(browserMs, evaluate[float64](p, `(() => {
			const t0 = performance.now();
			const r = JSON.parse(`+prepare+`);
			const t = performance.now() - t0;
			if (!r.ok) throw new Error(r.error.message);
			return t;
		})()`))
		t0 := time.Now()
		if _, _, err := ballot.Encrypt(e, tb.sim.Voters[0].Public, choices, ballot.ConfirmationCode{}); err != nil {
			b.Fatal(err)
		}
		nativeMs = append(nativeMs, float64(time.Since(t0).Nanoseconds())/1e6)
	}
	slices.Sort(browserMs)
	slices.Sort(nativeMs)
	n := len(browserMs)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(browserMs[n/2], "browser-ms")
	b.ReportMetric(browserMs[0], "browser-min-ms")
	b.ReportMetric(browserMs[n-1], "browser-max-ms")
	b.ReportMetric(nativeMs[n/2], "native-ms")
	b.ReportMetric(browserMs[n/2]/nativeMs[n/2], "browser/native")
	b.ReportMetric(ui, "first-from-page-ms")
	b.ReportMetric(size, "ballot-bytes")
	b.ReportMetric(float64(wasm.Size()), "module-bytes")
}

// allowDownloads has the browser save downloads to a new directory, which
// it returns.
func (p *page) allowDownloads() string {
	p.t.Helper()
	dir := p.t.TempDir()
	if _, err := chromedp.CallBrowser(p.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir}); err != nil {
		p.t.Fatal(err)
	}
	return dir
}

// downloaded waits for the browser to have saved the file path, and
// returns it.
func downloaded(t *testing.T, path string) []byte {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return b
		}
		if time.Now().After(deadline) {
			entries, _ := os.ReadDir(filepath.Dir(path))
			t.Fatalf("%s was not downloaded (found %v)", path, entries)
		}
	}
}

// TestBrowserRegistration is a voter-held credential's journey in a real
// browser: while the roll is open the voter makes a credential on the
// page, which keeps it in the browser and offers it for export with the
// registration request; the registrar (the test) checks the request and
// posts the key; the page finds it on the roll; the roll closes, voting
// opens, and on the next visit the voter votes with the kept credential,
// and the receipt check says the ballot counts.
func TestBrowserRegistration(t *testing.T) {
	p := newPage(t)
	b := newTestBoard(t, simulate.Options{Title: "Shelbyville school board election", Voters: 2, Trustees: 3, Threshold: 2, LeaveRollOpen: true})
	ctx := context.Background()
	m := b.sim.Manifest
	mh := b.tracker.State().ManifestHash()
	downloads := p.allowDownloads()
	const voter = "jane.doe-17"
	item := fmt.Sprintf(`#stored-list .stored[data-voter=%q]`, voter)
	js := func(sel, prop string) string { return fmt.Sprintf(`document.querySelector(%q).%s`, sel, prop) }

	p.do("open the voter page", chromedp.Navigate(b.srv.URL+"/"))
	p.waitJS("the registration step", visible("#register-form"))
	if s := p.text("#status"); !strings.Contains(s, "has not opened yet") || !strings.Contains(s, "The voter roll is open: 2 voters so far.") {
		t.Errorf("status before voting: %q", s)
	}
	if evaluate[bool](p, visible("#error")) || evaluate[bool](p, visible("#step-stored")) || !evaluate[bool](p, visible("#step-credential")) {
		t.Errorf("before voting: error box %q; kept credentials shown %v; credential step shown %v",
			p.text("#error"), evaluate[bool](p, visible("#step-stored")), evaluate[bool](p, visible("#step-credential")))
	}
	if bad := evaluate[[]string](p, unlabelledControls); len(bad) > 0 {
		t.Errorf("controls without an accessible name: %v", bad)
	}

	// A name is not a voter identifier.
	p.do("type a name", chromedp.SendKeys(css("#voter-id"), "Jane Doe"), press("#voter-id", kb.Enter))
	p.waitJS("the identifier error", `document.getElementById("error").dataset.code === "bad-voter-id"`)
	t.Logf("bad identifier: %s", p.text("#error"))

	// Make the credential (keyboard only).
	evaluate[bool](p, `(document.getElementById("voter-id").value = "", true)`)
	p.do("make the credential", chromedp.SendKeys(css("#voter-id"), voter), press("#voter-id", kb.Enter))
	p.waitJS("the registration request", visible(item+" textarea"))
	if evaluate[bool](p, visible("#error")) {
		t.Errorf("error box after making the credential: %s", p.text("#error"))
	}
	if !evaluate[bool](p, fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, item+" h3")) {
		t.Error("focus did not move to the new credential")
	}
	request := evaluate[string](p, js(item+" textarea", "value"))
	reg, err := ballot.ParseRegistration([]byte(request))
	must(t, err)
	if reg.Election != mh || reg.Voter != voter {
		t.Fatalf("registration request for %x, voter %q; want %x, %q", reg.Election, reg.Voter, mh, voter)
	}
	kept := evaluate[string](p, fmt.Sprintf(`localStorage.getItem(%q)`, "evote.credential."+hex.EncodeToString(mh[:])+"."+voter))
	cred, err := ballot.ParseCredential([]byte(kept))
	must(t, err)
	if cred.Election != m.ID || cred.Voter != voter || !cred.Public.Equal(reg.Key) {
		t.Fatalf("kept credential %s: election %q, voter %q, key %x; the request's key %x", kept, cred.Election, cred.Voter, cred.Public, reg.Key)
	}
	if st, s := evaluate[string](p, js(item+" .roll-status", "dataset.onRoll")), p.text(item+" .roll-status"); st != "pending" ||
		!strings.HasPrefix(s, "Your credential (voter "+voter+") is not on the roll of") {
		t.Errorf("roll status before registering: %s %q", st, s)
	}
	if shown := evaluate[bool](p, fmt.Sprintf(`getComputedStyle(document.querySelector(%q)).display !== "none"`, item+" button.use")); shown {
		t.Error("the page offers to vote with a credential not on the roll")
	}
	if s := p.text(item + " .registration"); !strings.Contains(s, "Your private key is not in it: it never left this device.") {
		t.Errorf("registration text: %q", s)
	}
	if bad := evaluate[[]string](p, unlabelledControls); len(bad) > 0 {
		t.Errorf("controls without an accessible name: %v", bad)
	}
	p.screenshot("voter-register.png")

	// Before voting opens, loading a credential the registrar made only
	// says where it is on the roll.
	issued, err := b.sim.Voters[0].Marshal()
	must(t, err)
	p.do("paste the registrar's credential", chromedp.SetValue(css("#credential-paste"), string(issued)), chromedp.Click(css("#paste-load")))
	p.waitJS("the roll check", visible("#credential-info"))
	if s, want := p.text("#credential-info"), "Your credential (voter "+simulate.VoterID(0)+") is on the roll as entry 0 of 2 voters so far. The roll is still open"; !strings.Contains(s, want) || evaluate[bool](p, visible("#step-ballot")) {
		t.Errorf("credential loaded before voting: %q (ballot shown: %v), want it to contain %q", s, evaluate[bool](p, visible("#step-ballot")), want)
	}

	// The export is the credential kept; the request downloads as is.
	p.do("export the credential", chromedp.Click(css(item+" a.export")))
	if got := downloaded(t, filepath.Join(downloads, "evote-credential-"+voter+".json")); string(got) != kept {
		t.Fatalf("exported credential %q, kept %q", got, kept)
	}
	p.do("download the request", chromedp.Click(css(item+" a.download-registration")))
	if got := downloaded(t, filepath.Join(downloads, "registration.json")); string(got) != request+"\n" {
		t.Fatalf("downloaded request %q, shown %q", got, request)
	}
	// A second credential for the same voter is refused: it would replace
	// the one kept.
	p.do("make it again", chromedp.SendKeys(css("#voter-id"), voter), press("#voter-id", kb.Enter))
	p.waitJS("the refusal", `document.getElementById("error").dataset.code === "exists"`)
	if n := evaluate[float64](p, `document.querySelectorAll("#stored-list .stored").length`); n != 1 {
		t.Fatalf("%v credentials kept, want 1", n)
	}

	// The registrar checks the request and posts the key as entry 2.
	must(t, b.sim.PostRoll(ctx, 2, []ballot.RollEntry{reg.Entry()}))
	p.do("check the roll", chromedp.Click(css(item+" button.check")))
	p.waitJS("the key on the roll", fmt.Sprintf(`%s === "yes"`, js(item+" .roll-status", "dataset.onRoll")))
	if s, want := p.text(item+" .roll-status"), "Your credential (voter "+voter+") is on the roll as entry 2 of 3 voters so far. The roll is still open"; !strings.HasPrefix(s, want) {
		t.Errorf("roll status after registering: %q, want it to start %q", s, want)
	}
	if evaluate[bool](p, visible(item+" .registration")) {
		t.Error("the registration request is still offered for a key on the roll")
	}

	// The roll closes, the ceremony runs and voting opens; the voter comes
	// back to vote.
	must(t, b.sim.CloseRoll(ctx))
	b.openVoting(t)
	p.do("open the voter page again", chromedp.Navigate(b.srv.URL+"/"))
	p.waitJS("the kept credential on the roll", visible(item+" button.use"))
	if s, want := p.text(item+" .roll-status"), "Your credential (voter "+voter+") is on the roll as entry 2 of 3 voters. The roll is closed. Voting is open"; !strings.HasPrefix(s, want) {
		t.Errorf("roll status once voting is open: %q, want it to start %q", s, want)
	}
	if evaluate[bool](p, visible("#step-register")) || !strings.HasPrefix(p.text("#roll-line"), "Registration is over") {
		t.Errorf("registration shown once voting is open: %v, roll line %q", evaluate[bool](p, visible("#step-register")), p.text("#roll-line"))
	}
	p.do("use the kept credential", chromedp.Click(css(item+" button.use")))
	p.waitJS("the ballot step", visible("#step-ballot"))
	if s := p.text("#credential-info"); !strings.Contains(s, "entry 2 of 3 voters") {
		t.Errorf("credential info %q", s)
	}
	p.do("mark and encrypt",
		chromedp.Click(css("#c0-o0")),
		press("#c3-o0", kb.ArrowUp+kb.ArrowUp+kb.ArrowUp),
		press("#c3-o2", kb.ArrowUp+kb.ArrowUp),
		chromedp.Click(css("#encrypt")))
	p.waitJS("the confirmation code", visible("#step-decide"))
	p.do("cast", chromedp.Click(css("#cast")))
	p.waitJS("the cast confirmation", visible("#step-cast"))
	idx, ok := b.tracker.State().CastBallot(cred.Public)
	if !ok || !strings.Contains(p.text("#cast-summary"), fmt.Sprintf("record %d", idx)) {
		t.Fatalf("the board counts record %d (%v) of the kept credential; the page says %q", idx, ok, p.text("#cast-summary"))
	}
	p.do("download the receipt", chromedp.Click(css("#receipt-download")))
	receipt := filepath.Join(downloads, fmt.Sprintf("evote-receipt-%d.txt", idx))
	downloaded(t, receipt)
	p.do("check the receipt", chromedp.SetUploadFiles(css("#receipt-file"), []string{receipt}), chromedp.Click(css("#check-receipt")))
	p.waitJS("the receipt verdict", `!!document.getElementById("receipt-result").dataset.ok`)
	if status, s := evaluate[string](p, `document.getElementById("receipt-result").dataset.status`), p.text("#receipt-result"); status != "counted" || !strings.HasPrefix(s, "\u2714 Your ballot counts.") {
		t.Fatalf("receipt check: %s %q", status, s)
	}

	// Forgetting the credential asks first.
	p.do("forget", chromedp.Click(css(item+" button.forget")))
	p.waitJS("the question", visible(item+" .confirm"))
	p.do("keep it", chromedp.Click(css(item+" button.forget-no")))
	if evaluate[bool](p, visible(item+" .confirm")) || !evaluate[bool](p, visible(item)) {
		t.Fatal("keeping the credential did not keep it")
	}
	p.do("forget it", chromedp.Click(css(item+" button.forget")), chromedp.Click(css(item+" button.forget-yes")))
	p.waitJS("the credential forgotten", `!document.querySelector("#stored-list .stored") && document.getElementById("step-stored").hidden`)
	if n := evaluate[float64](p, `localStorage.length`); n != 1 { // the device's confirmation code remains
		t.Errorf("localStorage holds %v items after forgetting, want 1", n)
	}
}

// TestBrowserPasteCredential loads a credential from its text, as a
// phone's QR code scanner gives it from the registrar's printed page; text
// that is not a credential is explained.
func TestBrowserPasteCredential(t *testing.T) {
	p := newPage(t)
	b := startBoard(t, nil, 2)
	data, err := b.sim.Voters[1].Marshal()
	must(t, err)

	p.do("open the voter page", chromedp.Navigate(b.srv.URL+"/"))
	p.waitJS("the credential step", visible("#step-credential"))
	if evaluate[bool](p, visible("#step-register")) || !strings.HasPrefix(p.text("#roll-line"), "Registration is over: the registrar closed the voter roll") {
		t.Errorf("registration once voting is open: shown %v, roll line %q", evaluate[bool](p, visible("#step-register")), p.text("#roll-line"))
	}
	paste := func(what, text, want string) {
		t.Helper()
		p.do("paste "+what, chromedp.SetValue(css("#credential-paste"), text), chromedp.Click(css("#paste-load")))
		p.waitJS("the error about "+what, fmt.Sprintf(`document.getElementById("error").dataset.code === "bad-credential" && document.getElementById("error").textContent.includes(%q)`, want))
		t.Logf("%s: %s", what, p.text("#error"))
	}
	paste("half a credential", string(data[:len(data)/2]), "This text is not a voter credential")
	reg := ballot.NewRegistration(b.sim.Voters[1], b.tracker.State().ManifestHash()).Marshal()
	paste("a registration request", string(reg), "registration request, not a credential")

	p.do("paste the credential", chromedp.SetValue(css("#credential-paste"), "\n"+string(data)+"\n"), press("#paste-load", kb.Enter))
	p.waitJS("the ballot step", visible("#step-ballot"))
	if s := p.text("#credential-info"); !strings.Contains(s, "(voter "+simulate.VoterID(1)+") is on the roll as entry 1 of 2 voters. The roll is closed.") {
		t.Errorf("credential info %q", s)
	}
	if evaluate[bool](p, visible("#error")) || evaluate[string](p, `document.getElementById("credential-paste").value`) != "" {
		t.Errorf("after loading: error box shown %v, the credential text left on the page %v", evaluate[bool](p, visible("#error")), evaluate[string](p, `document.getElementById("credential-paste").value`) != "")
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
