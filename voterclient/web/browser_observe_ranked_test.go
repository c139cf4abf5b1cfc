package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/i18n"
)

// TestBrowserObserveRanked follows an election with a ranked contest of
// each method beside a plurality one on the observer page: while the
// trustees mix, each ranked contest shows its mixes and decryptions so
// far; once counted, its winners and a real table (caption, column and
// row headers) of each candidate's votes, round by round (IRV) or stage by
// stage (STV), or of the Borda scores, whose cells are those of the count
// on the board, or the Schulze order. axe-core finds
// nothing wrong with it in English and French, on a laptop and a phone.
func TestBrowserObserveRanked(t *testing.T) {
	p := newPage(t)
	options := func(titles ...string) []ballot.Option {
		out := make([]ballot.Option, len(titles))
		for i, s := range titles {
			out[i] = ballot.Option{ID: strings.ToLower(s), Title: s}
		}
		return out
	}
	b := startBoard(t, []ballot.Contest{
		{ID: "mayor", Title: "Mayor", Kind: ballot.KindPlurality, MaxSelections: 1, OptionMax: 1, Options: options("Alice", "Bob")},
		{ID: "tree", Title: "Tree for the square", Kind: ballot.KindRanked, Method: ballot.MethodIRV, MaxSelections: 3, OptionMax: 3,
			Options: options("Oak", "Ash", "Elm", "Lime")},
		{ID: "parkboard", Title: "Park board (2 seats)", Kind: ballot.KindRanked, Method: ballot.MethodSTV, Seats: 2, MaxSelections: 3, OptionMax: 3,
			Options: options("Ann", "Bo", "Cy")},
		{ID: "flag", Title: "Town flag", Kind: ballot.KindRanked, Method: ballot.MethodSchulze, MaxSelections: 2, OptionMax: 2,
			Options: options("Red", "Blue", "Green")},
		{ID: "motto", Title: "Town motto", Kind: ballot.KindRanked, Method: ballot.MethodBorda, MaxSelections: 3, OptionMax: 3,
			Options: options("Onward", "Together", "Evergreen")},
	}, 12)
	ctx := context.Background()
	for v := range 12 {
		_, _, err := b.sim.Cast(ctx, v, b.sim.RandomChoices())
		must(t, err)
	}
	// While voting is open, each ranked contest says when it is counted.
	p.do("open the observer page", chromedp.Navigate(b.srv.URL+"/observe"))
	p.waitJS("the ranked contests", visible("#ranked-section")+` && document.querySelectorAll("#ranked .ranked").length === 4`)
	if got, want := evaluate[[]string](p, `Array.from(document.querySelectorAll("#ranked .ranked p"), (e) => e.textContent)`), i18n.Default.Message("en", "observe.ranked.after-close"); len(got) != 4 || slices.ContainsFunc(got, func(s string) bool { return s != want }) {
		t.Errorf("ranked contests while voting is open say %q, want %q each", got, want)
	}
	b.closeAndMixOnce(t)

	// One mix of the two needed: the page says so, and counts nothing.
	p.do("open the observer page", chromedp.Navigate(b.srv.URL+"/observe"))
	p.waitJS("the ranked contests", visible("#ranked-section")+` && document.querySelectorAll("#ranked .ranked").length === 4`)
	p.waitJS("one mix", `Array.from(document.querySelectorAll("#ranked .ranked-progress")).every((e) => e.dataset.mixes === "1" && e.dataset.decryptions === "0")`)
	progress := p.text(`.ranked[data-contest="tree"] .ranked-progress`)
	if want := fmt.Sprintf(i18n.Default.Message("en", "observe.ranked.progress"), "1", "2", "1", "0", i18n.Default.Message("en", "observe.ranked.none")); progress != want {
		t.Errorf("progress after one mix = %q, want %q", progress, want)
	}
	if n := evaluate[int](p, `document.querySelectorAll("#ranked table").length`); n != 0 {
		t.Errorf("%d count tables before the count", n)
	}
	// The homomorphic result leaves out the ranked contests' sums of ranks.
	if n := evaluate[int](p, `document.querySelectorAll("#result tbody tr").length`); n != 2 {
		t.Errorf("the result table has %d rows, want the mayor's 2 only", n)
	}

	b.finishMixes(t)
	if _, err := b.sim.CountRanked(ctx); err != nil {
		t.Fatal(err)
	}
	p.do("open the observer page", chromedp.Navigate(b.srv.URL+"/observe"))
	p.waitJS("the counts", `document.querySelectorAll("#ranked .ranked[data-counted=yes]").length === 4`)

	st := b.tracker.State()
	m := st.Manifest()
	msg := func(key string, args ...any) string { return fmt.Sprintf(i18n.Default.Message("en", key), args...) }
	for i, c := range m.Contests {
		if !c.Ranked() {
			continue
		}
		var rc election.RankedCount
		must(t, json.Unmarshal(st.RankedResult(i).Count, &rc))
		title := func(k int) string { return c.Options[k].Title }
		if c.Method == ballot.MethodSchulze {
			order := make([]string, len(rc.Schulze.Order))
			for n, k := range rc.Schulze.Order {
				order[n] = title(k)
			}
			lines := evaluate[[]string](p, fmt.Sprintf(`Array.from(document.querySelectorAll(%q), (e) => e.textContent)`, fmt.Sprintf(`.ranked[data-contest=%q] p`, c.ID)))
			if w := []string{msg("observe.ranked.winner", title(rc.Schulze.Winner)), msg("observe.ranked.order", strings.Join(order, " > "))}; len(lines) < 2 || !slices.Equal(lines[len(lines)-2:], w) {
				t.Errorf("contest %s: the page says %q, want it to end with %q", c.ID, lines, w)
			}
			continue
		}
		sel := fmt.Sprintf(`.ranked[data-contest=%q] table`, c.ID)
		shape := evaluate[[]string](p, fmt.Sprintf(`(() => { const tb = document.querySelector(%q); return [
  tb.caption ? tb.caption.textContent : "",
  String(tb.querySelectorAll("thead th[scope=col]").length),
  String(Array.from(tb.tBodies[0].rows).every((r) => r.cells[0].tagName === "TH" && r.cells[0].scope === "row"))]; })()`, sel))
		cols := len(c.Options) + 3
		if c.Method == ballot.MethodBorda {
			cols = 2
		}
		if shape[0] == "" || shape[1] != fmt.Sprint(cols) || shape[2] != "true" {
			t.Errorf("contest %s: table caption %q, %s column headers (want %d), row headers %s", c.ID, shape[0], shape[1], cols, shape[2])
		}
		rows := evaluate[[][]string](p, fmt.Sprintf(`Array.from(document.querySelectorAll(%q), (tr) => Array.from(tr.cells, (td) => td.textContent))`, sel+" tbody tr"))
		var want [][]string
		switch c.Method {
		case ballot.MethodIRV:
			out := map[int]bool{}
			for n, r := range rc.IRV.Rounds {
				row := []string{fmt.Sprint(n + 1)}
				for k, v := range r.Counts {
					if out[k] {
						row = append(row, msg("observe.ranked.out"))
					} else {
						row = append(row, fmt.Sprint(v))
					}
				}
				row = append(row, fmt.Sprint(r.Exhausted))
				switch {
				case r.Elected >= 0:
					row = append(row, msg("observe.ranked.elected", c.Options[r.Elected].Title))
				case r.Excluded >= 0:
					row = append(row, msg("observe.ranked.eliminated", c.Options[r.Excluded].Title))
					out[r.Excluded] = true
				default:
					row = append(row, "")
				}
				want = append(want, row)
			}
			if got, w := p.text(fmt.Sprintf(`.ranked[data-contest=%q] p:nth-of-type(3)`, c.ID)), msg("observe.ranked.winner", c.Options[rc.IRV.Winner].Title); got != w {
				t.Errorf("contest %s: winner line %q, want %q", c.ID, got, w)
			}
		case ballot.MethodBorda:
			for _, k := range rc.Borda.Order {
				want = append(want, []string{title(k), fmt.Sprint(rc.Borda.Scores[k])})
			}
		case ballot.MethodSTV:
			for _, sg := range rc.STV.Stages {
				row := []string{""}
				for _, v := range sg.Counts {
					row = append(row, v.String())
				}
				want = append(want, append(row, sg.NonTransferable.String(), ""))
			}
		}
		if len(rows) != len(want) {
			t.Fatalf("contest %s: %d rows shown, the count has %d:\n%q", c.ID, len(rows), len(want), rows)
		}
		for n := range rows {
			got := slices.Clone(rows[n])
			if c.Method == ballot.MethodSTV {
				// The stage's action and outcome are words; its numbers
				// must be the count's.
				got[0], got[len(got)-1] = "", ""
			} else if c.Method == ballot.MethodIRV {
				got[len(got)-1] = strings.TrimSpace(strings.Split(got[len(got)-1], " (")[0]) // a tie's note
			}
			if !slices.Equal(got, want[n]) {
				t.Errorf("contest %s, row %d = %q, want %q", c.ID, n+1, rows[n], want[n])
			}
		}
	}
	p.screenshot("observer-ranked.png")
}

// closeAndMixOnce closes voting, has trustees 1 and 3 decrypt the
// homomorphic tally and the official post it, then has trustee 1 mix the
// mix-net contests: one mix of the two they need.
func (b *testBoard) closeAndMixOnce(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	must(t, b.sim.SetPhase(ctx, election.PhaseClosed))
	b.tally(t)
	must(t, b.sim.Mix(ctx, 1))
}

// finishMixes has trustee 3 mix the mix-net contests after trustee 1
// (closeAndMixOnce), then trustees 1 and 3 decrypt the last mixes: the
// official can count them.
func (b *testBoard) finishMixes(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	must(t, b.sim.Mix(ctx, 3))
	must(t, b.sim.DecryptMixes(ctx, 1))
	must(t, b.sim.DecryptMixes(ctx, 3))
}
