package ballot

import (
	"bytes"
	"slices"
	"testing"

	"golang.org/x/text/language"
)

// translatedSample is the sample manifest with its titles in English and
// some of them in Spanish, French and Canadian French.
func translatedSample(t testing.TB) []byte {
	return mutateJSON(t, readFile(t, "testdata/manifest-sample.json"), func(m obj) {
		m["language"] = "en"
		m["translations"] = obj{"es": "Elección municipal y referéndum de Springfield, 2026", "fr": "Élection municipale et référendum de Springfield, 2026"}
		contest(m, 0)["translations"] = obj{"es": "Alcalde", "fr": "Maire", "fr-CA": "Mairesse ou maire"}
		options(m, 4)[0].(obj)["translations"] = obj{"es": "Sí", "fr": "Oui"}
		options(m, 4)[1].(obj)["translations"] = obj{"fr": "Non"}
	})
}

// TestTranslations: translations parse, come out in the canonical form
// after each title (tags sorted), and the lookup picks the reader's best
// language, falling back to the definition's.
func TestTranslations(t *testing.T) {
	m, err := ParseManifest(translatedSample(t))
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.MarshalCanonical()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"title":"Springfield municipal election & referendum, 2026","language":"en","translations":{"es":"Elección municipal y referéndum de Springfield, 2026","fr":"Élection municipale et référendum de Springfield, 2026"},"official":`,
		`{"id":"mayor","title":"Mayor","translations":{"es":"Alcalde","fr":"Maire","fr-CA":"Mairesse ou maire"},"kind":"plurality",`,
		`{"id":"yes","title":"Yes","translations":{"es":"Sí","fr":"Oui"}},{"id":"no","title":"No","translations":{"fr":"Non"}}`,
	} {
		if !bytes.Contains(c, []byte(want)) {
			t.Errorf("canonical form lacks %s:\n%s", want, c)
		}
	}
	if _, err := ParseCanonicalManifest(c); err != nil {
		t.Errorf("ParseCanonicalManifest(canonical) = %v", err)
	}
	if got, want := m.Languages(), []string{"en", "es", "fr", "fr-CA"}; !slices.Equal(got, want) {
		t.Errorf("Languages() = %q, want %q", got, want)
	}
	for _, tc := range []struct{ accept, want string }{
		{"fr-CA,fr;q=0.8", "fr-CA"},
		{"fr-BE", "fr"},
		{"es-MX,en;q=0.5", "es"},
		{"de-DE", "en"},          // nothing matches: the definition's language
		{"en-GB,es;q=0.9", "en"}, // English is the definition's own
		{"", "en"},
	} {
		prefs, _, err := language.ParseAcceptLanguage(tc.accept)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.MatchLanguage(prefs...); got != tc.want {
			t.Errorf("MatchLanguage(%q) = %q, want %q", tc.accept, got, tc.want)
		}
	}
	fr := m.Localize("fr")
	if fr.Title != "Élection municipale et référendum de Springfield, 2026" || fr.Contests[0].Title != "Maire" || fr.Contests[1].Title != m.Contests[1].Title ||
		fr.Contests[4].Options[0].Title != "Oui" || fr.Contests[4].Options[1].Title != "Non" {
		t.Errorf("Localize(fr) titles = %q, %q, %q, %q", fr.Title, fr.Contests[0].Title, fr.Contests[4].Options[0].Title, fr.Contests[4].Options[1].Title)
	}
	if es := m.Localize("es"); es.Contests[4].Options[1].Title != "No" {
		t.Errorf("Localize(es) of an untranslated option = %q, want the English title", es.Contests[4].Options[1].Title)
	}
	if m.Contests[0].Title != "Mayor" || m.Contests[4].Options[0].Title != "Yes" {
		t.Error("Localize changed the definition it was called on")
	}
}

// TestNoLanguage: a definition without translations keeps its encoding
// and hash (the sample's, vectors/manifest.txt), and names no language.
func TestNoLanguage(t *testing.T) {
	m := sampleManifest(t)
	if m.Languages() != nil || m.MatchLanguage(language.French) != "" {
		t.Errorf("a definition without a language: Languages() = %q, MatchLanguage = %q", m.Languages(), m.MatchLanguage(language.French))
	}
	if l := m.Localize("fr"); l.Title != m.Title {
		t.Errorf("Localize of a definition without translations changed its title to %q", l.Title)
	}
}
