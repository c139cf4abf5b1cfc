// Package i18n is the message catalogue of the voter-facing interfaces: the
// voter and observer pages (voterclient/web) and the voter's CLI messages
// (evote vote). Each language's messages are one JSON file in locales/,
// mapping a key to a golang.org/x/text/message format string; every
// language has exactly the keys of English, with the same verbs. The Go
// side formats them with x/text's message.Printer; the pages get the same
// files as one JSON object (JSON), so a string is translated once for both.
package i18n

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

//go:embed locales/*.json
var locales embed.FS

// Languages are the catalogue's languages, English (the fallback) first.
var Languages = []string{"en", "fr", "de", "es"}

// Catalogue holds every language's messages.
type Catalogue struct {
	msgs    map[string]map[string]string // language → key → format
	builder *catalog.Builder
	matcher language.Matcher
	tags    []language.Tag
}

// verbs finds the formatting verbs of a message: %s, %d, %v, %[2]s, %%.
var verbs = regexp.MustCompile(`%(\[[0-9]+\])?[sdvq%]`)

// Load reads the embedded catalogue and checks it: every language has
// exactly English's keys, each with the same verbs as in English, and no
// message is empty.
func Load() (*Catalogue, error) { return load(locales) }

func load(fsys fs.FS) (*Catalogue, error) {
	c := &Catalogue{msgs: map[string]map[string]string{}, builder: catalog.NewBuilder(catalog.Fallback(language.English))}
	for _, lang := range Languages {
		b, err := fs.ReadFile(fsys, "locales/"+lang+".json")
		if err != nil {
			return nil, fmt.Errorf("i18n: reading language %q: %w", lang, err)
		}
		var m map[string]string
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("i18n: parsing locales/%s.json: %w", lang, err)
		}
		c.msgs[lang] = m
		tag := language.MustParse(lang)
		c.tags = append(c.tags, tag)
		for k, v := range m {
			if err := c.builder.SetString(tag, k, v); err != nil {
				return nil, fmt.Errorf("i18n: message %q in %s: %w", k, lang, err)
			}
		}
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	c.matcher = language.NewMatcher(c.tags)
	return c, nil
}

// check reports the first language that lacks a key of English, has a key
// English lacks, has an empty message, or whose message's verbs differ.
func (c *Catalogue) check() error {
	en := c.msgs["en"]
	for _, lang := range Languages {
		m := c.msgs[lang]
		for _, k := range sortedKeys(en) {
			v, ok := m[k]
			if !ok {
				return fmt.Errorf("i18n: language %q lacks message %q", lang, k)
			}
			if v == "" {
				return fmt.Errorf("i18n: message %q in %q is empty", k, lang)
			}
			if got, want := verbs.FindAllString(v, -1), verbs.FindAllString(en[k], -1); !slices.Equal(got, want) {
				return fmt.Errorf("i18n: message %q in %q has verbs %q, English has %q", k, lang, got, want)
			}
		}
		for _, k := range sortedKeys(m) {
			if _, ok := en[k]; !ok {
				return fmt.Errorf("i18n: language %q has message %q that English lacks", lang, k)
			}
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Default is the embedded catalogue; the package panics at start-up if it
// is inconsistent, which its tests rule out.
var Default = mustLoad()

func mustLoad() *Catalogue {
	c, err := Load()
	if err != nil {
		panic(err)
	}
	return c
}

// Match returns the catalogue language that best matches prefs, the
// reader's languages in order of preference (navigator.languages, an
// Accept-Language header or a --lang flag), as golang.org/x/text/language's
// Matcher chooses, like ballot.Manifest.MatchLanguage: English when
// nothing matches. Tags that do not parse are skipped.
func (c *Catalogue) Match(prefs ...string) string {
	var tags []language.Tag
	for _, p := range prefs {
		if t, err := language.Parse(p); err == nil {
			tags = append(tags, t)
		}
	}
	if len(tags) == 0 {
		return Languages[0]
	}
	_, i, _ := c.matcher.Match(tags...)
	return Languages[i]
}

// Printer returns a printer of the catalogue's messages in lang, one of
// Languages (English for any other).
func (c *Catalogue) Printer(lang string) *message.Printer {
	tag, err := language.Parse(lang)
	if err != nil || !slices.Contains(Languages, lang) {
		tag = language.English
	}
	return message.NewPrinter(tag, message.Catalog(c.builder))
}

// Has reports whether key is a message of the catalogue.
func (c *Catalogue) Has(key string) bool {
	_, ok := c.msgs["en"][key]
	return ok
}

// Message returns the format string of key in lang, "" if there is none.
func (c *Catalogue) Message(lang, key string) string { return c.msgs[lang][key] }

// Keys returns the catalogue's keys, sorted.
func (c *Catalogue) Keys() []string { return sortedKeys(c.msgs["en"]) }

// JSON returns the whole catalogue as the pages load it: an object with
// "languages" (Languages, in order) and "messages", language → key →
// format string.
func (c *Catalogue) JSON() []byte {
	b, err := json.Marshal(struct {
		Languages []string                     `json:"languages"`
		Messages  map[string]map[string]string `json:"messages"`
	}{Languages, c.msgs})
	if err != nil {
		panic(err) // maps of strings always marshal
	}
	return b
}
