package ballot

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
)

// TestCheckText checks the text rule of docs/spec/ballot.md §1.1, one
// class of refused characters at a time, and text it must accept.
func TestCheckText(t *testing.T) {
	good := []string{
		"Mayor",
		"Springfield municipal election & referendum, 2026",
		"Élection municipale — 2ᵉ tour",
		"Marge\u00a0Simpson", // a no-break space inside
		"市長選挙",               // CJK
		"رئيس البلدية",       // Arabic letters: right to left by themselves, no control needed
		"Ja 👍",               // an emoji without a joiner
		"\U0001F600",         // outside the BMP
		"x",                  // one byte
		strings.Repeat("x", MaxTitleLen),
	}
	for _, s := range good {
		if err := CheckText(s, MaxTitleLen); err != nil {
			t.Errorf("CheckText(%q) = %v, want nil", s, err)
		}
	}
	bad := []struct {
		class string
		s     string
		want  string
	}{
		{"empty", "", "must not be empty"},
		{"too long", strings.Repeat("é", MaxTitleLen/2) + "x", "at most 1024"},
		{"invalid UTF-8", "Ma\xffyor", "not valid UTF-8"},

		{"leading space", " Mayor", "white space"},
		{"trailing space", "Mayor ", "white space"},
		{"leading tab", "\tMayor", "white space"},
		{"leading no-break space", "\u00a0Mayor", "white space"},
		{"trailing NEL", "Mayor\u0085", "white space"},
		{"trailing ideographic space", "Mayor\u3000", "white space"},
		{"leading em space", "\u2003Mayor", "white space"},

		{"C0 control", "Ma\nyor", "control character"},
		{"NUL", "Ma\x00yor", "control character"},
		{"DEL", "Ma\x7fyor", "control character"},
		{"C1 control NEL inside", "Ma\u0085yor", "control character"},
		{"C1 control CSI", "Ma\u009byor", "control character"},

		{"right-to-left override", "\u202eecilA ,etov ton oD", "bidirectional control"},
		{"left-to-right embedding", "Ma\u202ayor", "bidirectional control"},
		{"right-to-left embedding", "Ma\u202byor", "bidirectional control"},
		{"pop directional formatting", "Ma\u202cyor", "bidirectional control"},
		{"left-to-right override", "Ma\u202dyor", "bidirectional control"},
		{"left-to-right isolate", "Ma\u2066yor", "bidirectional control"},
		{"right-to-left isolate", "Ma\u2067yor", "bidirectional control"},
		{"first strong isolate", "Ma\u2068yor", "bidirectional control"},
		{"pop directional isolate", "Ma\u2069yor", "bidirectional control"},
		{"left-to-right mark", "Ma\u200eyor", "bidirectional control"},
		{"right-to-left mark", "Ma\u200fyor", "bidirectional control"},
		{"Arabic letter mark", "Ma\u061cyor", "bidirectional control"},

		{"zero width space", "Ma\u200byor", "zero-width character"},
		{"zero width non-joiner", "Ma\u200cyor", "zero-width character"},
		{"zero width joiner", "Ma\u200dyor", "zero-width character"},
		{"word joiner", "Ma\u2060yor", "zero-width character"},
		{"zero width no-break space", "Ma\ufeffyor", "zero-width character"},
		{"byte order mark first", "\ufeffMayor", "zero-width character"},

		{"line separator", "Ma\u2028yor", "line or paragraph separator"},
		{"paragraph separator", "Ma\u2029yor", "line or paragraph separator"},

		{"soft hyphen", "Ma\u00adyor", "format character"},
		{"invisible times", "Ma\u2062yor", "format character"},
		{"Mongolian vowel separator", "Ma\u180eyor", "format character"},
		{"interlinear annotation", "Ma\ufff9yor", "format character"},
		{"tag character", "Mayor\U000e0041", "format character"},
		{"language tag", "\U000e0001Mayor", "format character"},
	}
	for _, c := range bad {
		t.Run(c.class, func(t *testing.T) {
			err := CheckText(c.s, MaxTitleLen)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("CheckText(%q) = %v, want an error containing %q", c.s, err, c.want)
			}
		})
	}
}

// TestInvisibleTextTable checks that the refused characters are exactly
// the Unicode general categories Cc, Cf, Zl and Zp of Unicode 15.0.0, as
// docs/spec/ballot.md §1.1 says, and that they contain every character the
// finding named.
func TestInvisibleTextTable(t *testing.T) {
	named := []rune{0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c,
		0x200b, 0x200c, 0x200d, 0x2060, 0xfeff, 0x2028, 0x2029}
	for _, r := range named {
		if !unicode.Is(invisibleText, r) {
			t.Errorf("%U is not refused", r)
		}
	}
	categories := []*unicode.RangeTable{unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		in, want := unicode.Is(invisibleText, r), unicode.In(r, categories...)
		switch {
		case in && !want:
			t.Errorf("%U is refused but is not of category Cc, Cf, Zl or Zp", r)
		case !in && want && unicode.Version == "15.0.0":
			t.Errorf("%U is of category Cc, Cf, Zl or Zp but is not refused", r)
		case !in && want:
			t.Logf("%U is of category Cc, Cf, Zl or Zp in Unicode %s but not in 15.0.0: docs/spec/ballot.md §1.1 does not refuse it", r, unicode.Version)
		}
	}
}

