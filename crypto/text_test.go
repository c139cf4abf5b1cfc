package crypto_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/evote/evote/crypto"
)

// textCases are texts and element counts that must round-trip.
var textCases = []struct {
	text string
	m    int
}{
	{"", 1},
	{"Ada Lovelace", 1},
	{strings.Repeat("x", 28), 1}, // exactly MaxTextBytes(1)
	{strings.Repeat("y", 29), 2},
	{"Zoë Ångström", 2},
	{"李小龍 and 🦆", 2},
	{strings.Repeat("é", 59), 4}, // 118 bytes of 118
}

func TestTextRoundTrip(t *testing.T) {
	for _, tt := range textCases {
		elems, err := crypto.EncodeText(tt.text, tt.m)
		if err != nil {
			t.Fatalf("EncodeText(%q, %d): %v", tt.text, tt.m, err)
		}
		if len(elems) != tt.m {
			t.Fatalf("EncodeText(%q, %d) gave %d elements", tt.text, tt.m, len(elems))
		}
		// The layout of docs/spec/ranked.md §8: the framing's bytes are
		// bytes 1…30 of the encodings.
		frame := make([]byte, 30*tt.m)
		binary.BigEndian.PutUint16(frame, uint16(len(tt.text)))
		copy(frame[2:], tt.text)
		for i, e := range elems {
			b := e.Bytes()
			if !bytes.Equal(b[1:31], frame[30*i:30*i+30]) || b[0]&1 != 0 || b[31] > 0x7e {
				t.Errorf("EncodeText(%q) element %d = %x, want payload %x", tt.text, i, b, frame[30*i:30*i+30])
			}
		}
		got, err := crypto.DecodeText(elems)
		if err != nil || got != tt.text {
			t.Errorf("DecodeText(EncodeText(%q)) = %q, %v", tt.text, got, err)
		}
	}
}

// randomText draws a text of up to max bytes of printable runes from
// every plane.
func randomText(r *rand.Rand, max int) string {
	var sb strings.Builder
	for {
		c := rune(r.IntN(0x10000))
		if r.IntN(4) == 0 {
			c = rune(r.IntN(0x80))
		}
		if !utf8.ValidRune(c) || unicode.IsControl(c) {
			continue
		}
		if sb.Len()+utf8.RuneLen(c) > max {
			return sb.String()
		}
		sb.WriteRune(c)
	}
}

// TestTextElGamal: random texts survive EncodeText, plain ElGamal
// encryption, decryption and DecodeText.
func TestTextElGamal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	sk := crypto.GenerateKey()
	for range 30 {
		m := 1 + r.IntN(4)
		text := randomText(r, r.IntN(crypto.MaxTextBytes(m)+1))
		elems, err := crypto.EncodeText(text, m)
		if err != nil {
			t.Fatalf("EncodeText(%q, %d): %v", text, m, err)
		}
		dec := make([]*crypto.Element, m)
		for i, e := range elems {
			ct, _ := sk.PublicKey().EncryptElement(e)
			dec[i] = sk.Decrypt(ct)
		}
		if got, err := crypto.DecodeText(dec); err != nil || got != text {
			t.Fatalf("round trip of %q through ElGamal = %q, %v", text, got, err)
		}
	}
}

// TestTextTries measures the tries of try-and-increment on random chunks:
// about one 32-byte candidate in four is a valid encoding, so the mean is
// near 4 (docs/spec/ranked.md §8.2); far from it, the embedding is wrong.
func TestTextTries(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	const n = 2000
	total, most := 0, 0
	chunk := make([]byte, 30)
	for range n {
		for i := range chunk {
			chunk[i] = byte(r.Uint32())
		}
		_, tries, err := crypto.EncodeTextChunk(chunk)
		if err != nil {
			t.Fatal(err)
		}
		total += tries
		most = max(most, tries)
	}
	mean := float64(total) / n
	t.Logf("mean tries %.2f, most %d, over %d random chunks", mean, most, n)
	if mean < 3 || mean > 5.5 {
		t.Errorf("mean tries %.2f, want about 4", mean)
	}
}

// textReason classifies a text refusal as the vectors name it.
func textReason(err error) string {
	if !errors.Is(err, crypto.ErrInvalidText) {
		return "unexpected: " + err.Error()
	}
	for _, r := range []struct{ reason, phrase string }{
		{"element-count", "elements, want"},
		{"too-long", "fit in"},
		{"not-utf8", "not UTF-8"},
		{"control-character", "control character"},
		{"not-text-element", "not a text element"},
		{"non-zero-padding", "non-zero padding"},
	} {
		if strings.Contains(err.Error(), r.phrase) {
			return r.reason
		}
	}
	return "unexpected: " + err.Error()
}

