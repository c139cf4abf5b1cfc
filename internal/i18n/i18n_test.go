package i18n

import (
	"encoding/json"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.Keys()); n < 100 {
		t.Errorf("catalogue has %d keys, want the pages' and the CLI's (>= 100)", n)
	}
	for _, lang := range Languages {
		if c.Message(lang, "lang.name") == "" {
			t.Errorf("language %q has no lang.name", lang)
		}
	}
}

// mutated returns the embedded locales with lang's messages changed by f.
func mutated(t *testing.T, lang string, f func(m map[string]string)) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	for _, l := range Languages {
		b, err := fs.ReadFile(locales, "locales/"+l+".json")
		if err != nil {
			t.Fatal(err)
		}
		if l == lang {
			var m map[string]string
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			f(m)
			if b, err = json.Marshal(m); err != nil {
				t.Fatal(err)
			}
		}
		out["locales/"+l+".json"] = &fstest.MapFile{Data: b}
	}
	return out
}

func TestLoadRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, lang string
		f          func(m map[string]string)
		want       string
	}{
		{"missing key", "fr", func(m map[string]string) { delete(m, "vote.title") }, `language "fr" lacks message "vote.title"`},
		{"extra key", "de", func(m map[string]string) { m["vote.extra"] = "x" }, `language "de" has message "vote.extra" that English lacks`},
		{"extra key in English", "en", func(m map[string]string) { m["vote.extra"] = "x" }, `language "fr" lacks message "vote.extra"`},
		{"empty", "es", func(m map[string]string) { m["vote.title"] = "" }, `message "vote.title" in "es" is empty`},
		{"verb dropped", "fr", func(m map[string]string) { m["cli.vote.code"] = "code" }, `message "cli.vote.code" in "fr" has verbs`},
		{"verb changed", "es", func(m map[string]string) { m["cli.vote.code"] = "código: %d" }, `message "cli.vote.code" in "es" has verbs`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(mutated(t, tc.lang, tc.f))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("load = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		prefs []string
		want  string
	}{
		{nil, "en"},
		{[]string{"fr-CA", "en"}, "fr"},
		{[]string{"de-AT"}, "de"},
		{[]string{"es-419", "fr"}, "es"},
		{[]string{"ja", "de"}, "de"},
		{[]string{"ja"}, "en"},
		{[]string{"not a tag!", "es"}, "es"},
	} {
		if got := Default.Match(tc.prefs...); got != tc.want {
			t.Errorf("Match(%q) = %q, want %q", tc.prefs, got, tc.want)
		}
	}
}

func TestPrinter(t *testing.T) {
	for _, tc := range []struct{ lang, want string }{
		{"en", "confirmation code: ABC"},
		{"fr", "code de confirmation : ABC"},
		{"de", "Bestätigungscode: ABC"},
		{"es", "código de confirmación: ABC"},
		{"xx", "confirmation code: ABC"},
	} {
		if got := Default.Printer(tc.lang).Sprintf("cli.vote.code", "ABC"); got != tc.want {
			t.Errorf("Printer(%q).Sprintf(cli.vote.code) = %q, want %q", tc.lang, got, tc.want)
		}
	}
	if got, want := Default.Printer("fr").Sprintf("cli.vote.next", "b.json"), "ensuite : `evote vote cast --prepared b.json` ou `evote vote challenge --prepared b.json`"; got != want {
		t.Errorf("indexed verbs: got %q, want %q", got, want)
	}
}

func TestJSON(t *testing.T) {
	var v struct {
		Languages []string                     `json:"languages"`
		Messages  map[string]map[string]string `json:"messages"`
	}
	if err := json.Unmarshal(Default.JSON(), &v); err != nil {
		t.Fatal(err)
	}
	if strings.Join(v.Languages, ",") != strings.Join(Languages, ",") {
		t.Errorf("languages = %q, want %q", v.Languages, Languages)
	}
	for _, lang := range Languages {
		for _, k := range Default.Keys() {
			if v.Messages[lang][k] != Default.Message(lang, k) {
				t.Errorf("JSON %s %s = %q, want %q", lang, k, v.Messages[lang][k], Default.Message(lang, k))
			}
		}
	}
}
