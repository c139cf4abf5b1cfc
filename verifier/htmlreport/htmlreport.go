// Package htmlreport renders a verifier.Report as one self-contained HTML
// page for people (docs/spec/verifier.md §6): the verdict and every
// failure first, what was not checked, the election and its hashes, the
// board's checkpoints and the witnesses and operators that cosigned them
// (or whose cosignature did not verify), each step with
// its counts, the result of each contest as a bar chart (a ranked
// contest's outcome instead: who is elected, the order, and the rounds or
// stages as a table), and the turnout over time.
//
// The page loads nothing: its style sheet and its charts (SVG) are inline,
// and it has no script. Every string of the report may come from the
// record, which anyone could have written, so the page is rendered with
// html/template, which escapes them. Each chart is drawn from the numbers
// of the table beside it, which screen readers read instead.
//
// verifier.Report.WriteText and WriteJSON are the other renderings.
package htmlreport

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"

	"github.com/evote/evote/verifier"
)

//go:embed report.html.tmpl
var pageTemplate string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"inc": func(i int) int { return i + 1 }, // a 0-based index, numbered for people
}).Parse(pageTemplate))

// Chart geometry, in the units of the SVG viewBox; the charts scale to the
// page's width.
const (
	chartWidth = 600
	// A result bar chart: per option, a label line and a bar below it.
	barRow    = 44 // height of one option's row
	barHeight = 18
	barMax    = 480 // the longest bar; its count is written after it
	// The turnout chart: columns over a time axis.
	turnoutHeight = 240
	turnoutTop    = 24  // room for the largest count
	turnoutBottom = 200 // the time axis
	turnoutLeft   = 8
	// maxLabel bounds the characters of an option's title in a chart; the
	// table beside it has the whole title.
	maxLabel = 60
)

// Write renders r as a self-contained HTML page to w. If it fails, part
// of the page may have been written.
func Write(w io.Writer, r *verifier.Report) error {
	if err := page.Execute(w, newView(r)); err != nil {
		return fmt.Errorf("htmlreport: %w", err)
	}
	return nil
}

// view is what the template shows: the report and the charts' geometry.
type view struct {
	*verifier.Report
	Skipped  []*verifier.Step
	Cosigned map[string]bool // witnesses and operators that cosigned some checkpoint
	Faulty   map[string]bool // those whose cosignature line did not verify on some checkpoint
	Contests []contestChart
	Turnout  *turnoutChart
}

func newView(r *verifier.Report) *view {
	v := &view{Report: r, Cosigned: make(map[string]bool), Faulty: make(map[string]bool)}
	for _, s := range r.Steps {
		if s.Status == verifier.Skipped {
			v.Skipped = append(v.Skipped, s)
		}
	}
	for _, cp := range r.Checkpoints {
		for _, name := range cp.Cosigners {
			v.Cosigned[name] = true
		}
		for _, name := range cp.Faulty {
			v.Faulty[name] = true
		}
	}
	for i, c := range r.Result {
		v.Contests = append(v.Contests, newContestChart(i, c))
	}
	if r.Turnout != nil {
		v.Turnout = newTurnoutChart(r.Turnout)
	}
	return v
}

// CosignState says what the checkpoints show of a witness or operator:
// "faulty" if a cosignature line of its key did not verify on one of them,
// else "yes" if it cosigned one, else "no".
func (v *view) CosignState(name string) string {
	switch {
	case v.Faulty[name]:
		return "faulty"
	case v.Cosigned[name]:
		return "yes"
	}
	return "no"
}

// contestChart is a horizontal bar chart of one contest's counts, or, for
// a ranked contest (whose counts are sums of ranks, not votes), its
// outcome: who is elected, and the rounds or stages of its count.
type contestChart struct {
	verifier.ContestResult
	ID     string // the chart's element id: "contest-N", never the record's
	Height int
	Total  uint64
	Bars   []bar
	// Exhausted heads the rounds table's column of ballots that count for
	// nobody: "Exhausted" (IRV) or "Non-transferable" (STV).
	Exhausted string
}

