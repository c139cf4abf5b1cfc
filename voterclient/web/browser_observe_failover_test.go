package web_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/server"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/internal/networktest"
	"github.com/evote/evote/voterclient/web"
)

// fronts are two fronts, A and B, of one board's log, as two operators'
// boards are to an observer page opened on A: B admits the pages of A's
// origin. sim runs an election on the log.
type fronts struct {
	log      *bulletin.Log
	srvA     *server.Server
	tsA      *httptest.Server
	aURL     string
	bURL     string
	sim      *simulate.Election
	stopOnce func()
}

// newFronts starts B, then A, whose pages list the operators
// ops(B's URL, B's board key) and wait at most attempt for an operator's
// answer (web.Options), A's handler wrapped by wrap (if not nil), and
// sets up an election on the log.
func newFronts(t *testing.T, ops func(bURL, bKey string) []web.Operator, attempt time.Duration, wrap func(http.Handler) http.Handler) *fronts {
	t.Helper()
	wasm := buildWasm(t)
	tracker := new(election.Tracker)
	log, vkey := openLogKey(t, tracker)
	_, bkey, err := note.GenerateKey(rand.Reader, "evote-test-op2")
	must(t, err)
	tsA := httptest.NewUnstartedServer(nil)
	f := &fronts{log: log, tsA: tsA, aURL: "http://" + tsA.Listener.Addr().String()}
	srvB := server.New(server.Config{Log: log, FeedCheckpointInterval: 100 * time.Millisecond, APIOrigins: []string{f.aURL}, FeedOrigins: []string{f.aURL}})
	must(t, web.Register(srvB.Mux(), web.Options{WasmDir: wasm, State: tracker.State, BoardKey: bkey}))
	tsB := httptest.NewServer(srvB.Handler())
	t.Cleanup(func() { srvB.Close(); tsB.Close() })
	f.bURL = tsB.URL
	f.srvA = server.New(server.Config{Log: log, FeedCheckpointInterval: 100 * time.Millisecond})
	must(t, web.Register(f.srvA.Mux(), web.Options{WasmDir: wasm, State: tracker.State, BoardKey: vkey, Attempt: attempt, Operators: ops(tsB.URL, bkey)}))
	tsA.Config.Handler = f.srvA.Handler()
	if wrap != nil {
		tsA.Config.Handler = wrap(tsA.Config.Handler)
	}
	tsA.Start()
	f.stopOnce = sync.OnceFunc(func() { f.srvA.Close(); tsA.Close() })
	t.Cleanup(f.stopOnce)
	f.sim, err = simulate.New(context.Background(), log.Append, tracker.Current, simulate.Options{Voters: 2, Trustees: 2, Threshold: 2})
	must(t, err)
	return f
}

// stopA stops A altogether.
func (f *fronts) stopA() { f.stopOnce() }

// waitRecord waits until the observer page p shows the log's last record.
func (f *fronts) waitRecord(p *page, what string) {
	last := f.log.Size() - 1
	p.waitJS(what, `Array.from(document.querySelectorAll("#records tbody tr td:first-child")).some((td) => td.textContent === "`+strconv.FormatInt(last, 10)+`")`)
}

// TestBrowserObserveSummaryFailover: the observer page of operator A,
// whose feed still works but whose GET /election/summary answers 503,
// moves to the next operator of A's GET /election/operators, B (another
// front of the same log, which admits A's origin), saying why in the
// page's words; it then follows B's feed and summary, so that once A has
// stopped altogether the page still shows the records that follow, and
// the counts of B's summary.
func TestBrowserObserveSummaryFailover(t *testing.T) {
	p := newPage(t)
	var failing atomic.Bool
	f := newFronts(t, func(bURL, bKey string) []web.Operator {
		return []web.Operator{{Name: "evote-test-op2", URL: bURL, BoardKey: bKey}}
	}, 0, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if failing.Load() && r.URL.Path == "/election/summary" {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	ctx := context.Background()
	p.do("open the observer page", chromedp.Navigate(f.aURL+"/observe"))
	p.waitJS("the observer page following the feed", `document.getElementById("conn").dataset.live === "yes"`)
	p.waitJS("the voters on the roll", `document.getElementById("voters").textContent === "2"`)

	// A's summary fails: the next record makes the page read it, and move.
	failing.Store(true)
	must(t, f.sim.Ceremony(ctx))
	p.waitJS("the page moving to B", `document.body.dataset.readFrom === "evote-test-op2"`)
	if moved := p.text("#moved"); !strings.Contains(moved, "This page could not follow the board from the board that served this page: it failed (HTTP 503).") ||
		!strings.Contains(moved, "It now follows the board operator “evote-test-op2” ("+f.bURL+") instead") {
		t.Fatalf("the observer page says %q", moved)
	}

	// A stops: what follows comes from B alone.
	f.stopA()
	must(t, f.sim.SetPhase(ctx, election.PhaseOpen))
	f.waitRecord(p, "the opening on the observer page")
	p.waitJS("B's summary", `document.getElementById("phase").dataset.i18n === "phase.open"`)
}

// TestBrowserObserveUnresponsiveOperator: the observer page of operator A
// loses A's feed (A stops), and the next operator of A's list answers no
// connection at all, as a machine that is down or behind a cut link (a
// port that drops every connection request). The page gives it up once
// it has waited the operators' attempt time (2 s here) for its feed to
// open, rather than the minutes the browser would wait, saying so, and
// follows the operator after it, B, whose records it then shows.
func TestBrowserObserveUnresponsiveOperator(t *testing.T) {
	p := newPage(t)
	_, deadKey, err := note.GenerateKey(rand.Reader, "evote-test-dead")
	must(t, err)
	dead := "http://" + networktest.Unresponsive(t)
	f := newFronts(t, func(bURL, bKey string) []web.Operator {
		return []web.Operator{{Name: "evote-test-dead", URL: dead, BoardKey: deadKey}, {Name: "evote-test-op2", URL: bURL, BoardKey: bKey}}
	}, 2*time.Second, nil)
	p.do("open the observer page", chromedp.Navigate(f.aURL+"/observe"))
	p.waitJS("the observer page following the feed", `document.getElementById("conn").dataset.live === "yes"`)

	// A stops: the page passes over the dead operator to B.
	f.stopA()
	p.waitJS("the page moving to B", `document.body.dataset.readFrom === "evote-test-op2"`)
	if moved := p.text("#moved"); !strings.Contains(moved, "This page could not follow the board from the board operator “evote-test-dead”: no answer arrived.") ||
		!strings.Contains(moved, "It now follows the board operator “evote-test-op2” ("+f.bURL+") instead") {
		t.Fatalf("the observer page says %q", moved)
	}
	p.waitJS("B's feed", `document.getElementById("conn").dataset.live === "yes"`)
	must(t, f.sim.Ceremony(context.Background()))
	f.waitRecord(p, "the ceremony on the observer page")
}
