package ballot

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// MaxClientNameLen is the longest name of a client build in a client-hash
// record (docs/spec/election.md §2.1): a file name.
const MaxClientNameLen = 255

// CheckText returns what is wrong with s as human-readable text of at most
// maxLen bytes, or nil (docs/spec/ballot.md §1.1, "Text"): s is valid
// UTF-8 of 1 to maxLen bytes, neither its first nor its last character is
// white space, and it holds no character of invisibleText: no control
// character, and none of the invisible characters that change how the text
// around them displays (bidirectional controls, zero-width characters,
// line and paragraph separators). A title "\u202eecilA ,etov ton oD"
// displays as "Do not vote, Alice".
//
// Titles, trustee names and the names of client builds are text.
func CheckText(s string, maxLen int) error {
	switch {
	case s == "":
		return fmt.Errorf("must not be empty")
	case len(s) > maxLen:
		return fmt.Errorf("is %d bytes long, at most %d allowed", len(s), maxLen)
	case !utf8.ValidString(s):
		return fmt.Errorf("%q is not valid UTF-8", s)
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return fmt.Errorf("%q has leading or trailing white space", s)
	}
	for _, r := range s {
		if !unicode.Is(invisibleText, r) {
			continue
		}
		if unicode.IsControl(r) {
			return fmt.Errorf("%q contains a control character (%U)", s, r)
		}
		return fmt.Errorf("%q contains %U, an invisible character that changes how the text displays (%s)", s, r, invisibleKind(r))
	}
	return nil
}

// invisibleText is every code point that text (CheckText) may not hold:
// the Unicode general categories Cc (control), Cf (format), Zl (line
// separator) and Zp (paragraph separator), as of Unicode 15.0.0, written
// out so that the rule does not change with the Unicode version of the Go
// release (docs/spec/ballot.md §1.1 lists the same ranges).
var invisibleText = &unicode.RangeTable{
	R16: []unicode.Range16{
		{Lo: 0x0000, Hi: 0x001f, Stride: 1}, // Cc: C0 controls
		{Lo: 0x007f, Hi: 0x009f, Stride: 1}, // Cc: DEL and C1 controls
		{Lo: 0x00ad, Hi: 0x00ad, Stride: 1}, // soft hyphen
		{Lo: 0x0600, Hi: 0x0605, Stride: 1}, // Arabic number signs
		{Lo: 0x061c, Hi: 0x061c, Stride: 1}, // Arabic letter mark
		{Lo: 0x06dd, Hi: 0x06dd, Stride: 1},
		{Lo: 0x070f, Hi: 0x070f, Stride: 1},
		{Lo: 0x0890, Hi: 0x0891, Stride: 1},
		{Lo: 0x08e2, Hi: 0x08e2, Stride: 1},
		{Lo: 0x180e, Hi: 0x180e, Stride: 1}, // Mongolian vowel separator
		{Lo: 0x200b, Hi: 0x200f, Stride: 1}, // zero width space, non-joiner, joiner; LRM, RLM
		{Lo: 0x2028, Hi: 0x2029, Stride: 1}, // Zl, Zp: line and paragraph separators
		{Lo: 0x202a, Hi: 0x202e, Stride: 1}, // bidirectional embeddings and overrides
		{Lo: 0x2060, Hi: 0x2064, Stride: 1}, // word joiner, invisible operators
		{Lo: 0x2066, Hi: 0x206f, Stride: 1}, // bidirectional isolates, deprecated format characters
		{Lo: 0xfeff, Hi: 0xfeff, Stride: 1}, // zero width no-break space (byte order mark)
		{Lo: 0xfff9, Hi: 0xfffb, Stride: 1}, // interlinear annotation
	},
	R32: []unicode.Range32{
		{Lo: 0x110bd, Hi: 0x110bd, Stride: 1},
		{Lo: 0x110cd, Hi: 0x110cd, Stride: 1},
		{Lo: 0x13430, Hi: 0x1343f, Stride: 1}, // Egyptian hieroglyph format controls
		{Lo: 0x1bca0, Hi: 0x1bca3, Stride: 1}, // shorthand format controls
		{Lo: 0x1d173, Hi: 0x1d17a, Stride: 1}, // musical symbol format controls
		{Lo: 0xe0001, Hi: 0xe0001, Stride: 1}, // language tag
		{Lo: 0xe0020, Hi: 0xe007f, Stride: 1}, // tag characters
	},
	LatinOffset: 3,
}

// invisibleKind names the class of a character of invisibleText, for
// error messages.
func invisibleKind(r rune) string {
	switch {
	case r == 0x061c || r == 0x200e || r == 0x200f || 0x202a <= r && r <= 0x202e || 0x2066 <= r && r <= 0x2069:
		return "a bidirectional control"
	case 0x200b <= r && r <= 0x200d || r == 0x2060 || r == 0xfeff:
		return "a zero-width character"
	case r == 0x2028 || r == 0x2029:
		return "a line or paragraph separator"
	}
	return "a format character"
}
