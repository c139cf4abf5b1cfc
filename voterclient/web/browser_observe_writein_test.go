package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/i18n"
)

// TestBrowserObserveWriteIns follows an election with a write-in on the
// observer page: while voting is open the write-in contest says when its
// names are counted; while the trustees mix, its mixes and decryptions so
// far, and no names; once counted, the names written in with their votes
// in a real table (caption, column and row headers) whose rows are those
// of the count on the board. axe-core finds nothing wrong with it in
// English and French, on a laptop and a phone.
func TestBrowserObserveWriteIns(t *testing.T) {
	p := newPage(t)
	b := startBoard(t, []ballot.Contest{
		{ID: "mayor", Title: "Mayor", Kind: ballot.KindPlurality, MaxSelections: 1, OptionMax: 1,
			Options: []ballot.Option{{ID: "alice", Title: "Alice"}, {ID: "bob", Title: "Bob"}, {ID: "other", Title: "Someone else"}},
			WriteIn: &ballot.WriteIn{Option: 2, MaxBytes: 40}},
	}, 8)
	ctx := context.Background()
	for v := range 8 {
		choice := ballot.Choices{{0, 0, 1}} // a name written in (simulate's, by voter)
		if v%4 == 3 {
			choice = ballot.Choices{{1, 0, 0}}
		}
		_, _, err := b.sim.Cast(ctx, v, choice)
		must(t, err)
	}
	msg := func(key string, args ...any) string { return fmt.Sprintf(i18n.Default.Message("en", key), args...) }

	p.do("open the observer page", chromedp.Navigate(b.srv.URL+"/observe"))
	p.waitJS("the write-in contest", visible("#writeins-section")+` && document.querySelectorAll("#writeins .writein").length === 1`)
	if got, want := p.text(`.writein[data-contest="mayor"] p`), msg("observe.ranked.after-close"); got != want {
		t.Errorf("the write-in contest while voting is open says %q, want %q", got, want)
	}

	b.closeAndMixOnce(t)
	p.do("open the observer page", chromedp.Navigate(b.srv.URL+"/observe"))
	p.waitJS("one mix", `(() => { const e = document.querySelector(".writein .ranked-progress"); return !!e && e.dataset.mixes === "1" && e.dataset.decryptions === "0"; })()`)
	if got, want := p.text(`.writein[data-contest="mayor"] .ranked-progress`), msg("observe.ranked.progress", "1", "2", "1", "0", msg("observe.ranked.none")); got != want {
		t.Errorf("progress after one mix = %q, want %q", got, want)
	}
	if n := evaluate[int](p, `document.querySelectorAll("#writeins table").length`); n != 0 {
		t.Errorf("%d tables of names before the count", n)
	}

	b.finishMixes(t)
	if _, err := b.sim.CountWriteIns(ctx); err != nil {
		t.Fatal(err)
	}
	p.do("open the observer page", chromedp.Navigate(b.srv.URL+"/observe"))
	p.waitJS("the count", `document.querySelectorAll("#writeins .writein[data-counted=yes]").length === 1`)

	st := b.tracker.State()
	var wc election.WriteInCount
	must(t, json.Unmarshal(st.WriteInResult(0).Count, &wc))
	if wc.Written != 6 || len(wc.Texts) < 2 {
		t.Fatalf("the count on the board: %d written, %d names; want 6 and several", wc.Written, len(wc.Texts))
	}
	if got, want := p.text(`.writein[data-contest="mayor"] .ranked-progress + p`), msg("observe.writein.counted", "8", "6", "Someone else", "0"); got != want {
		t.Errorf("count line %q, want %q", got, want)
	}
	sel := `.writein[data-contest="mayor"] table`
	shape := evaluate[[]string](p, fmt.Sprintf(`(() => { const tb = document.querySelector(%q); return [
  tb.caption ? tb.caption.textContent : "",
  Array.from(tb.querySelectorAll("thead th[scope=col]"), (th) => th.textContent).join("|"),
  String(Array.from(tb.tBodies[0].rows).every((r) => r.cells[0].tagName === "TH" && r.cells[0].scope === "row"))]; })()`, sel))
	if want := []string{msg("observe.writein.caption", "Mayor"), msg("observe.writein.name") + "|" + msg("observe.writein.votes"), "true"}; !slices.Equal(shape, want) {
		t.Errorf("names table: caption, column headers and row headers %q, want %q", shape, want)
	}
	rows := evaluate[[][]string](p, fmt.Sprintf(`Array.from(document.querySelectorAll(%q), (tr) => Array.from(tr.cells, (td) => td.textContent))`, sel+" tbody tr"))
	var want [][]string
	for _, x := range wc.Texts {
		want = append(want, []string{x.Text, fmt.Sprint(x.Count)})
	}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("names shown %q, the count on the board has %q", rows, want)
	}
	p.screenshot("observer-writeins.png")
}
