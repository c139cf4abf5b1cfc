package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/replica"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/follow"
	"github.com/evote/evote/internal/networktest"
	"github.com/evote/evote/internal/testlog"
)

var (
	evoteOnce sync.Once
	evoteBin  string
	evoteErr  error
)

// buildEvote builds the evote command once per test binary, so that the
// failover test runs real operators (evote board serve --network).
func buildEvote(t testing.TB) string {
	t.Helper()
	evoteOnce.Do(func() {
		dir, err := os.MkdirTemp("", "evote-bin-")
		if err != nil {
			evoteErr = err
			return
		}
		evoteBin = filepath.Join(dir, "evote")
		if out, err := exec.Command("go", "build", "-o", evoteBin, "github.com/evote/evote/cmd/evote").CombinedOutput(); err != nil {
			evoteErr = fmt.Errorf("building evote: %v\n%s", err, out)
		}
	})
	if evoteErr != nil {
		t.Fatal(evoteErr)
	}
	return evoteBin
}

// startNetwork runs a four-operator network on loopback, each operator
// (evote board serve --network) with the others as peers and the voter
// pages, flags(op, urls, ops) added to operator op's (from 0), urls being
// the operators' URLs and ops their descriptions. It returns their URLs,
// board keys and descriptions, and a function that stops operator op.
func startNetwork(t *testing.T, flags func(op int, urls []string, ops []replica.Operator) []string) ([]string, []string, []replica.Operator, func(op int)) {
	t.Helper()
	evote := buildEvote(t)
	wasm := buildWasm(t)
	dir := filepath.Join(t.TempDir(), "net")
	out, err := exec.Command(evote, "network", "init", "--operators", "4", "--dir", dir).Output()
	if err != nil {
		t.Fatalf("evote network init: %v", err)
	}
	vkeys := strings.Fields(string(out))
	ops, err := replica.ReadOperators(filepath.Join(dir, replica.OperatorsFile))
	must(t, err)
	if len(vkeys) != 4 || len(ops) != 4 {
		t.Fatalf("evote network init printed %q", out)
	}
	// Ports below the kernel's ephemeral range, which no outgoing
	// connection takes before the operators listen at them.
	addrs, err := replica.LoopbackAddrs(len(ops))
	must(t, err)
	urls := make([]string, len(ops))
	for i, a := range addrs {
		urls[i] = "http://" + a
	}
	stops := make([]func(), len(ops))
	for i := range ops {
		args := []string{"board", "serve", "--network", filepath.Join(dir, fmt.Sprintf("op%d", i+1)),
			"--addr", strings.TrimPrefix(urls[i], "http://"), "--web", wasm}
		for j, op := range ops {
			if j != i {
				args = append(args, "--peer", op.Name+"="+urls[j])
			}
		}
		cmd := exec.Command(evote, append(args, flags(i, urls, ops)...)...)
		stderr := new(testlog.Buffer)
		cmd.Stderr = stderr
		must(t, cmd.Start())
		stops[i] = sync.OnceFunc(func() {
			cmd.Process.Signal(os.Interrupt)
			if err := cmd.Wait(); err != nil || t.Failed() {
				t.Logf("operator %d: %v\n%s", i+1, err, stderr)
			}
		})
		t.Cleanup(stops[i])
	}
	for i, u := range urls {
		deadline := time.Now().Add(time.Minute)
		for {
			resp, err := http.Get(u + "/checkpoint")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("operator %d at %s did not start: %v", i+1, u, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return urls, vkeys, ops, func(op int) { stops[op]() }
}

// TestBrowserFailover: on a board kept by four real operators, the one
// that serves the voter page does not take the voter's ballot: it drops
// every ballot posted to it (the test-only --test-drop-ballots), or it is
// stopped after serving the page, before the ballot is cast or before the
// page reads the election (through a proxy in front of it, which stops it
// at the page's first read of the records and then answers 502, as a
// front end does for a dead back end); or its front holds the ballot
// without answering, as when the link died during the post, and the page
// posts the ballot to the next operator as well once it has waited the
// hedge (--web-hedge). The page falls over to the next
// operator, which it checks with that operator's key (the one the
// election's definition names) and the operators' quorum: for reading the
// election, and for posting the same ballot there across origins (CORS).
// It shows the ballot cast only with that operator's verified receipt,
// saying plainly that it moved and why. The receipt is checked on the
// operator that signed it or, when that one is stopped too before the
// check, on another operator, under that one's key.
func TestBrowserFailover(t *testing.T) {
	for _, tc := range []struct {
		name        string
		flags       []string // of the serving operator
		stop        bool     // stop it once the ballot is encrypted
		stopRead    bool     // stop it when the page first reads the records
		stopReceipt bool     // stop the operator that signed the receipt before checking it
		why         string   // what the page says of the post
		observe     bool     // an observer page of the serving operator is open
		silent      bool     // its front holds every post unanswered
	}{
		{"serving operator drops ballots", []string{"--test-drop-ballots"}, false, false, true, "did not acknowledge your ballot: no answer within 3 s.", false, false},
		// Its front holds the ballot without answering, as when the link
		// died during the post: the page posts it to the next as well
		// after the hedge, long before the attempt's minute.
		{"serving operator's front holds the ballot, hedged", []string{"--web-attempt", "1m", "--web-hedge", "1s"}, false, false, false, "has not acknowledged your ballot within 1 s. This page also sends it to the operator", false, true},
		{"serving operator stopped", nil, true, false, false, "The board that served this page cannot be reached, so this page sends your ballot to the operator", true, false},
		{"serving operator stopped before the page reads the election", nil, false, true, false, "The board that served this page cannot be reached, so this page sends your ballot to the operator", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPage(t)
			front := httptest.NewUnstartedServer(nil)
			t.Cleanup(front.Close)
			urls, vkeys, ops, stop := startNetwork(t, func(op int, urls []string, _ []replica.Operator) []string {
				flags := []string{"--web-attempt", "3s"}
				if op == 0 {
					flags = append(flags, tc.flags...)
				}
				if (tc.stopRead || tc.silent) && op > 0 {
					// The pages of the other operators and of the front
					// end may post here.
					var origins []string
					for j, u := range urls {
						if j != op {
							origins = append(origins, u)
						}
					}
					flags = append(flags, "--api-origin", strings.Join(append(origins, "http://"+front.Listener.Addr().String()), ","))
				}
				return flags
			})
			// Operator 1 serves the opening, with the operators' quorum,
			// before the page reads it.
			clients := networktest.Clients(t, urls, vkeys)
			sim := networktest.OpenElection(t, clients, ops, networktest.Options{Voters: 2, Serving: []int{0}})
			base := urls[0]
			if tc.stopRead {
				u, err := url.Parse(urls[0])
				must(t, err)
				proxy := httputil.NewSingleHostReverseProxy(u)
				proxy.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
				stopOnRead := sync.OnceFunc(func() { stop(0) })
				front.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/records" {
						stopOnRead()
					}
					proxy.ServeHTTP(w, r)
				})
				front.Start()
				base = front.URL
			}
			if tc.silent {
				front.Config.Handler = networktest.SilentPosts(t, urls[0])
				front.Start()
				base = front.URL
			}
			var beforeCast func()
			if tc.stop {
				beforeCast = func() { stop(0) }
			}
			var obs *page
			if tc.observe {
				obs = openObserver(t, p, base)
			}
			code := castThrough(t, p, base, credentialFile(t, sim, 0), beforeCast)
			if tc.stopRead {
				// The page read the election from operator 2.
				if from, moved := evaluate[string](p, `document.body.dataset.readFrom || ""`), evaluate[string](p, `document.body.dataset.readMoved || ""`); from != ops[1].Name ||
					!strings.Contains(moved, "could not read the election from the board that served this page: it failed (HTTP 502)") ||
					!strings.Contains(moved, fmt.Sprintf("It reads it from the operator “%s” (%s)", ops[1].Name, urls[1])) {
					t.Fatalf("the page read the election from %q, saying %q; want %s, saying why", from, moved, ops[1].Name)
				}
			}
			p.waitJS("the cast ballot", visible("#step-cast"))
			said := messages(p)
			t.Logf("the page said: %q", said)
			moved := p.text("#cast-moved")
			if !evaluate[bool](p, visible("#cast-moved")) || !strings.Contains(moved, tc.why) ||
				!strings.Contains(moved, fmt.Sprintf("the operator “%s” (%s)", ops[1].Name, urls[1])) {
				t.Fatalf("the cast page says %q, want %q and that %s took it", moved, tc.why, ops[1].Name)
			}
			if !slicesContain(said, tc.why) {
				t.Errorf("the status line did not say %q: %q", tc.why, said)
			}
			text := evaluate[string](p, `document.getElementById("receipt-text").value`)
			r, err := bulletin.ParseReceipt([]byte(text))
			must(t, err)
			if _, err := r.Verify(vkeys[1]); err != nil {
				t.Fatalf("the receipt shown does not verify with %s's key: %v\n%s", ops[1].Name, err, text)
			}
			rec, err := clients[1].Record(t.Context(), r.Index)
			must(t, err)
			if !r.Matches(rec) || rec.Type != election.TypeBallot {
				t.Fatalf("the receipt is for record %d of type %s, not the ballot", r.Index, rec.Type)
			}
			if s := p.text("#cast-summary"); !strings.Contains(s, fmt.Sprintf("is record %d", r.Index)) || !strings.Contains(s, code) {
				t.Fatalf("cast summary %q, want record %d and code %s", s, r.Index, code)
			}
			st, err := follow.New(clients[2]).SyncTo(t.Context(), r.Index+1)
			must(t, err)
			if idx, ok := st.CastBallot(sim.Voters[0].Public); !ok || int64(idx) != r.Index {
				t.Fatalf("operator 3 counts record %d (%v), want the receipted %d", idx, ok, r.Index)
			}
			p.screenshot("voter-cast-failover.png")
			if obs != nil {
				checkObserverMoved(t, obs, r.Index, ops[1].Name, urls[1])
			}

			// The receipt is checked on the operator that signed it, or,
			// once that one is stopped, on the next operator the page
			// took (the serving board), under that one's key.
			if tc.stopReceipt {
				_, err := follow.New(clients[0]).SyncTo(t.Context(), r.Index+1) // the serving board's checkpoint covers the ballot
				must(t, err)
				stop(1)
			}
			receiptPath := filepath.Join(t.TempDir(), "receipt.txt")
			must(t, os.WriteFile(receiptPath, []byte(text), 0o644))
			p.do("check the receipt", chromedp.SetUploadFiles(css("#receipt-file"), []string{receiptPath}), chromedp.Click(css("#check-receipt")))
			p.waitJS("the receipt verdict", `!!document.getElementById("receipt-result").dataset.ok`)
			if ok, status := evaluate[string](p, `document.getElementById("receipt-result").dataset.ok`),
				evaluate[string](p, `document.getElementById("receipt-result").dataset.status`); ok != "yes" || status != "counted" {
				t.Fatalf("receipt check: ok=%q status=%q: %s", ok, status, p.text("#receipt-result"))
			}
			from := evaluate[string](p, `document.getElementById("receipt-result").dataset.readFrom || ""`)
			verdict := p.text("#receipt-result")
			switch {
			case tc.stopReceipt && (from != ops[0].Name || !strings.Contains(verdict, fmt.Sprintf("could not read the election from the board operator “%s”: no answer arrived", ops[1].Name))):
				t.Fatalf("with %s stopped, the receipt was checked on %q, saying %q; want on %s, saying why", ops[1].Name, from, verdict, ops[0].Name)
			case !tc.stopReceipt && from != "":
				t.Fatalf("the receipt was checked on %q, not on %s that signed it", from, ops[1].Name)
			}
		})
	}
}

