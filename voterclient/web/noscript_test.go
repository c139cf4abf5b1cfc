package web_test

import (
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/i18n"
	"github.com/evote/evote/voterclient/web"
)

// TestNoscriptLanguage checks that the voter and observer pages say what
// to do without JavaScript in the language the browser asks for, picked
// from Accept-Language, with the same Content-Security-Policy; English
// when no language of the catalogue matches.
func TestNoscriptLanguage(t *testing.T) {
	dir, _ := fakeBuild(t)
	h, err := pages(web.Options{WasmDir: dir, State: new(election.Tracker).State})
	must(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	_, english := get(t, srv, "/")
	csp := ""
	for _, tc := range []struct {
		path, accept, lang, key string
	}{
		{"/", "", "en", "vote.noscript"},
		{"/", "de-CH, fr;q=0.8", "de", "vote.noscript"},
		{"/", "es-419", "es", "vote.noscript"},
		{"/", "ja, fr-CA;q=0.5", "fr", "vote.noscript"},
		{"/", "ja", "en", "vote.noscript"},
		{"/", "not a header;;", "en", "vote.noscript"},
		{"/observe", "fr", "fr", "observe.noscript"},
	} {
		req, err := http.NewRequest("GET", srv.URL+tc.path, nil)
		must(t, err)
		if tc.accept != "" {
			req.Header.Set("Accept-Language", tc.accept)
		}
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		var sb strings.Builder
		_, err = io.Copy(&sb, resp.Body)
		resp.Body.Close()
		must(t, err)
		body := sb.String()
		// The English is the page's own HTML, with its entities.
		want := `data-i18n="` + tc.key + `">This page needs JavaScript`
		if tc.lang != "en" {
			want = `lang="` + tc.lang + `">` + html.EscapeString(i18n.Default.Message(tc.lang, tc.key)) + `</p></noscript>`
		}
		if !strings.Contains(body, want) {
			t.Errorf("GET %s, Accept-Language %q: no <noscript> text in %s (%q)", tc.path, tc.accept, tc.lang, want)
		}
		if got := resp.Header.Get("Content-Security-Policy"); csp == "" {
			csp = got
		} else if got != csp {
			t.Errorf("GET %s, Accept-Language %q: CSP %q, want %q", tc.path, tc.accept, got, csp)
		}
		if !strings.Contains(resp.Header.Get("Vary"), "Accept-Language") {
			t.Errorf("GET %s: Vary %q lacks Accept-Language", tc.path, resp.Header.Get("Vary"))
		}
		if tc.path == "/" && tc.lang == "en" && body != string(english) {
			t.Errorf("GET / in English (Accept-Language %q) differs from the page", tc.accept)
		}
		if tc.path == "/" && tc.lang != "en" && strings.Count(body, "\n") != strings.Count(string(english), "\n") {
			t.Errorf("GET / in %s: the page changed beyond its <noscript> text", tc.lang)
		}
	}
}
