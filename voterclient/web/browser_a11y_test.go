package web_test

import (
	"crypto/sha256"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp/kb"

	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/evote/evote/ballot"
	"github.com/evote/evote/internal/i18n"
	"os"
	"strings"
	"sync"

	"github.com/chromedp/chromedp"
)

// axeVersion and axeSHA256 pin the axe-core build the browser tests check
// the pages with: axe.min.js of the npm package axe-core@4.14.1, which
// .ci/run installs from the npm registry and names in $EVOTE_AXE. It is
// not vendored: it is MPL-2.0 (vendoring the unmodified file would be
// allowed) but 560 kB, more than every page of this repository together.
const (
	axeVersion = "4.14.1"
	axeSHA256  = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
)

var axe struct {
	once sync.Once
	src  string
	err  error
}

// axeScript returns axe.min.js, or "" when $EVOTE_AXE is unset outside CI
// (the pages are then not checked with axe; CI always checks them).
func (p *page) axeScript() string {
	p.t.Helper()
	path := os.Getenv("EVOTE_AXE")
	if path == "" {
		if os.Getenv("CI") != "" {
			p.t.Fatal("EVOTE_AXE is unset: .ci/run installs axe-core@" + axeVersion + " from npm and sets it")
		}
		return ""
	}
	axe.once.Do(func() {
		b, err := os.ReadFile(path)
		if err != nil {
			axe.err = fmt.Errorf("reading axe-core: %w", err)
			return
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != axeSHA256 {
			axe.err = fmt.Errorf("%s is not axe-core %s's axe.min.js (SHA-256 %x, want %s)", path, axeVersion, sum, axeSHA256)
			return
		}
		axe.src = string(b)
	})
	if axe.err != nil {
		p.t.Fatal(axe.err)
	}
	return axe.src
}

// a11yLanguages are the languages every page state is checked in.
var a11yLanguages = []string{"en", "fr"}

// a11yWidths are the window widths every page state is checked at: a
// laptop and a phone.
var a11yWidths = []struct{ w, h int64 }{{1280, 900}, {390, 844}}

// accessible checks the voter or observer page in its current state with
// axe-core, in each of a11yLanguages (switched with the page's own
// language switcher) at each of a11yWidths, and fails the test for any
// violation, or for a page wider than a phone's screen (content pushed off
// it, such as a long contest title in the "You marked" list). At 390 px in
// French it also saves a screenshot, name-390-fr.png. Other pages (the
// verification report) are left alone.
func (p *page) accessible(name string) {
	p.t.Helper()
	if !evaluate[bool](p, `!!(window.i18n && document.getElementById("lang"))`) {
		return
	}
	src := p.axeScript()
	if src == "" {
		return
	}
	p.loadAxe(src)
	orig := evaluate[string](p, `window.i18n.lang`)
	stored := evaluate[string](p, `localStorage.getItem("evote-lang") || ""`)
	defer func() {
		p.setLanguage(orig)
		// The reader chose no language: the check's switching is forgotten.
		evaluate[bool](p, fmt.Sprintf(`(%q ? localStorage.setItem("evote-lang", %[1]q) : localStorage.removeItem("evote-lang"), true)`, stored))
		p.do("restore the window", chromedp.EmulateViewport(1000, 1300))
	}()
	for _, lang := range a11yLanguages {
		p.setLanguage(lang)
		for _, size := range a11yWidths {
			p.do("resize", chromedp.EmulateViewport(size.w, size.h))
			if over := evaluate[float64](p, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
				p.t.Errorf("%s (%s, %d px): the page is %.0f px wider than the window: %v", name, lang, size.w, over, evaluate[[]string](p, overflowing))
			}
			for _, msg := range p.axeViolations(name) {
				p.t.Errorf("%s (%s, %d px): axe-core: %s", name, lang, size.w, msg)
			}
			if lang == "fr" && size.w == 390 {
				p.capture(strings.TrimSuffix(name, ".png") + "-390-fr.png")
			}
		}
	}
}

// axeViolations runs axe-core on the page and returns its violations,
// each as "rule (impact): help — element: summary".
func (p *page) axeViolations(name string) []string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then((r) => JSON.stringify(r.violations.map((v) =>
  v.id + " (" + v.impact + "): " + v.help + " — " + v.nodes.map((n) => n.target.join(" ") + ": " + n.failureSummary).join("; "))))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s: running axe-core: %v", name, err)
	}
	var violations []string
	if err := json.Unmarshal([]byte(v), &violations); err != nil {
		p.t.Fatalf("%s: axe-core's answer %q: %v", name, v, err)
	}
	return violations
}