// TestManifestTextRefused checks that the definition refuses, at the right
// path, invisible characters in every kind of text and duplicate option
// titles.
func TestManifestTextRefused(t *testing.T) {
	sample := readFile(t, "testdata/manifest-sample.json")
	for _, c := range []struct {
		name       string
		mutate     func(obj)
		path, want string
	}{
		{"election title with an override", func(m obj) { m["title"] = "\u202eecilA ,etov ton oD" }, "$.title", "U+202E"},
		{"contest title with an isolate", func(m obj) { contest(m, 0)["title"] = "Mayor\u2067" }, "$.contests[0].title", "bidirectional control"},
		{"option title with a zero width space", func(m obj) { options(m, 0)[0].(obj)["title"] = "Marge\u200bSimpson" }, "$.contests[0].options[0].title", "zero-width character"},
		{"option title with a line separator", func(m obj) { options(m, 1)[0].(obj)["title"] = "Lisa\u2028Simpson" }, "$.contests[1].options[0].title", "line or paragraph separator"},
		{"option title with a tag", func(m obj) { options(m, 1)[1].(obj)["title"] = "Apu\U000e0020" }, "$.contests[1].options[1].title", "format character"},
		{"trustee name with a mark", func(m obj) { trustee(m, 0)["name"] = "Trustee\u200fOne" }, "$.trustees[0].name", "bidirectional control"},
		{"duplicate option title", func(m obj) { options(m, 0)[2].(obj)["title"] = "Marge Simpson" }, "$.contests[0].options[2].title",
			`duplicate option title "Marge Simpson" (also $.contests[0].options[0])`},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantProblem(t, mutateJSON(t, sample, c.mutate), c.path, c.want)
		})
	}

	// Equal titles in different contests, and an option titled as its
	// contest, are fine: the voter sees them apart.
	data := mutateJSON(t, sample, func(m obj) {
		options(m, 4)[0].(obj)["title"] = "Mayor"
		options(m, 3)[0].(obj)["title"] = "Yes"
	})
	if _, err := ParseManifest(data); err != nil {
		t.Errorf("ParseManifest = %v, want nil", err)
	}
}

// TestManifestEncKeyRefused checks that the definition refuses the
// trustee HPKE keys that the key ceremony refuses (docs/spec/ceremony.md
// §2.1): a trustee could never seal a share to them.
func TestManifestEncKeyRefused(t *testing.T) {
	sample := readFile(t, "testdata/manifest-sample.json")
	good := testX25519Key("enc key refused")
	topBit := append([]byte(nil), good...)
	topBit[31] |= 0x80
	p := append([]byte{0xed}, append(bytes.Repeat([]byte{0xff}, 30), 0x7f)...)      // u = p
	pPlus1 := append([]byte{0xee}, append(bytes.Repeat([]byte{0xff}, 30), 0x7f)...) // u = p + 1, ≡ 1
	zero := make([]byte, 32)
	one := append([]byte{1}, make([]byte, 31)...)
	for _, c := range []struct {
		name string
		key  []byte
		want string
	}{
		{"top bit set", topBit, "top bit"},
		{"u = p", p, "u ≥ 2^255 − 19"},
		{"u = p + 1", pPlus1, "u ≥ 2^255 − 19"},
		{"u = 0", zero, "low order"},
		{"u = 1", one, "low order"},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := mutateJSON(t, sample, func(m obj) { trustee(m, 1)["enc_key"] = b64(c.key) })
			wantProblem(t, data, "$.trustees[1].enc_key", c.want)
		})
	}
	data := mutateJSON(t, sample, func(m obj) { trustee(m, 1)["enc_key"] = b64(good) })
	if _, err := ParseManifest(data); err != nil {
		t.Errorf("ParseManifest with a fresh X25519 key = %v, want nil", err)
	}
}

// TestValidLogNameInvisible checks that log names refuse what text refuses.
func TestValidLogNameInvisible(t *testing.T) {
	for _, s := range []string{"vote.example.org/2026\u202e", "vote\u200b.example.org", "vote.example.org\u2028", "vote.example.org/\U000e0041", "\xff.example"} {
		if ValidLogName(s) {
			t.Errorf("ValidLogName(%q) = true, want false", s)
		}
	}
	if !ValidLogName("vote.example.org/2026-municipal") {
		t.Error("ValidLogName(vote.example.org/2026-municipal) = false")
	}
}
