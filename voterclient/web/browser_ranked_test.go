package web_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/internal/i18n"
)

// TestBrowserRanked votes in a ranked contest (docs/spec/ranked.md §1)
// with the keyboard alone: each candidate has a drop-down list of ranks;
// a rank given twice, then a skipped rank, is refused before anything is
// encrypted, in words naming them; the counter speaks of ranks; "You
// marked" lists the ranking in order; a challenge opens the ballot to
// exactly the ranks chosen; the ballot cast is counted by the board. The
// contest's titles are translated in the definition: in French the page
// shows them in French.
func TestBrowserRanked(t *testing.T) {
	p := newPage(t)
	b := newTestBoard(t, simulate.Options{Title: "Springfield library board", Voters: 2, Trustees: 3, Threshold: 2, MinCounted: 1,
		Language: "en", Translations: ballot.Translations{"fr": "Conseil de la bibliothèque de Springfield"},
		Contests: []ballot.Contest{
			{ID: "mayor", Title: "Mayor", Kind: ballot.KindPlurality, MaxSelections: 1, OptionMax: 1,
				Translations: ballot.Translations{"fr": "Maire"},
				Options:      []ballot.Option{{ID: "alice", Title: "Alice"}, {ID: "bob", Title: "Bob"}}},
			{ID: "chair", Title: "Board chair", Kind: ballot.KindRanked, Method: ballot.MethodIRV, MaxSelections: 3, OptionMax: 3,
				Translations: ballot.Translations{"fr": "Présidence du conseil"},
				Options: []ballot.Option{
					{ID: "ann", Title: "Ann Perkins", Translations: ballot.Translations{"fr": "Anne Perkins"}},
					{ID: "ben", Title: "Ben Wyatt"},
					{ID: "chris", Title: "Chris Traeger"},
					{ID: "donna", Title: "Donna Meagle"}}},
		}})
	b.openVoting(t)
	p.openBallot(b, "en")
	ranks := evaluate[[]string](p, `Array.from(document.querySelectorAll("#c1-o0 option"), (o) => o.textContent)`)
	if want := []string{"Not ranked", "Rank 1 (first choice)", "Rank 2", "Rank 3"}; !slices.Equal(ranks, want) {
		t.Errorf("the ranks offered = %q, want %q", ranks, want)
	}
	if s := p.text(`fieldset[data-contest="chair"] .counter`); s != "0 of up to 3 ranks given" {
		t.Errorf("ranked counter = %q", s)
	}

	// rank gives candidate o of the chair contest rank r from the keyboard:
	// the arrow keys move down a closed drop-down list's options.
	rank := func(o, r int) chromedp.Action[chromedp.Void] {
		sel := fmt.Sprintf("#c1-o%d", o)
		return chromedp.Steps(press(sel, kb.Home), press(sel, strings.Repeat(kb.ArrowDown, r)))
	}
	// Chris and Ann both first: refused, naming both.
	p.do("rank two candidates first", press("#c0-o1", " "), rank(2, 1), rank(0, 1), press("#encrypt", kb.Enter))
	p.waitJS("the shared rank error", `document.getElementById("error").dataset.code === "invalid-choices"`)
	if s, want := p.text("#error"), "In “Board chair”, rank 1 is given twice, to “Ann Perkins” and to “Chris Traeger”"; !strings.HasPrefix(s, want) {
		t.Errorf("shared rank: %q, want it to start %q", s, want)
	}
	if evaluate[bool](p, visible("#step-decide")) {
		t.Fatal("a ballot with a rank given twice was encrypted")
	}
	// The message follows the language switcher, titles included.
	p.setLanguage("fr")
	if s := p.text("#error"); !strings.HasPrefix(s, "Dans « Présidence du conseil », le rang 1 est donné deux fois, à « Anne Perkins » et à « Chris Traeger »") {
		t.Errorf("shared rank in French: %q", s)
	}
	if got, want := p.text(`fieldset[data-contest="chair"] legend`), "Présidence du conseil"; got != want {
		t.Errorf("ranked contest's legend in French = %q, want %q", got, want)
	}
	if got, want := p.text(`label[for="c1-o0"]`), "Anne Perkins"; got != want {
		t.Errorf("candidate in French = %q, want %q", got, want)
	}
	if got, want := p.text("#rule-1"), i18n.Default.Printer("fr").Sprintf("client.rule.ranked", 3); got != want {
		t.Errorf("ranked rule in French = %q, want %q", got, want)
	}
	p.setLanguage("en")
	// Ann third, nobody second: a gap, refused.
	p.do("skip rank 2", rank(0, 3), press("#encrypt", kb.Enter))
	p.waitJS("the missing rank error", `document.getElementById("error").textContent.includes("rank 2 is missing below rank 3")`)
	if evaluate[bool](p, visible("#step-decide")) {
		t.Fatal("a ballot with a gap in its ranks was encrypted")
	}
	// Chris, Donna, Ann: a ranking.
	p.do("rank Donna second", rank(3, 2))
	if s := p.text(`fieldset[data-contest="chair"] .counter`); s != "3 of up to 3 ranks given" {
		t.Errorf("ranked counter = %q", s)
	}
	p.screenshot("voter-ranked.png")
	p.do("encrypt", press("#encrypt", kb.Enter))
	p.waitJS("the confirmation code", visible("#step-decide"))
	marked := evaluate[[]string](p, `Array.from(document.querySelectorAll("#marked-summary ol.ranking li"), (li) => li.textContent)`)
	if want := []string{"Chris Traeger", "Donna Meagle", "Ann Perkins"}; !slices.Equal(marked, want) {
		t.Errorf("You marked: ranking %q, want %q", marked, want)
	}
	p.screenshot("voter-ranked-encrypted.png")

	// The challenge opens the ballot: the ciphertexts hold the ranks.
	if ok := p.challenge(); ok != "yes" {
		t.Fatalf("challenge verdict %q: %s", ok, p.text("#challenge-verdict"))
	}
	if got := evaluate[[]float64](p, `state.marked[1]`); !slices.Equal(got, []float64{3, 0, 1, 2}) {
		t.Errorf("the ranks encrypted = %v, want [3 0 1 2]", got)
	}
	revealed := evaluate[[]string](p, `Array.from(document.querySelectorAll("#revealed ol.ranking li"), (li) => li.textContent)`)
	if want := []string{"Chris Traeger", "Donna Meagle", "Ann Perkins"}; !slices.Equal(revealed, want) {
		t.Errorf("revealed ranking %q, want %q", revealed, want)
	}

	// Vote again, the same ranking, and cast: the board counts it.
	p.voteAgainAndCast(b)
}