// overflowing lists the innermost elements that reach past the window's
// right edge.
const overflowing = `(() => {
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.right <= window.innerWidth + 0.5 || r.width === 0) continue;
    if ([...el.children].some((c) => c.getBoundingClientRect().right > window.innerWidth + 0.5)) continue;
    out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className : "") + " " + Math.round(r.right) + "px");
  }
  return out.slice(0, 8);
})()`

// loadAxe puts axe-core into the page, once per document.
func (p *page) loadAxe(src string) {
	p.t.Helper()
	if !evaluate[bool](p, `!!window.axe`) {
		evaluate[bool](p, src+"\n;true")
	}
}

// setLanguage picks lang with the page's language switcher, as a reader
// does, and waits until the page is in it.
func (p *page) setLanguage(lang string) {
	p.t.Helper()
	p.do("switch the language to "+lang, chromedp.SetValue(css("#lang"), lang))
	evaluate[bool](p, `document.getElementById("lang").dispatchEvent(new Event("change"))`)
	p.waitJS("the page in "+lang, fmt.Sprintf(`document.documentElement.lang === %q`, lang))
}

// TestBrowserLanguagesAndPhone opens the voter page in a browser that
// prefers Canadian French, in New York's time zone: the page is in French,
// says when voting opens in local time with UTC beside, and its language
// switcher works from the keyboard. A contest with a very long title is
// marked and encrypted: on a phone the "You marked" list wraps instead of
// pushing the choices off-screen (accessible checks every width), and
// axe-core refuses the page once the switcher loses its label.
func TestBrowserLanguagesAndPhone(t *testing.T) {
	p := newPage(t)
	long := "Referendum on the proposed amendment to the municipal charter concerning the governance, funding and " +
		"maintenance of the Springfield-Shelbyville-Capital-City-intermunicipal-waterworks-and-sewerage-authority"
	b := startBoard(t, []ballot.Contest{
		{ID: "charter", Title: long, Kind: ballot.KindPlurality, MaxSelections: 1, OptionMax: 1, Options: []ballot.Option{
			{ID: "yes", Title: "Yes, adopt the amendment to the municipal charter as published in the official gazette"},
			{ID: "no", Title: "No"}}},
	}, 2)
	ua := evaluate[string](p, `navigator.userAgent`)
	if _, err := chromedp.Call(p.ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
		UserAgent: ua, AcceptLanguage: "fr-CA,fr;q=0.9,en;q=0.5"}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(p.ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/New_York"}); err != nil {
		t.Fatal(err)
	}
	p.do("open the voter page", chromedp.Navigate(b.srv.URL+"/"))
	p.waitJS("the credential step", visible("#step-credential"))
	if got := evaluate[string](p, `document.documentElement.lang + " " + document.getElementById("lang").value`); got != "fr fr" {
		t.Errorf("page language and switcher = %q, want the browser's (fr fr)", got)
	}
	if got, want := p.text("#h-credential"), i18n.Default.Message("fr", "vote.credential.h"); got != want {
		t.Errorf("credential heading = %q, want %q", got, want)
	}
	opens := b.sim.Manifest.Opens
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	line := p.text("#election-line")
	if local, utc := opens.In(ny).Format("15:04"), opens.UTC().Format("15:04"); !strings.Contains(line, local) || !strings.Contains(line, utc+" UTC") {
		t.Errorf("election line %q: want the opening in New York time (%s) with UTC beside (%s UTC)", line, local, utc)
	}

	// The switcher, from the keyboard: the next language down is German.
	p.do("switch to German with the keyboard", press("#lang", kb.ArrowDown))
	p.waitJS("the page in German", `document.documentElement.lang === "de"`)
	if got, want := p.text("#h-credential"), i18n.Default.Message("de", "vote.credential.h"); got != want {
		t.Errorf("credential heading after switching = %q, want %q", got, want)
	}
	p.setLanguage("fr")

	p.do("upload the credential", chromedp.SetUploadFiles(css("#credential-file"), []string{b.credentialFile(t, 0)}))
	p.waitJS("the ballot step", visible("#step-ballot"))
	p.do("mark yes and encrypt", press("#c0-o0", " "), press("#encrypt", kb.Enter))
	p.waitJS("the confirmation code", visible("#step-decide"))
	p.screenshot("voter-long-title.png")

	// The check can fail: without its label the switcher has no name.
	if src := p.axeScript(); src != "" {
		p.loadAxe(src)
		evaluate[bool](p, `document.querySelector("label[for=lang]").remove(), true`)
		if v := p.axeViolations("unlabelled switcher"); !slices.ContainsFunc(v, func(s string) bool { return strings.HasPrefix(s, "select-name") }) {
			t.Errorf("axe-core violations without the switcher's label = %q, want select-name", v)
		}
	}
}
