package crypto_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/evote/evote/crypto"
	"github.com/evote/evote/internal/specvectors"
)

// TestTextVectors runs docs/spec/vectors/writein.txt: write-in text
// embedded into ristretto255 elements and back (docs/spec/ranked.md §8).
func TestTextVectors(t *testing.T) {
	specvectors.Generated(t, "writein.txt", generateTextVectors(t))
	specvectors.Run(t, "writein.txt", func(t *testing.T, v *specvectors.Vector) {
		switch op := v.String("op"); op {
		case "encode":
			var text string
			if _, ok := v.Lookup("text"); ok {
				text = v.Quoted("text")
			} else {
				text = string(v.Hex("text-hex"))
			}
			elems, err := crypto.EncodeText(text, int(v.Uint("elements")))
			if !v.Outcome(reasonsOf(err)...) {
				return
			}
			v.Expect("encoding", elementsHex(elems))
			v.Expect("tries", triesOf(t, elems))
		case "decode":
			var elems []*crypto.Element
			for _, h := range strings.Fields(v.String("encoding")) {
				b, err := specvectors.DecodeHex(h)
				if err != nil {
					t.Fatal(err)
				}
				e, err := crypto.NewElement().SetCanonicalBytes(b)
				if err != nil {
					t.Fatal(err)
				}
				elems = append(elems, e)
			}
			text, err := crypto.DecodeText(elems)
			if v.Outcome(reasonsOf(err)...) {
				v.Expect("text", specvectors.Quote(text))
			}
		default:
			t.Fatalf("unknown op %q", op)
		}
	})
}

func reasonsOf(err error) []string {
	if err == nil {
		return nil
	}
	return []string{textReason(err)}
}

func elementsHex(elems []*crypto.Element) string {
	s := make([]string, len(elems))
	for i, e := range elems {
		s[i] = fmt.Sprintf("%x", e.Bytes())
	}
	return strings.Join(s, " ")
}

// triesOf recovers each element's counter j from its encoding (byte 0 =
// 2·(j mod 128), byte 31 = j / 128) and returns the tries, j + 1.
func triesOf(t testing.TB, elems []*crypto.Element) string {
	s := make([]string, len(elems))
	for i, e := range elems {
		b := e.Bytes()
		s[i] = fmt.Sprint(int(b[31])*128 + int(b[0])/2 + 1)
	}
	return strings.Join(s, " ")
}

func generateTextVectors(t *testing.T) []byte {
	w := specvectors.NewWriter(`Write-in text embedded into ristretto255 elements, for plain ElGamal:
docs/spec/ranked.md §8.
Runner: TestTextVectors (crypto); regenerate with
  go test ./crypto -run TestTextVectors -update
Operations: encode (inputs text, a JSON string literal, or text-hex, its
bytes where they are not UTF-8, and elements, the count m) gives encoding, the m elements' canonical encodings separated by
spaces, and tries, the tries of each element (its counter j plus 1);
decode (input encoding) gives text, as a JSON string literal.
Rejections: element-count (m outside 1…64), too-long (the text, or the
decoded length field, exceeds 30·m − 2 bytes), not-utf8, control-character
(a Unicode Cc character), non-zero-padding (a byte after the text is not
zero), not-text-element (an encoding whose byte 31 is 0x7f, outside the
counter's range).`)
	for i, tt := range textCases {
		w.Vector(fmt.Sprintf("encode-%d", i))
		w.Input("op", "encode")
		w.Input("text", specvectors.Quote(tt.text))
		w.Input("elements", tt.m)
		elems, err := crypto.EncodeText(tt.text, tt.m)
		if err != nil {
			t.Fatal(err)
		}
		w.Expect("encoding", elementsHex(elems))
		w.Expect("tries", triesOf(t, elems))
		w.Vector(fmt.Sprintf("decode-%d", i))
		w.Input("op", "decode")
		w.Input("encoding", elementsHex(elems))
		w.Expect("text", specvectors.Quote(tt.text))
	}
	for _, tt := range []struct {
		name, text string
		m          int
		reason     string
	}{
		{"zero-elements", "a", 0, "element-count"},
		{"too-many-elements", "a", crypto.MaxTextElements + 1, "element-count"},
		{"too-long", strings.Repeat("x", 29), 1, "too-long"},
		{"not-utf8", "a\xc3", 1, "not-utf8"},
		{"nul", "a\x00b", 1, "control-character"},
		{"line-feed", "a\nb", 1, "control-character"},
	} {
		w.Vector("encode-" + tt.name)
		w.Input("op", "encode")
		if utf8.ValidString(tt.text) {
			w.Input("text", specvectors.Quote(tt.text))
		} else {
			w.Input("text-hex", []byte(tt.text))
		}
		w.Input("elements", tt.m)
		w.Reject(tt.reason)
	}
	for _, tt := range decodeRefusals(t) {
		if tt.name == "too-many-elements" {
			continue // 65 lines of hex say nothing element-count does not
		}
		w.Vector("decode-" + tt.name)
		w.Input("op", "decode")
		w.Input("encoding", elementsHex(tt.elems))
		w.Reject(tt.reason)
	}
	return w.Bytes()
}