// openBallot opens the voter page of b in lang, loads voter 0's
// credential and waits for the ballot, every control of which must have
// an accessible name.
func (p *page) openBallot(b *testBoard, lang string) {
	p.t.Helper()
	p.do("open the voter page", chromedp.Navigate(b.srv.URL+"/"))
	p.waitJS("the credential step", visible("#step-credential"))
	p.setLanguage(lang)
	p.do("upload the credential", chromedp.SetUploadFiles(css("#credential-file"), []string{b.credentialFile(p.t, 0)}))
	p.waitJS("the ballot step", visible("#step-ballot"))
	if bad := evaluate[[]string](p, unlabelledControls); len(bad) > 0 {
		p.t.Errorf("controls without an accessible name: %v", bad)
	}
}

// challenge challenges the encrypted ballot and returns the page's
// verdict on what it reveals: "yes" when it is what the voter marked.
func (p *page) challenge() string {
	p.t.Helper()
	p.do("challenge", chromedp.Click(css("#challenge")))
	p.waitJS("the challenged ballot", visible("#step-challenged"))
	return evaluate[string](p, `document.getElementById("challenge-verdict").dataset.ok`)
}

// voteAgain leaves a challenged ballot and encrypts what the form still
// holds.
func (p *page) voteAgain() {
	p.t.Helper()
	p.do("vote again", chromedp.Click(css("#vote-again")))
	p.waitJS("the ballot step", visible("#step-ballot"))
	p.do("encrypt", press("#encrypt", kb.Enter))
	p.waitJS("the confirmation code", visible("#step-decide"))
}

// voteAgainAndCast leaves a challenged ballot, encrypts what the form
// still holds and casts it, and checks that the board counts it as voter
// 0's ballot, with the record the page names.
func (p *page) voteAgainAndCast(b *testBoard) {
	p.t.Helper()
	p.voteAgain()
	p.do("cast", chromedp.Click(css("#cast")))
	p.waitJS("the cast confirmation", visible("#step-cast"))
	idx, ok := b.tracker.State().CastBallot(b.sim.Voters[0].Public)
	if !ok || !strings.Contains(p.text("#cast-summary"), fmt.Sprintf("record %d", idx)) {
		p.t.Fatalf("the board counts record %d (%v); the page says %q", idx, ok, p.text("#cast-summary"))
	}
}