// bar is one option's bar: its label above it at LabelY, the bar at Y of
// width W, and its count at (CountX, Y).
type bar struct {
	Label          string
	Count          uint64
	LabelY, Y, W   int
	CountX, CountY int
}

func newContestChart(i int, c verifier.ContestResult) contestChart {
	ch := contestChart{ContestResult: c, ID: fmt.Sprintf("contest-%d", i+1), Height: max(1, len(c.Options)) * barRow}
	if c.Method != "" {
		ch.Exhausted = "Exhausted"
		if c.Method == "stv" {
			ch.Exhausted = "Non-transferable"
		}
		return ch // no bars: a ranked contest's counts are sums of ranks
	}
	var most uint64
	for _, o := range c.Options {
		most = max(most, o.Count)
		ch.Total += o.Count
	}
	for k, o := range c.Options {
		y := k*barRow + 22
		w := scale(o.Count, most, barMax)
		ch.Bars = append(ch.Bars, bar{Label: shorten(o.Title), Count: o.Count, LabelY: y - 6, Y: y, W: w, CountX: w + 8, CountY: y + barHeight - 4})
	}
	return ch
}

// scale returns n/most of length, at least 1 for a non-zero n.
func scale(n, most uint64, length int) int {
	if n == 0 {
		return 0
	}
	return max(1, int(float64(n)/float64(most)*float64(length)))
}

// shorten cuts s to maxLabel characters, with an ellipsis.
func shorten(s string) string {
	r := []rune(s)
	if len(r) <= maxLabel {
		return s
	}
	return string(r[:maxLabel-1]) + "…"
}

// turnoutChart is a column chart of the ballots admitted per time bucket.
type turnoutChart struct {
	Width, Height, Base, Top int
	Most                     int64
	Total                    int64
	Bucket                   string // the buckets' width, for people
	Columns                  []column
	First, Last              string // the time axis's ends
	LastX                    int
}

// column is one bucket: its start and count, and its column at X, Y of
// width W and height H.
type column struct {
	Start, End string
	Count      int64
	X, Y, W, H int
}

const timeLayout = "2006-01-02 15:04:05 UTC"

// duration names a bucket's width for people: "5 min", "1 day".
func duration(seconds int64) string {
	switch {
	case seconds == 86400:
		return "1 day"
	case seconds%86400 == 0:
		return fmt.Sprintf("%d days", seconds/86400)
	case seconds%3600 == 0:
		return fmt.Sprintf("%d h", seconds/3600)
	case seconds%60 == 0:
		return fmt.Sprintf("%d min", seconds/60)
	}
	return fmt.Sprintf("%d s", seconds)
}

func newTurnoutChart(t *verifier.Turnout) *turnoutChart {
	ch := &turnoutChart{Width: chartWidth, Height: turnoutHeight, Base: turnoutBottom, Top: turnoutTop,
		Bucket: duration(t.BucketSeconds)}
	for _, n := range t.Ballots {
		ch.Most = max(ch.Most, n)
		ch.Total += n
	}
	n := len(t.Ballots)
	step := (chartWidth - 2*turnoutLeft) / n
	for i, c := range t.Ballots {
		h := scale(uint64(c), uint64(ch.Most), turnoutBottom-turnoutTop)
		ch.Columns = append(ch.Columns, column{
			Start: t.BucketStart(i).Format(timeLayout), End: t.BucketStart(i + 1).Format(timeLayout), Count: c,
			X: turnoutLeft + i*step + step/8, Y: turnoutBottom - h, W: max(1, step-step/4), H: h})
	}
	ch.First = t.Start.Format(timeLayout)
	ch.Last = t.BucketStart(n).Format(timeLayout)
	ch.LastX = turnoutLeft + n*step
	return ch
}
