package web_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/verifier"
	"github.com/evote/evote/verifier/htmlreport"
	"github.com/evote/evote/verifier/verifiertest"
)

// chartsShown returns, for every SVG chart of the page, its rendered width
// and height and how many of its bars are drawn wider and taller than
// zero.
const chartsShown = `Array.from(document.querySelectorAll("svg.chart"), s => {
  const r = s.getBoundingClientRect();
  const bars = Array.from(s.querySelectorAll(".bar"), b => b.getBoundingClientRect()).filter(b => b.width > 0 && b.height > 0);
  return [Math.round(r.width), Math.round(r.height), bars.length];
})`

// TestBrowserReport opens in Chromium, from a file, the HTML report that
// evote verify --html writes of a verified election with three witnesses:
// the verdict, the counts of every option and the turnout show, every
// chart is drawn, the page requests nothing, and at 390 px wide nothing
// runs off the screen. The report of a tampered record shows its failures
// first.
func TestBrowserReport(t *testing.T) {
	p := newPage(t)
	var record bytes.Buffer
	e, err := verifiertest.Generate(context.Background(), verifiertest.Options{
		Voters: 24, Trustees: 3, Threshold: 2, Challenges: 2, Revotes: 3, Contests: simulate.SampleContests(),
		Title: "Springfield municipal election", Tick: 4 * time.Minute, Start: time.Now(), Witnesses: 3, WitnessQuorum: 2,
	}, &record)
	must(t, err)
	dir := t.TempDir()
	p.allow = append(p.allow, "file://"+dir+"/")
	write := func(name string, rec []byte) (*verifier.Report, string) {
		t.Helper()
		r := verifier.Verify(context.Background(), verifier.Export(bytes.NewReader(rec), "springfield.jsonl"),
			verifier.Options{BoardKey: e.BoardKey, Checkpoints: [][]byte{e.Checkpoint}})
		f, err := os.Create(filepath.Join(dir, name))
		must(t, err)
		must(t, htmlreport.Write(f, r))
		must(t, f.Close())
		return r, "file://" + filepath.Join(dir, name)
	}

	r, url := write("report.html", record.Bytes())
	if !r.OK {
		t.Fatalf("the election does not verify: %v", r.Failures)
	}
	p.do("open the report", chromedp.Navigate(url))
	if v := evaluate[string](p, `document.getElementById("verdict").dataset.ok`); v != "yes" {
		t.Errorf("verdict %q: %s", v, p.text("#verdict"))
	}
	var want []string
	for _, n := range e.Counts {
		want = append(want, strconv.FormatUint(n, 10))
	}
	if got := evaluate[[]string](p, `Array.from(document.querySelectorAll(".result-table tbody td"), td => td.textContent)`); !slices.Equal(got, want) {
		t.Errorf("counts shown %q, want %q", got, want)
	}
	if got := p.text("#ballots"); got != strconv.Itoa(r.Election.Ballots) {
		t.Errorf("ballots shown %q, want %d", got, r.Election.Ballots)
	}
	turnout := evaluate[int](p, `Array.from(document.querySelectorAll("#turnout-table tbody td.num"), td => +td.textContent).reduce((a, b) => a + b, 0)`)
	if turnout != r.Election.Ballots {
		t.Errorf("turnout table adds up to %d ballots, want %d", turnout, r.Election.Ballots)
	}
	checkCharts := func(width int) {
		t.Helper()
		charts := evaluate[[][3]int](p, chartsShown)
		if len(charts) != len(r.Result)+1 {
			t.Fatalf("%d charts, want one per contest and the turnout", len(charts))
		}
		for i, c := range charts {
			bars := r.Turnout.Ballots
			if i < len(r.Result) {
				bars = nil
				for range r.Result[i].Options {
					bars = append(bars, 0)
				}
			}
			if c[0] <= 0 || c[0] > width || c[1] <= 0 || c[2] == 0 || c[2] > len(bars) {
				t.Errorf("at %d px, chart %d is %d×%d px with %d bars drawn of %d", width, i, c[0], c[1], c[2], len(bars))
			}
		}
		if w := evaluate[int](p, `document.documentElement.scrollWidth`); w > width {
			t.Errorf("at %d px, the page is %d px wide", width, w)
		}
	}
	checkCharts(1000)
	p.screenshot("verify-report.png")
	p.do("narrow the window", chromedp.EmulateViewport(390, 844))
	checkCharts(390)
	p.screenshot("verify-report-390.png")
	p.do("widen the window", chromedp.EmulateViewport(1000, 1300))

	// A ballot's signature changed: the chain breaks there.
	lines := bytes.SplitAfter(bytes.Clone(record.Bytes()), []byte("\n"))
	ballot := slices.IndexFunc(lines, func(l []byte) bool { return bytes.Contains(l, []byte(`"type":"ballot"`)) }) + 6
	j := bytes.Index(lines[ballot], []byte(`"sig":"`)) + len(`"sig":"`)
	lines[ballot][j] = map[bool]byte{true: 'B', false: 'A'}[lines[ballot][j] == 'A']
	r, url = write("failed.html", bytes.Join(lines, nil))
	p.do("open the report of the tampered record", chromedp.Navigate(url))
	if v := evaluate[string](p, `document.getElementById("verdict").dataset.ok`); v != "no" || r.OK {
		t.Fatalf("verdict %q: %s", v, p.text("#verdict"))
	}
	rows := evaluate[[]string](p, `Array.from(document.querySelectorAll("#failures tbody tr td:first-child"), td => td.textContent)`)
	if len(rows) != len(r.Failures) || rows[0] != fmt.Sprint(ballot) || !evaluate[bool](p, visible("#failures")) {
		t.Errorf("failures shown for records %q; want %d, the first record %d", rows, len(r.Failures), ballot)
	}
	if !evaluate[bool](p, `document.querySelector("section").id === "failures" && document.getElementById("failures").getBoundingClientRect().top < innerHeight`) {
		t.Error("the failures are not the first thing on the page")
	}
	p.screenshot("verify-report-failed.png")
}