// TestBrowserUnresponsiveOperator: the operator that served the voter page
// stops before the ballot is cast, and the next one on its list answers
// no connection at all, as a machine that is down or behind a cut link
// (its address, as the serving operator lists it, is a port that drops
// every connection request). The page gives that one up once it has
// waited the operators' attempt time (3 s here) for an answer, as for a
// post, rather than the minutes the browser would wait, and casts the
// ballot through the operator after it, with that operator's verified
// receipt.
func TestBrowserUnresponsiveOperator(t *testing.T) {
	dead := "http://" + networktest.Unresponsive(t)
	p := newPage(t)
	urls, vkeys, ops, stop := startNetwork(t, func(op int, _ []string, ops []replica.Operator) []string {
		flags := []string{"--web-attempt", "3s"}
		if op == 0 {
			// Its list of operators gives the second at the dead address.
			flags = append(flags, "--peer", ops[1].Name+"="+dead)
		}
		return flags
	})
	clients := networktest.Clients(t, urls, vkeys)
	sim := networktest.OpenElection(t, clients, ops, networktest.Options{Voters: 2, Serving: []int{0}})
	castThrough(t, p, urls[0], credentialFile(t, sim, 0), func() { stop(0) })
	p.waitJS("the cast ballot", visible("#step-cast"))
	t.Logf("the page said: %q", messages(p))
	if moved := p.text("#cast-moved"); !strings.Contains(moved, fmt.Sprintf("the operator “%s” (%s)", ops[2].Name, urls[2])) {
		t.Fatalf("the cast page says %q, want that %s took the ballot", moved, ops[2].Name)
	}
	r, err := bulletin.ParseReceipt([]byte(evaluate[string](p, `document.getElementById("receipt-text").value`)))
	must(t, err)
	if _, err := r.Verify(vkeys[2]); err != nil {
		t.Fatalf("the receipt shown does not verify with %s's key: %v", ops[2].Name, err)
	}
	rec, err := clients[2].Record(t.Context(), r.Index)
	must(t, err)
	if !r.Matches(rec) || rec.Type != election.TypeBallot {
		t.Fatalf("the receipt is for record %d of type %s, not the ballot", r.Index, rec.Type)
	}
}

