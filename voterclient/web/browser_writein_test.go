package web_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp/kb"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/participant"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/internal/i18n"
)

// TestBrowserWriteIn votes for a name written in (docs/spec/ballot.md
// §1.2, voter-client.md §5.3) with the keyboard alone: the write-in's
// option has a labelled text field whose limit and byte count describe
// it; typing a name selects the option; the option selected without a
// name, and a name over the limit in bytes, are refused before anything is
// encrypted, in the module's words, in English and in French; "You marked"
// and the challenged ballot show the name, and a challenge that reveals
// another name than the page showed is flagged; the ballot cast again is
// counted, and after the close the trustees mix and decrypt the write-ins
// and the official's count holds the name.
func TestBrowserWriteIn(t *testing.T) {
	p := newPage(t)
	b := newTestBoard(t, simulate.Options{Title: "Springfield town clerk", Voters: 2, Trustees: 3, Threshold: 2, MinCounted: 1,
		Language: "en", Translations: ballot.Translations{"fr": "Greffier de Springfield"},
		Contests: []ballot.Contest{
			{ID: "clerk", Title: "Town clerk", Kind: ballot.KindPlurality, MinSelections: 1, MaxSelections: 1, OptionMax: 1,
				Translations: ballot.Translations{"fr": "Greffier"},
				Options: []ballot.Option{{ID: "olga", Title: "Olga Ortiz"},
					{ID: "other", Title: "Someone else", Translations: ballot.Translations{"fr": "Une autre personne"}}},
				WriteIn: &ballot.WriteIn{Option: 1, MaxBytes: 24}},
		}})
	b.openVoting(t)
	const name = "Ada Lovelace"
	en, fr := i18n.Default.Printer("en"), i18n.Default.Printer("fr")
	p.openBallot(b, "en")
	if got, want := p.text(`label[for="c0-w"]`), en.Sprintf("vote.writein.label", "Someone else"); got != want {
		t.Errorf("the write-in's label = %q, want %q", got, want)
	}
	// The field's description: the limit, then the bytes used.
	desc := evaluate[string](p, `document.getElementById("c0-w").getAttribute("aria-describedby").split(" ").map((id) => document.getElementById(id).textContent).join(" | ")`)
	if want := en.Sprintf("vote.writein.help", "Someone else", 24) + " | " + en.Sprintf("vote.writein.bytes", 0, 24); desc != want {
		t.Errorf("the write-in's description = %q, want %q", desc, want)
	}

	// Olga first, then a name typed in: typing selects the write-in.
	p.do("choose Olga, then type a name", press("#c0-o0", " "), press("#c0-w", name))
	if !evaluate[bool](p, `document.getElementById("c0-o1").checked && !document.getElementById("c0-o0").checked`) {
		t.Error("typing a name did not select the write-in's option")
	}
	if got, want := p.text("#c0-w-bytes"), en.Sprintf("vote.writein.bytes", 12, 24); got != want {
		t.Errorf("byte count = %q, want %q", got, want)
	}
	p.screenshot("voter-writein.png")

	// refused checks that encrypting now is refused with the module's
	// problem key in the page's language, and that nothing was encrypted.
	refused := func(what, want string) {
		t.Helper()
		p.do("encrypt: "+what, press("#encrypt", kb.Enter))
		p.waitJS(what, `document.getElementById("error").dataset.code === "invalid-choices"`)
		if s := p.text("#error"); !strings.HasPrefix(s, want) {
			t.Errorf("%s: the page says %q, want %q", what, s, want)
		}
		if evaluate[bool](p, visible("#step-decide")) || evaluate[bool](p, `localStorage.length > 0 && Object.keys(localStorage).some((k) => k.startsWith("evote.device-code."))`) {
			t.Fatalf("%s: a ballot was encrypted", what)
		}
	}
	// The write-in selected without a name: refused, in English, in French
	// when the reader switches, and again in French.
	setName := func(v string) {
		evaluate[bool](p, `(() => { const w = document.getElementById("c0-w"); w.value = `+jsString(v)+`; w.dispatchEvent(new Event("input", { bubbles: true })); return true; })()`)
	}
	setName("")
	refused("no name", en.Sprintf("client.problem.write-in-no-name", "Town clerk", "Someone else"))
	noNameFr := fr.Sprintf("client.problem.write-in-no-name", "Greffier", "Une autre personne")
	p.setLanguage("fr")
	if s := p.text("#error"); !strings.HasPrefix(s, noNameFr) {
		t.Errorf("no name, after switching to French: %q, want %q", s, noNameFr)
	}
	if got, want := p.text(`label[for="c0-w"]`), fr.Sprintf("vote.writein.label", "Une autre personne"); got != want {
		t.Errorf("the write-in's label in French = %q, want %q", got, want)
	}
	refused("no name, in French", noNameFr)
	// 13 two-byte letters: 26 bytes, over the 24 allowed; the counter says
	// so, and the module refuses it.
	long := strings.Repeat("é", 13)
	setName(long)
	if got, want := p.text("#c0-w-bytes"), fr.Sprintf("vote.writein.bytes-over", 26, 24); got != want {
		t.Errorf("byte count over the limit = %q, want %q", got, want)
	}
	p.setLanguage("en")
	refused("26 bytes", "In “Town clerk” the name you wrote cannot be taken (")

	setName(name)
	p.do("encrypt", press("#encrypt", kb.Enter))
	p.waitJS("the confirmation code", visible("#step-decide"))
	if got, want := p.text("#marked-summary .written-in"), en.Sprintf("vote.writein.marked", "Someone else", name); got != want {
		t.Errorf("You marked: %q, want %q", got, want)
	}
	p.setLanguage("fr")
	if got, want := p.text("#marked-summary .written-in"), fr.Sprintf("vote.writein.marked", "Une autre personne", name); got != want {
		t.Errorf("You marked, in French: %q, want %q", got, want)
	}
	p.setLanguage("en")

	// A device that shows one name and encrypts another is caught: the
	// page here believes it encrypted "Grace Hopper".
	evaluate[bool](p, `(state.markedWriteIns = ["Grace Hopper"], true)`)
	if ok := p.challenge(); ok != "no" {
		t.Errorf("a challenge revealing %q where the page showed \"Grace Hopper\": verdict %q, want no", name, ok)
	}
	p.voteAgain()

	// The challenge opens the ballot: its text ciphertexts hold the name.
	if ok := p.challenge(); ok != "yes" {
		t.Fatalf("challenge verdict %q: %s", ok, p.text("#challenge-verdict"))
	}
	if got, want := p.text("#revealed .written-in"), en.Sprintf("vote.writein.marked", "Someone else", name); got != want {
		t.Errorf("the challenged ballot shows %q, want %q", got, want)
	}

	// Vote again, the same name kept in the field, and cast.
	p.voteAgainAndCast(b)

	// After the close: the homomorphic count, then two trustees mix the
	// write-in's ballots in turn and decrypt them; the official's count
	// holds the name, and the board admits it.
	ctx := context.Background()
	must(t, b.sim.SetPhase(ctx, election.PhaseClosed))
	b.tally(t)
	must(t, b.sim.Mix(ctx, 1))
	must(t, b.sim.Mix(ctx, 3))
	must(t, b.sim.DecryptMixes(ctx, 1))
	must(t, b.sim.DecryptMixes(ctx, 3))
	r, err := participant.ComputeWriteInResult(b.tracker.State(), 0)
	must(t, err)
	sub, err := election.NewSubmission(b.sim.Official, election.TypeWriteInResult, r)
	must(t, err)
	_, _, err = b.log.Append(ctx, sub)
	must(t, err)
	posted := b.tracker.State().WriteInResult(0)
	if posted == nil {
		t.Fatal("the board holds no write-in result")
	}
	var count election.WriteInCount
	must(t, json.Unmarshal(posted.Count, &count))
	if want := []election.WriteInText{{Text: name, Count: 1}}; !slices.Equal(count.Texts, want) || count.Written != 1 || len(count.Discarded) > 0 {
		t.Errorf("the write-in count = %+v, want %v written once, nothing discarded", count, want)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}
