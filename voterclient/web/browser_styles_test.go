package web_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/election/simulate"
)

// TestBrowserStyledBallot votes with a ballot style (docs/spec/ballot.md
// §1.6): the roll gives voter 1 style "county", so the page shows only
// the county's contests, says so, and casts a ballot of that style, which
// the board accepts and counts. The observer page then shows the records'
// times in the viewer's time zone (New York here) with UTC beside.
func TestBrowserStyledBallot(t *testing.T) {
	p := newPage(t)
	b := newTestBoard(t, simulate.Options{Title: "Springfield and county election", Voters: 3, Trustees: 3, Threshold: 2, MinCounted: 1,
		Styles: []ballot.Style{{ID: "city", Contests: []string{"mayor", "council"}}, {ID: "county", Contests: []string{"parks", "budget"}}},
		Assign: func(v int) (string, uint64) { return [...]string{"city", "county", "city"}[v], 1 },
	})
	b.openVoting(t)
	m := b.sim.Manifest
	if _, err := chromedp.Call(p.ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/New_York"}); err != nil {
		t.Fatal(err)
	}

	p.do("open the voter page", chromedp.Navigate(b.srv.URL+"/"))
	p.waitJS("the credential step", visible("#step-credential"))
	p.setLanguage("en")
	p.do("upload the county voter's credential", chromedp.SetUploadFiles(css("#credential-file"), []string{b.credentialFile(t, 1)}))
	p.waitJS("the ballot step", visible("#step-ballot"))
	shown := evaluate[[]string](p, `Array.from(document.querySelectorAll("#contests fieldset"), (f) => f.dataset.contest)`)
	if want := []string{"parks", "budget"}; !slices.Equal(shown, want) {
		t.Fatalf("contests shown to the county voter = %q, want %q", shown, want)
	}
	if s := p.text("#credential-info"); !strings.Contains(s, "county") || !strings.Contains(s, "2 of the election’s 4") {
		t.Errorf("credential info %q: want it to name style county and its 2 of 4 contests", s)
	}
	// parks: lake; budget: schools 3, roads 2. The contests keep their
	// indices in the definition (2 and 3).
	p.do("mark",
		press("#c2-o1", " "),
		press("#c3-o0", kb.ArrowUp+kb.ArrowUp+kb.ArrowUp),
		press("#c3-o1", kb.ArrowUp+kb.ArrowUp))
	p.screenshot("voter-styled.png")
	p.do("encrypt", press("#encrypt", kb.Enter))
	p.waitJS("the confirmation code", visible("#step-decide"))
	marked := evaluate[[]string](p, `Array.from(document.querySelectorAll("#marked-summary dt"), (d) => d.textContent)`)
	if want := []string{m.Contests[2].Title, m.Contests[3].Title}; !slices.Equal(marked, want) {
		t.Errorf("You marked lists %q, want the county's contests %q", marked, want)
	}
	p.do("cast", chromedp.Click(css("#cast")))
	p.waitJS("the cast confirmation", visible("#step-cast"))
	st := b.tracker.State()
	idx, ok := st.CastBallot(b.sim.Voters[1].Public)
	if !ok || !strings.Contains(p.text("#cast-summary"), fmt.Sprintf("record %d", idx)) {
		t.Fatalf("the board counts record %d (%v); the page says %q", idx, ok, p.text("#cast-summary"))
	}
	recs, err := b.log.Records(p.ctx, int64(idx), int64(idx)+1)
	must(t, err)
	if !strings.Contains(string(recs[0]), `"style":"county"`) {
		t.Errorf("the ballot on the board is not of style county: %.300s", recs[0])
	}

	// The observer page: each record's time in New York with UTC beside.
	p.do("open the observer page", chromedp.Navigate(b.srv.URL+"/observe"))
	p.waitJS("the cast ballot", fmt.Sprintf(`document.querySelector("#records tbody tr td") && document.querySelector("#records tbody tr td").textContent === "%d"`, idx))
	iso := evaluate[string](p, `document.querySelector("#records tbody tr td[data-time]").dataset.time`)
	at, err := time.Parse(time.RFC3339Nano, iso)
	must(t, err)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	cell := evaluate[string](p, `document.querySelector("#records tbody tr td[data-time]").textContent`)
	if local, utc := at.In(ny).Format("3:04:05 PM"), at.UTC().Format("3:04:05 PM"); !strings.Contains(cell, local) || !strings.Contains(cell, utc+" UTC") {
		t.Errorf("record time %q: want New York time %s with UTC beside (%s UTC)", cell, local, utc)
	}
}