// openObserver opens, in another tab of p's browser, the observer page of
// the board at base, and waits until it follows the board's feed. Its
// rule of falling over to another operator must be bulletin.FallsOver's.
func openObserver(t *testing.T, p *page, base string) *page {
	t.Helper()
	obs := p.tab()
	obs.do("open the observer page", chromedp.Navigate(base+"/observe"))
	obs.waitJS("the observer page following the feed", `document.getElementById("conn").dataset.live === "yes"`)
	for s, f := range evaluate[[]bool](obs, `Array.from({length: 600}, (_, s) => fallsOver(s))`) {
		if f != bulletin.FallsOver(s) {
			t.Errorf("the observer page falls over on HTTP status %d: %v, bulletin.FallsOver: %v", s, f, !f)
		}
	}
	return obs
}

// checkObserverMoved checks that the observer page obs, whose operator
// stopped, follows the operator name at url instead, saying so in the
// page's language, and shows record index, which that operator took after
// the first one stopped, and that operator's checkpoint.
func checkObserverMoved(t *testing.T, obs *page, index int64, name, url string) {
	t.Helper()
	obs.waitJS(fmt.Sprintf("record %d on the observer page", index), fmt.Sprintf(
		`Array.from(document.querySelectorAll("#records tbody tr td:first-child")).some((td) => td.textContent === "%d")`, index))
	obs.waitJS("the other operator's checkpoint on the observer page", fmt.Sprintf(`document.getElementById("cp-origin").textContent === %q`, name))
	from, moved := evaluate[string](obs, `document.body.dataset.readFrom || ""`), obs.text("#moved")
	if from != name || !evaluate[bool](obs, visible("#moved")) ||
		!strings.Contains(moved, "This page could not follow the board from the board that served this page: its live feed closed.") ||
		!strings.Contains(moved, fmt.Sprintf("It now follows the board operator “%s” (%s) instead", name, url)) {
		t.Fatalf("the observer page follows %q, saying %q; want %s at %s, saying why", from, moved, name, url)
	}
	obs.screenshot("observe-failover.png")
	obs.setLanguage("fr")
	if moved := obs.text("#moved"); !strings.Contains(moved, "son flux en direct s’est fermé") ||
		!strings.Contains(moved, fmt.Sprintf("Elle suit désormais l’opérateur de tableau « %s » (%s)", name, url)) {
		t.Fatalf("in French, the observer page says %q", moved)
	}
}
