package htmlreport_test

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/verifier"
	"github.com/evote/evote/verifier/htmlreport"
	"github.com/evote/evote/verifier/verifiertest"
)

// hostile is a contest title that would run a script if it were not
// escaped, in an element, in an attribute and in the SVG <title>.
const hostile = `<script>alert(1)</script>"><img src=x onerror=alert(2)></title>`

var fixture struct {
	once   sync.Once
	e      *verifiertest.Election
	record []byte
	err    error
}

// election generates, once, an election of 8 voters on a clock ticking 7
// minutes a record, with 3 witnesses of which 2 cosign the checkpoint, and
// two contests: 2 of 4 (contest-1) and a ranked one counted by IRV
// (contest-2), whose third candidate's title is hostile.
func election(t *testing.T) (*verifiertest.Election, []byte) {
	t.Helper()
	fixture.once.Do(func() {
		contests := verifiertest.KofN(4, 2)
		contests[0].Title = hostile
		var cands []ballot.Option
		for _, id := range []string{"ann", "ben", "cat"} {
			cands = append(cands, ballot.Option{ID: id, Title: "Candidate " + id})
		}
		cands[2].Title = hostile
		contests = append(contests, ballot.Contest{ID: "chair", Title: "Chair", Kind: ballot.KindRanked, Method: ballot.MethodIRV,
			MaxSelections: 3, OptionMax: 3, Options: cands})
		var buf bytes.Buffer
		fixture.e, fixture.err = verifiertest.Generate(context.Background(), verifiertest.Options{
			Voters: 8, Trustees: 3, Threshold: 2, Challenges: 1, Revotes: 1, Contests: contests,
			Title: "HTML report test", Tick: 7 * time.Minute, Start: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC),
			Witnesses: 3, WitnessQuorum: 2,
		}, &buf)
		fixture.record = buf.Bytes()
	})
	if fixture.err != nil {
		t.Fatalf("generating the election: %v", fixture.err)
	}
	return fixture.e, fixture.record
}

func verify(t *testing.T, e *verifiertest.Election, record []byte) (*verifier.Report, *html.Node) {
	t.Helper()
	r := verifier.Verify(context.Background(), verifier.Export(bytes.NewReader(record), "record.jsonl"),
		verifier.Options{BoardKey: e.BoardKey, Checkpoints: [][]byte{e.Checkpoint}})
	doc, _ := render(t, r)
	return r, doc
}

func render(t *testing.T, r *verifier.Report) (*html.Node, string) {
	t.Helper()
	var b bytes.Buffer
	if err := htmlreport.Write(&b, r); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	checkSelfContained(t, doc)
	return doc, b.String()
}

// checkSelfContained fails the test if the page has a script, an event
// handler, or anything that loads a resource.
func checkSelfContained(t *testing.T, doc *html.Node) {
	t.Helper()
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.Data {
		case "script", "link", "img", "iframe", "object", "embed", "image", "use", "foreignObject", "base", "form":
			t.Errorf("the page has a <%s> element", n.Data)
		case "style":
			if s := text(n); strings.Contains(s, "url(") || strings.Contains(s, "@import") {
				t.Errorf("the style sheet loads something: %q", s)
			}
		}
		for _, a := range n.Attr {
			switch k := strings.ToLower(a.Key); {
			case strings.HasPrefix(k, "on"):
				t.Errorf("<%s %s=%q>: an event handler", n.Data, a.Key, a.Val)
			case k == "src" || k == "href" || k == "srcset" || k == "action" || k == "style" || a.Namespace != "":
				t.Errorf("<%s %s=%q>: the page refers to a resource or has inline style", n.Data, a.Key, a.Val)
			}
		}
	}
}

// find returns the elements matching match, in document order.
func find(doc *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
	}
	return out
}

func tag(name string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == name }
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func byID(doc *html.Node, id string) *html.Node {
	if ns := find(doc, func(n *html.Node) bool { return attr(n, "id") == id }); len(ns) == 1 {
		return ns[0]
	}
	return nil
}

func hasClass(class string) func(*html.Node) bool {
	return func(n *html.Node) bool { return slices.Contains(strings.Fields(attr(n, "class")), class) }
}

func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

