package web

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/net/html"

	"github.com/evote/evote/internal/i18n"
)

// pageKeys walks the HTML page name and returns the catalogue keys its
// elements name (data-i18n, data-i18n-html), each with the English the
// page shows without the catalogue. It fails the test for any text with a
// letter in it that no marked element holds: a page string the catalogue
// lacks.
func pageKeys(t *testing.T, name string) map[string]string {
	t.Helper()
	b, err := fs.ReadFile(static, "static/"+name)
	if err != nil {
		t.Fatal(err)
	}
	// Parsed as without JavaScript, so noscript's content is checked too.
	doc, err := html.ParseWithOptions(strings.NewReader(string(b)), html.ParseOptionEnableScripting(false))
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	var walk func(n *html.Node, marked bool)
	walk = func(n *html.Node, marked bool) {
		if n.Type == html.ElementNode {
			if n.Data == "script" || n.Data == "style" {
				return
			}
			for _, a := range n.Attr {
				switch a.Key {
				case "data-i18n":
					keys[a.Val] = collapse(text(n))
					marked = true
				case "data-i18n-html":
					keys[a.Val] = collapse(inner(t, n))
					marked = true
				}
			}
		}
		if n.Type == html.TextNode && !marked && strings.IndexFunc(n.Data, unicode.IsLetter) >= 0 {
			t.Errorf("%s: text %q is not in the message catalogue (mark its element data-i18n)", name, collapse(n.Data))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, marked)
		}
	}
	walk(doc, false)
	return keys
}

func text(n *html.Node) string {
	var sb strings.Builder
	var f func(*html.Node)
	f = func(n *html.Node) {
		if n.Type == html.TextNode {
			sb.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			f(c)
		}
	}
	f(n)
	return sb.String()
}

func inner(t *testing.T, n *html.Node) string {
	var sb strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if err := html.Render(&sb, c); err != nil {
			t.Fatal(err)
		}
	}
	return html.UnescapeString(sb.String())
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// scriptKey finds the string literals of the pages' scripts that look
// like catalogue keys: t("observe.most", …), say(el, "phase." + p) (a
// family of keys, ending in a dot).
var scriptKey = regexp.MustCompile(`"([a-z][a-z0-9-]*\.[a-z0-9.-]*)"`)

// TestPageStringsInCatalogue checks that every string of the voter and
// observer pages is in the catalogue, in English exactly as the page shows
// it without the catalogue, that every key the scripts ask for is there,
// and that every page key of the catalogue is used.
func TestPageStringsInCatalogue(t *testing.T) {
	used := map[string]bool{"lang.name": true}
	for _, page := range []string{"index.html", "observe.html"} {
		for k, en := range pageKeys(t, page) {
			used[k] = true
			if !i18n.Default.Has(k) {
				t.Errorf("%s: key %q is not in the catalogue", page, k)
				continue
			}
			if got := i18n.Default.Message("en", k); got != en {
				t.Errorf("%s: key %q: page shows %q, catalogue's English is %q", page, k, en, got)
			}
		}
	}
	for _, js := range []string{"app.js", "observe.js", "i18n.js"} {
		b, err := fs.ReadFile(static, "static/"+js)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range scriptKey.FindAllStringSubmatch(string(b), -1) {
			key, namespace := m[1], m[1][:strings.Index(m[1], ".")+1]
			if !slices.ContainsFunc(i18n.Default.Keys(), func(k string) bool { return strings.HasPrefix(k, namespace) }) {
				continue // not a key: "registration.json"
			}
			if strings.HasSuffix(key, ".") {
				for _, k := range i18n.Default.Keys() {
					used[k] = used[k] || strings.HasPrefix(k, key)
				}
				continue
			}
			used[key] = true
			if !i18n.Default.Has(key) {
				t.Errorf("%s: key %q is not in the catalogue", js, key)
			}
		}
	}
	for _, k := range i18n.Default.Keys() {
		// cli.* are evote vote's; client.* the module's problems and
		// rules, which voterclient's TestProblemKeys checks.
		if !strings.HasPrefix(k, "cli.") && !strings.HasPrefix(k, "client.") && !used[k] {
			t.Errorf("catalogue key %q is used by no page", k)
		}
	}
	if !slices.Contains(i18n.Default.Keys(), "vote.noscript") {
		t.Error("the voter page says nothing without JavaScript")
	}
}