func TestEncodeTextRefuses(t *testing.T) {
	for _, tt := range []struct {
		text   string
		m      int
		reason string
	}{
		{"a", 0, "element-count"},
		{"a", crypto.MaxTextElements + 1, "element-count"},
		{strings.Repeat("x", 29), 1, "too-long"},
		{strings.Repeat("é", 15), 1, "too-long"}, // 30 bytes, 15 runes
		{"\xff", 1, "not-utf8"},
		{"a\xc3", 1, "not-utf8"}, // truncated é
		{"a\x00b", 1, "control-character"},
		{"a\nb", 1, "control-character"},
		{"a\u0085b", 1, "control-character"},
	} {
		_, err := crypto.EncodeText(tt.text, tt.m)
		if err == nil {
			t.Errorf("EncodeText(%q, %d) succeeded, want %s", tt.text, tt.m, tt.reason)
		} else if got := textReason(err); got != tt.reason {
			t.Errorf("EncodeText(%q, %d) = %v, want %s", tt.text, tt.m, err, tt.reason)
		}
	}
}

// chunkElements embeds the 30-byte chunks of frame, whatever they hold.
func chunkElements(t testing.TB, frame []byte) []*crypto.Element {
	t.Helper()
	var out []*crypto.Element
	for i := 0; i < len(frame); i += 30 {
		e, _, err := crypto.EncodeTextChunk(frame[i : i+30])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// frameOf returns the framing of text with length field n in m chunks.
func frameOf(n int, text string, m int) []byte {
	f := make([]byte, 30*m)
	binary.BigEndian.PutUint16(f, uint16(n))
	copy(f[2:], text)
	return f
}

// outsideCounter returns an element whose encoding ends in 0x7f, which no
// counter of the embedding gives.
func outsideCounter(t testing.TB) *crypto.Element {
	t.Helper()
	for i := range 10000 {
		e := crypto.HashToElement("evote/v1/test/writein", []byte{byte(i), byte(i >> 8)})
		if e.Bytes()[31] == 0x7f {
			return e
		}
	}
	t.Fatal("no element ends in 0x7f")
	return nil
}

// decodeRefusals are element vectors DecodeText must refuse, by reason.
func decodeRefusals(t testing.TB) []struct {
	name   string
	elems  []*crypto.Element
	reason string
} {
	padded := frameOf(2, "ab", 1)
	padded[10] = 1
	return []struct {
		name   string
		elems  []*crypto.Element
		reason string
	}{
		{"length-beyond-capacity", chunkElements(t, frameOf(29, strings.Repeat("x", 28), 1)), "too-long"},
		{"length-ffff", chunkElements(t, frameOf(0xffff, "", 2)), "too-long"},
		{"non-zero-padding", chunkElements(t, padded), "non-zero-padding"},
		{"not-utf8", chunkElements(t, frameOf(2, "\xc3\x28", 1)), "not-utf8"},
		{"control-character", chunkElements(t, frameOf(3, "a\tb", 1)), "control-character"},
		{"outside-counter", []*crypto.Element{outsideCounter(t)}, "not-text-element"},
		{"too-many-elements", chunkElements(t, make([]byte, 30*(crypto.MaxTextElements+1))), "element-count"},
	}
}

func TestDecodeTextRefuses(t *testing.T) {
	if _, err := crypto.DecodeText(nil); err == nil || textReason(err) != "element-count" {
		t.Errorf("DecodeText(nil) = %v, want element-count", err)
	}
	for _, tt := range decodeRefusals(t) {
		got, err := crypto.DecodeText(tt.elems)
		if err == nil {
			t.Errorf("%s: DecodeText = %q, want %s", tt.name, got, tt.reason)
		} else if r := textReason(err); r != tt.reason {
			t.Errorf("%s: DecodeText = %v, want %s", tt.name, err, tt.reason)
		}
	}
}

func FuzzTextRoundTrip(f *testing.F) {
	for _, tt := range textCases {
		f.Add(tt.text, tt.m)
	}
	f.Fuzz(func(t *testing.T, text string, m int) {
		elems, err := crypto.EncodeText(text, m)
		if err != nil {
			if !errors.Is(err, crypto.ErrInvalidText) {
				t.Fatalf("EncodeText error %v does not wrap ErrInvalidText", err)
			}
			return
		}
		if got, err := crypto.DecodeText(elems); err != nil || got != text {
			t.Fatalf("DecodeText(EncodeText(%q, %d)) = %q, %v", text, m, got, err)
		}
	})
}