// cells returns the text of the cells of the body rows of table.
func cells(table *html.Node) [][]string {
	var rows [][]string
	for _, tr := range find(table, tag("tr")) {
		if tr.Parent.Data != "tbody" {
			continue
		}
		var row []string
		for c := tr.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode {
				row = append(row, strings.TrimSpace(text(c)))
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return n
}

// TestVerified: a verified election's page says so, shows the counts of
// every option in a table and as bars of proportional length, the
// turnout per bucket adding up to the ballots admitted, the checkpoint
// with its cosigners, and the witness that did not cosign.
func TestVerified(t *testing.T) {
	e, record := election(t)
	r, doc := verify(t, e, record)
	if !r.OK {
		t.Fatalf("the election does not verify: %v", r.Failures)
	}
	if v := byID(doc, "verdict"); v == nil || attr(v, "data-ok") != "yes" || !strings.Contains(text(v), "0 failures") {
		t.Fatalf("verdict: %v", v)
	}
	if byID(doc, "failures") != nil || byID(doc, "not-checked") != nil {
		t.Error("a verified election's page has a failures or a not-checked section")
	}

	// The result: a chart and a table per contest, but the ranked one
	// (TestRankedOutcome).
	tables := find(doc, hasClass("result-table"))
	charts := find(doc, hasClass("result-chart"))
	if len(r.Result) != 2 || r.Result[1].Method == "" || len(tables) != 1 || len(charts) != 1 {
		t.Fatalf("%d result tables and %d charts for %d contests, want 1 and 1 for 2 (one ranked)", len(tables), len(charts), len(r.Result))
	}
	k := 0
	for i, c := range r.Result[:1] {
		rows := cells(tables[i])
		bars := find(charts[i], hasClass("bar"))
		if len(rows) != len(c.Options) || len(bars) != len(c.Options) {
			t.Fatalf("contest %q: %d rows and %d bars for %d options", c.Title, len(rows), len(bars), len(c.Options))
		}
		most := slices.Max(e.Counts[k : k+len(c.Options)])
		for j, o := range c.Options {
			want := e.Counts[k]
			k++
			if rows[j][0] != o.Title || atoi(t, rows[j][1]) != int(want) {
				t.Errorf("contest %q row %d = %q, want %q %d", c.Title, j, rows[j], o.Title, want)
			}
			if w, wantW := atoi(t, attr(bars[j], "width")), int(float64(want)/float64(most)*480); w != wantW && !(want > 0 && wantW == 0 && w == 1) {
				t.Errorf("contest %q option %q: bar width %d for %d of at most %d, want %d", c.Title, o.Title, w, want, most, wantW)
			}
		}
		if attr(charts[i], "role") != "img" || byID(doc, attr(charts[i], "aria-labelledby")) == nil {
			t.Errorf("chart %d has no accessible name", i)
		}
	}

	// The turnout: 9 ballots (8 and a re-vote) over about an hour and a half.
	rows := cells(byID(doc, "turnout-table"))
	columns := find(byID(doc, "turnout-chart"), hasClass("bar"))
	total := 0
	for i, row := range rows {
		n := atoi(t, row[2])
		total += n
		if h := atoi(t, attr(columns[i], "height")); (h == 0) != (n == 0) {
			t.Errorf("turnout bucket %s: column of height %d for %d ballots", row[0], h, n)
		}
	}
	if total != r.Election.Ballots || total != 9 || len(rows) != len(columns) || len(rows) < 2 {
		t.Errorf("turnout: %d buckets, %d columns, %d ballots; want %d ballots in several buckets", len(rows), len(columns), total, r.Election.Ballots)
	}

	// The checkpoint and its cosigners; the witnesses.
	cps := cells(byID(doc, "checkpoints"))
	if len(cps) != 1 || cps[0][1] != strconv.FormatInt(e.Records, 10) || cps[0][3] != "witness-1.example, witness-2.example" {
		t.Errorf("checkpoints table %q, want one of %d records cosigned by witnesses 1 and 2", cps, e.Records)
	}
	ws := cells(byID(doc, "witnesses"))
	if want := [][]string{{"witness-1.example", "✓ yes"}, {"witness-2.example", "✓ yes"}, {"witness-3.example", "no"}}; !slices.EqualFunc(ws, want, slices.Equal) {
		t.Errorf("witnesses table %q, want %q", ws, want)
	}
	if s := text(doc); !strings.Contains(s, "of which 2 must cosign every checkpoint") || !strings.Contains(s, r.Election.ManifestHash) || !strings.Contains(s, r.TreeHash) {
		t.Error("the page lacks the witness quorum, the manifest hash or the tree hash")
	}
	// Every step, passed.
	steps := cells(byID(doc, "steps"))
	if len(steps) != 11 {
		t.Fatalf("%d steps shown", len(steps))
	}
	for i, s := range steps {
		if s[2] != "✓ pass" {
			t.Errorf("step %d: %q", i+1, s)
		}
	}
	if !strings.Contains(steps[5][3], "9 ballots") || !strings.Contains(steps[1][3], "1 checkpoint") {
		t.Errorf("step counts: %q, %q", steps[5][3], steps[1][3])
	}
}

// TestFailed: a tampered record's page says it failed, at the top, and
// names every failure of the report (record, step, code, reason) and every
// step not checked.
func TestFailed(t *testing.T) {
	e, record := election(t)
	// Change the fifth ballot's signature: the chain breaks there, the
	// checkpoint then fails, and the steps after the ballots are not
	// checked.
	lines := bytes.SplitAfter(bytes.Clone(record), []byte("\n"))
	var forged int
	for _, l := range lines {
		if bytes.Contains(l, []byte(`"type":"ballot"`)) {
			if forged++; forged == 5 {
				j := bytes.Index(l, []byte(`"sig":"`)) + len(`"sig":"`)
				l[j] = map[bool]byte{true: 'B', false: 'A'}[l[j] == 'A']
				break
			}
		}
	}
	r, doc := verify(t, e, bytes.Join(lines, nil))
	if r.OK || len(r.Failures) < 2 {
		t.Fatalf("tampered record: OK %v, failures %v", r.OK, r.Failures)
	}
	v := byID(doc, "verdict")
	if v == nil || attr(v, "data-ok") != "no" || !strings.Contains(text(v), "failed: "+strconv.Itoa(r.Problems)+" problems") {
		t.Fatalf("verdict: %q", text(v))
	}
	sections := find(doc, tag("section"))
	if attr(sections[0], "id") != "failures" || attr(sections[1], "id") != "not-checked" {
		t.Errorf("the first sections are %q and %q, want the failures and what was not checked", attr(sections[0], "id"), attr(sections[1], "id"))
	}
	rows := cells(byID(doc, "failures"))
	if len(rows) != len(r.Failures) {
		t.Fatalf("%d failure rows for %d failures", len(rows), len(r.Failures))
	}
	for i, f := range r.Failures {
		index := "—"
		if f.Index >= 0 {
			index = strconv.FormatInt(f.Index, 10)
		}
		if got := rows[i]; got[0] != index || got[1] != f.Type || got[2] != string(f.Step) || got[3] != f.Code || !strings.HasPrefix(got[4], f.Reason) {
			t.Errorf("failure row %d = %q, want %s", i, got, f)
		}
	}
	var skipped []string
	for _, s := range r.Steps {
		if s.Status == verifier.Skipped {
			skipped = append(skipped, s.Title)
		}
	}
	items := find(byID(doc, "not-checked"), tag("li"))
	if len(skipped) == 0 || len(items) != len(skipped) {
		t.Fatalf("%d steps listed as not checked, %d skipped", len(items), len(skipped))
	}
	for i, title := range skipped {
		if !strings.Contains(text(items[i]), title) {
			t.Errorf("not-checked item %q, want step %q", text(items[i]), title)
		}
	}
}

// TestEscaping: every string of a report may come from the record; none
// becomes markup. The generated election's first contest is titled
// hostile; a report made up here carries hostile strings in every other
// field the page shows.
func TestEscaping(t *testing.T) {
	e, record := election(t)
	r, doc := verify(t, e, record)
	if got := text(byID(doc, "contest-1-h")); got != hostile {
		t.Errorf("the contest heading reads %q, want %q", got, hostile)
	}
	if got := cells(find(doc, hasClass("result-table"))[0]); len(got) == 0 {
		t.Error("no result table")
	}

	h := func(what string) string {
		return what + ` <script>alert("` + what + `")</script><img src=x onerror=alert(1)> & "'`
	}
	r.Source = h("source")
	r.Election.Title = h("election")
	r.Election.ManifestHash = h("manifest")
	r.Witnesses = []string{h("witness")}
	r.Operators, r.OperatorQuorum = []string{h("operator")}, 1
	r.Checkpoints = []verifier.CheckpointResult{{Origin: h("origin"), Size: 3, Hash: h("hash"), Cosigners: []string{h("cosigner")}, Faulty: []string{h("faulty")}}}
	r.Result[0].Options[0].Title = h("option")
	r.Result[0].WriteIns = []verifier.WriteInResult{{Text: h("writein"), Count: 2}}
	r.Steps[0].Note = h("note")
	r.Steps[1].Status = verifier.Skipped
	r.Steps[1].Note = h("skipped")
	r.OK, r.Problems = false, 1
	r.Failures = []*verifier.Failure{{Index: 4, Type: h("type"), Step: verifier.StepID(h("step")), Code: h("code"), Reason: h("reason"), Spec: h("spec")}}
	doc, out := render(t, r)
	if strings.Contains(out, "<script>") || strings.Contains(out, "<img") {
		t.Fatal("a string of the report became markup")
	}
	page := text(doc)
	for _, what := range []string{"source", "election", "manifest", "witness", "operator", "faulty", "origin", "hash", "cosigner", "option", "writein", "note", "skipped", "type", "step", "code", "reason", "spec"} {
		if !strings.Contains(page, h(what)) {
			t.Errorf("the page does not show %q as text", h(what))
		}
	}
}

// TestOperators: the page lists the definition's operators with their
// quorum, marks each that cosigned a checkpoint, and one whose cosignature
// line did not verify, in the operators' table and beside the checkpoint.
func TestOperators(t *testing.T) {
	e, record := election(t)
	r, _ := verify(t, e, record)
	r.Operators, r.OperatorQuorum = []string{"op1", "op2", "op3", "op4"}, 3
	r.Checkpoints = []verifier.CheckpointResult{{Origin: "op1", Size: 3, Hash: "aGFzaA==", Cosigners: []string{"op1", "op2"}, Faulty: []string{"op4"}}}
	doc, _ := render(t, r)
	ops := cells(byID(doc, "operators"))
	if want := [][]string{{"op1", "✓ yes"}, {"op2", "✓ yes"}, {"op3", "no"}, {"op4", "✗ a cosignature that does not verify"}}; !slices.EqualFunc(ops, want, slices.Equal) {
		t.Errorf("operators table %q, want %q", ops, want)
	}
	cps := cells(byID(doc, "checkpoints"))
	if len(cps) != 1 || cps[0][3] != "op1, op2 (does not verify: op4)" {
		t.Errorf("checkpoints table %q, want op1, op2 and op4 named as not verifying", cps)
	}
	if s := text(doc); !strings.Contains(s, "names 4 operators of a replicated board, of which 3 (more than two thirds) must cosign every checkpoint") {
		t.Error("the page lacks the operators' quorum")
	}
}

// TestRankedOutcome: a ranked contest shows its outcome, not its sums of
// ranks: no bar chart nor count table, the winner, and the IRV rounds as a
// table with a header per candidate and a row per round, "—" for a
// candidate eliminated. STV seats, the Schulze order, a contest that
// elects nobody and one not counted yet each read as such.
func TestRankedOutcome(t *testing.T) {
	e, record := election(t)
	r, doc := verify(t, e, record)
	c := r.Result[1]
	o := c.Outcome
	if o == nil || len(o.Elected) != 1 || len(o.Rounds) == 0 {
		t.Fatalf("the ranked contest's outcome = %+v, want a winner and rounds", o)
	}
	if n := len(find(doc, func(n *html.Node) bool { return attr(n, "data-contest") == "contest-2" && n.Data == "svg" })); n != 0 {
		t.Errorf("the ranked contest has %d bar charts, want none (its counts are sums of ranks)", n)
	}
	outcome := find(doc, func(n *html.Node) bool { return hasClass("outcome")(n) && attr(n, "data-contest") == "contest-2" })
	if len(outcome) != 1 || !strings.Contains(text(outcome[0]), "Winner: "+o.Elected[0].Title+".") ||
		!strings.Contains(text(outcome[0]), "counted by irv from its 8 mixed and decrypted ballots") {
		t.Fatalf("outcome paragraph %q, want the winner %q and 8 ballots by irv", text(outcome[0]), o.Elected[0].Title)
	}
	rounds := find(doc, hasClass("rounds"))
	if len(rounds) != 1 {
		t.Fatalf("%d rounds tables, want 1", len(rounds))
	}
	var head []string
	for _, th := range find(rounds[0], tag("th")) {
		if attr(th, "scope") == "col" {
			head = append(head, text(th))
		}
	}
	if want := []string{"Round", "Candidate ann", "Candidate ben", hostile, "Exhausted", "Then"}; !slices.Equal(head, want) {
		t.Errorf("rounds header %q, want %q", head, want)
	}
	rows := cells(rounds[0])
	if len(rows) != len(o.Rounds) {
		t.Fatalf("%d rounds shown, want %d", len(rows), len(o.Rounds))
	}
	dashes := 0
	for i, row := range rows {
		want := append([]string{strconv.Itoa(i + 1)}, o.Rounds[i].Counts...)
		for k := range want {
			if want[k] == "" {
				want[k] = "—"
				dashes++
			}
		}
		want = append(want, o.Rounds[i].Exhausted, o.Rounds[i].Then)
		if !slices.Equal(row, want) {
			t.Errorf("round %d = %q, want %q", i+1, row, want)
		}
	}
	if last := rows[len(rows)-1]; !strings.HasSuffix(last[len(last)-1], o.Elected[0].Title+" elected") {
		t.Errorf("the last round reads %q, want %q elected", last, o.Elected[0].Title)
	}
	if len(rows) > 1 && dashes == 0 {
		t.Errorf("%d rounds and no candidate eliminated shown as —", len(rows))
	}

	for _, tt := range []struct {
		name    string
		outcome *verifier.RankedOutcome
		want    string
	}{
		{"stv", &verifier.RankedOutcome{Method: "stv", Ballots: 8, Seats: 2, Elected: []verifier.OptionRef{{ID: "ben", Title: "Ben"}, {ID: "ann", Title: "Ann"}},
			Rounds: []verifier.OutcomeRound{{Action: "first", Counts: []string{"3.00000", "5.00000", "0.00000"}, Exhausted: "0.00000", Then: "Ben elected"}}},
			"Elected (2 seats, in order): Ben, Ann."},
		{"schulze", &verifier.RankedOutcome{Method: "schulze", Ballots: 8, Seats: 1, Discarded: 1, Elected: []verifier.OptionRef{{ID: "cat", Title: "Cat"}},
			Order: []verifier.OptionRef{{ID: "cat", Title: "Cat"}, {ID: "ann", Title: "Ann"}, {ID: "ben", Title: "Ben"}}},
			"of which 1 discarded as not a ranking. Winner: Cat."},
		{"nobody", &verifier.RankedOutcome{Method: "irv", Ballots: 8, Seats: 1, Elected: []verifier.OptionRef{}}, "Nobody is elected: no ballot ranks any candidate."},
		{"not counted", nil, "not counted yet"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r.Result[1].Method, r.Result[1].Outcome = methodOf(tt.outcome), tt.outcome
			doc, _ := render(t, r)
			p := find(doc, func(n *html.Node) bool { return hasClass("outcome")(n) && attr(n, "data-contest") == "contest-2" })
			if len(p) != 1 || !strings.Contains(strings.Join(strings.Fields(text(p[0])), " "), tt.want) {
				t.Fatalf("outcome paragraph %v, want it to say %q", p, tt.want)
			}
			if n := len(find(doc, hasClass("result-chart"))); n != 1 {
				t.Errorf("%d bar charts, want 1 (none for the ranked contest)", n)
			}
			switch tt.name {
			case "stv":
				if rows := cells(find(doc, hasClass("rounds"))[0]); len(rows) != 1 || rows[0][0] != "1 (first)" || rows[0][2] != "5.00000" {
					t.Errorf("stages table %q, want stage 1 (first) with Ben's 5.00000", rows)
				}
			case "schulze":
				var order []string
				for _, li := range find(doc, tag("li")) {
					if li.Parent != nil && hasClass("order")(li.Parent) {
						order = append(order, text(li))
					}
				}
				if want := []string{"Cat", "Ann", "Ben"}; !slices.Equal(order, want) {
					t.Errorf("order %q, want %q", order, want)
				}
			}
		})
	}
}

func methodOf(o *verifier.RankedOutcome) string {
	if o == nil {
		return "irv"
	}
	return o.Method
}
