package web_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/bulletin/server"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/voterclient/web"
)

// TestBrowserObserveSummaryFailover: the observer page of operator A,
// whose feed still works but whose GET /election/summary answers 503,
// moves to the next operator of A's GET /election/operators, B (another
// front of the same log, which admits A's origin), saying why in the
// page's words; it then follows B's feed and summary, so that once A has
// stopped altogether the page still shows the records that follow, and
// the counts of B's summary.
func TestBrowserObserveSummaryFailover(t *testing.T) {
	p := newPage(t)
	wasm := buildWasm(t)
	tracker := new(election.Tracker)
	log, vkey := openLogKey(t, tracker)
	_, bkey, err := note.GenerateKey(rand.Reader, "evote-test-op2")
	must(t, err)

	tsA := httptest.NewUnstartedServer(nil)
	aURL := "http://" + tsA.Listener.Addr().String()
	srvB := server.New(server.Config{Log: log, FeedCheckpointInterval: 100 * time.Millisecond, APIOrigins: []string{aURL}, FeedOrigins: []string{aURL}})
	must(t, web.Register(srvB.Mux(), web.Options{WasmDir: wasm, State: tracker.State, BoardKey: bkey}))
	tsB := httptest.NewServer(srvB.Handler())
	t.Cleanup(func() { srvB.Close(); tsB.Close() })
	srvA := server.New(server.Config{Log: log, FeedCheckpointInterval: 100 * time.Millisecond})
	must(t, web.Register(srvA.Mux(), web.Options{WasmDir: wasm, State: tracker.State, BoardKey: vkey,
		Operators: []web.Operator{{Name: "evote-test-op2", URL: tsB.URL, BoardKey: bkey}}}))
	var failing atomic.Bool
	tsA.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() && r.URL.Path == "/election/summary" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		srvA.Handler().ServeHTTP(w, r)
	})
	tsA.Start()
	t.Cleanup(func() { srvA.Close(); tsA.Close() })

	ctx := context.Background()
	sim, err := simulate.New(ctx, log.Append, tracker.Current, simulate.Options{Voters: 2, Trustees: 2, Threshold: 2})
	must(t, err)
	p.do("open the observer page", chromedp.Navigate(aURL+"/observe"))
	p.waitJS("the observer page following the feed", `document.getElementById("conn").dataset.live === "yes"`)
	p.waitJS("the voters on the roll", `document.getElementById("voters").textContent === "2"`)

	// A's summary fails: the next record makes the page read it, and move.
	failing.Store(true)
	must(t, sim.Ceremony(ctx))
	p.waitJS("the page moving to B", `document.body.dataset.readFrom === "evote-test-op2"`)
	if moved := p.text("#moved"); !strings.Contains(moved, "This page could not follow the board from the board that served this page: it failed (HTTP 503).") ||
		!strings.Contains(moved, "It now follows the board operator “evote-test-op2” ("+tsB.URL+") instead") {
		t.Fatalf("the observer page says %q", moved)
	}

	// A stops: what follows comes from B alone.
	srvA.Close()
	tsA.Close()
	must(t, sim.SetPhase(ctx, election.PhaseOpen))
	last := log.Size() - 1
	p.waitJS("the opening on the observer page", `Array.from(document.querySelectorAll("#records tbody tr td:first-child")).some((td) => td.textContent === "`+strconv.FormatInt(last, 10)+`")`)
	p.waitJS("B's summary", `document.getElementById("phase").dataset.i18n === "phase.open"`)
}
