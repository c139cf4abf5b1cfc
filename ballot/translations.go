package ballot

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"golang.org/x/text/language"
)

// MaxTranslations bounds the translations of one title (docs/spec/ballot.md
// §1.7).
const MaxTranslations = 64

// Translations are a title in other languages than the definition's
// Language (docs/spec/ballot.md §1.7): canonical BCP 47 language tags
// (as golang.org/x/text/language writes them: "es", "fr-CA", "zh-Hant")
// mapped to the title in that language. nil when there are none.
type Translations map[string]string

// In returns the title in language lang: its translation into lang if
// there is one, else def, the title in the definition's language.
func (t Translations) In(def, lang string) string {
	if s, ok := t[lang]; ok {
		return s
	}
	return def
}

// Languages returns the languages of m's text: its Language first, then
// every language a title is translated into, in sorted order. It returns
// nil for a definition that names no language.
func (m *Manifest) Languages() []string {
	if m.Language == "" {
		return nil
	}
	seen := map[string]bool{m.Language: true}
	add := func(t Translations) {
		for tag := range t {
			seen[tag] = true
		}
	}
	add(m.Translations)
	for _, c := range m.Contests {
		add(c.Translations)
		for _, o := range c.Options {
			add(o.Translations)
		}
	}
	delete(seen, m.Language)
	return append([]string{m.Language}, slices.Sorted(maps.Keys(seen))...)
}

// MatchLanguage returns the language of m's text that best matches prefs,
// the reader's languages in order of preference (an HTTP Accept-Language
// header parsed by language.ParseAcceptLanguage, or a --lang flag), as
// golang.org/x/text/language's Matcher chooses: m's Language when nothing
// matches better. It returns "" for a definition that names no language.
func (m *Manifest) MatchLanguage(prefs ...language.Tag) string {
	langs := m.Languages()
	if len(langs) == 0 {
		return ""
	}
	supported := make([]language.Tag, len(langs))
	for i, l := range langs {
		supported[i] = language.Make(l)
	}
	_, i, _ := language.NewMatcher(supported).Match(prefs...)
	return langs[i]
}

// Localize returns a copy of m whose titles are in language lang, where
// they are translated into it (Translations.In), for display. The copy
// shares m's keys, styles and trust policy; its Translations are m's.
func (m *Manifest) Localize(lang string) *Manifest {
	out := *m
	out.Title = m.Translations.In(m.Title, lang)
	out.Contests = make([]Contest, len(m.Contests))
	for i, c := range m.Contests {
		c.Title = c.Translations.In(c.Title, lang)
		c.Options = slices.Clone(c.Options)
		for k, o := range c.Options {
			c.Options[k].Title = o.Translations.In(o.Title, lang)
		}
		out.Contests[i] = c
	}
	return &out
}

// language decodes the definition's $.language: a canonical BCP 47 tag.
func (w *walker) language(path string, raw json.RawMessage) (string, bool) {
	s, ok := w.str(path, raw)
	if !ok {
		return "", false
	}
	if problem := checkLanguageTag(s); problem != "" {
		w.addf(path, "%s", problem)
		return s, false
	}
	return s, true
}

// checkLanguageTag returns what is wrong with s as a language of a
// definition, or "": it must be a well-formed BCP 47 tag, written as
// golang.org/x/text/language canonicalises it, and name a language.
func checkLanguageTag(s string) string {
	tag, err := language.Parse(s)
	if err != nil {
		return fmt.Sprintf("%q is not a BCP 47 language tag: %v", s, err)
	}
	if c := tag.String(); c != s {
		return fmt.Sprintf("language tag %q is not in canonical form: write %q", s, c)
	}
	if tag == language.Und {
		return fmt.Sprintf("%q names no language", s)
	}
	return ""
}

// translations decodes the translations of the title at path+".title",
// whose language is lang (the definition's $.language; "" if it names
// none or it is invalid, langOK false if it is invalid).
func (w *walker) translations(path string, raw json.RawMessage, lang string, langOK bool) Translations {
	path += ".translations"
	list, ok := w.members(path, raw)
	if !ok {
		return nil
	}
	switch {
	case len(list) == 0:
		w.addf(path, "no translations: leave translations out")
		return nil
	case len(list) > MaxTranslations:
		w.addf(path, "%d translations, at most %d allowed", len(list), MaxTranslations)
		return nil
	case lang == "" && langOK && !w.noLang:
		w.addf(path, "translations need $.language, the language of the titles")
		w.noLang = true // said once
	}
	t := make(Translations, len(list))
	for _, m := range list {
		p := fmt.Sprintf("%s[%q]", path, m.key)
		if problem := checkLanguageTag(m.key); problem != "" {
			w.addf(p, "%s", problem)
			continue
		}
		if m.key == lang {
			w.addf(p, "%q is the language of the title itself ($.language)", m.key)
			continue
		}
		if s, ok := w.title(p, m.value); ok {
			t[m.key] = s
		}
	}
	return t
}

// uniqueTranslations reports two options of a contest whose titles are
// equal in one language: a voter reading it could not tell them apart.
func (w *walker) uniqueTranslations(path string, c *Contest) {
	seen := map[[2]string]int{}
	for i, o := range c.Options {
		for _, lang := range slices.Sorted(maps.Keys(o.Translations)) {
			key := [2]string{lang, o.Translations[lang]}
			if j, dup := seen[key]; dup {
				w.addf(fmt.Sprintf("%s[%d].translations[%q]", path, i, lang), "duplicate option title %q in %s (also %s[%d]): a voter could not tell the options apart", key[1], lang, path, j)
			}
			seen[key] = i
		}
	}
}
