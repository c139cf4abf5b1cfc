package crypto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Write-in text is carried by plain ElGamal ciphertexts of group elements
// that encode it reversibly (docs/spec/ranked.md §8): each element's
// canonical encoding holds 30 bytes of text and a counter, found by
// try-and-increment.
const (
	// TextChunkSize is the number of bytes of text framing one element
	// carries.
	TextChunkSize = 30
	// MaxTextElements bounds the elements of one text.
	MaxTextElements = 64
	// maxTextCounter is the number of counter values: 128 in byte 0
	// (doubled, to keep the encoding even) times 127 in byte 31 (0x00 …
	// 0x7e, to keep it below 2^255 − 19).
	maxTextCounter = 128 * 127
)

// ErrInvalidText is wrapped by every refusal of EncodeText and DecodeText.
var ErrInvalidText = errors.New("invalid text")

// TextElements returns the number of elements, m = ⌈(maxBytes+2)/30⌉, that
// carry a text of up to maxBytes bytes with its 2-byte length.
func TextElements(maxBytes int) int {
	return (maxBytes + 2 + TextChunkSize - 1) / TextChunkSize
}

// MaxTextBytes returns the longest text, in bytes, that m elements carry:
// 30·m − 2.
func MaxTextBytes(m int) int { return TextChunkSize*m - 2 }

// checkText reports why text is not a valid write-in: not UTF-8, or with a
// control character (Unicode category Cc, such as NUL or a line feed).
func checkText(text string) error {
	if !utf8.ValidString(text) {
		return fmt.Errorf("%w: not UTF-8", ErrInvalidText)
	}
	for i, r := range text {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: control character %U at byte %d", ErrInvalidText, r, i)
		}
	}
	return nil
}

// EncodeText encodes text as exactly m elements (1 ≤ m ≤ MaxTextElements):
// the 30·m bytes u16be(len(text)) || text || zeros, cut into chunks of 30,
// each embedded into an element by encodeTextChunk. It refuses text that
// is longer than MaxTextBytes(m) bytes, not UTF-8, or holds a control
// character. The empty text (no write-in) is valid.
//
// EncodeText runs in time that depends on the text (the number of tries
// of each chunk, 4 on average): it is meant for the voter's own device,
// where only the voter observes it.
func EncodeText(text string, m int) ([]*Element, error) {
	if m < 1 || m > MaxTextElements {
		return nil, fmt.Errorf("%w: %d elements, want 1…%d", ErrInvalidText, m, MaxTextElements)
	}
	if len(text) > MaxTextBytes(m) {
		return nil, fmt.Errorf("%w: %d bytes, at most %d fit in %d elements", ErrInvalidText, len(text), MaxTextBytes(m), m)
	}
	if err := checkText(text); err != nil {
		return nil, err
	}
	buf := make([]byte, TextChunkSize*m)
	binary.BigEndian.PutUint16(buf, uint16(len(text)))
	copy(buf[2:], text)
	out := make([]*Element, m)
	for i := range out {
		e, _, err := encodeTextChunk(buf[i*TextChunkSize : (i+1)*TextChunkSize])
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

// encodeTextChunk returns the element whose canonical encoding is
//
//	byte 0 = 2·(j mod 128), bytes 1…30 = chunk, byte 31 = ⌊j / 128⌋
//
// for the least counter j in 0 … 16255 for which these 32 bytes are a
// valid ristretto255 encoding, and the number of tries, j + 1. Byte 0 is
// even and byte 31 at most 0x7e, so every candidate is a canonical
// non-negative field element; about one in four decodes to a group element,
// so a chunk fails with probability about (3/4)^16256 < 2^−6700.
func encodeTextChunk(chunk []byte) (*Element, int, error) {
	var b [ElementSize]byte
	copy(b[1:31], chunk)
	e := new(Element)
	for j := range maxTextCounter {
		b[0], b[31] = byte(2*(j%128)), byte(j/128)
		if _, err := e.SetCanonicalBytes(b[:]); err == nil {
			return e, j + 1, nil
		}
	}
	return nil, maxTextCounter, fmt.Errorf("%w: no counter embeds chunk %x", ErrInvalidText, chunk)
}

// DecodeText returns the text that the elements encode (EncodeText): the
// bytes 1…30 of each element's encoding, concatenated, are the length, the
// text and zero padding. It refuses an element whose encoding's last byte
// is 0x7f (outside the counter's range), a length beyond the elements'
// capacity, non-zero padding, and a text EncodeText would refuse. The
// counter is not checked to be the least that works, so that decoding
// costs one encoding per element: several element vectors decode to one
// text, and the text is what a count counts.
func DecodeText(elems []*Element) (string, error) {
	m := len(elems)
	if m < 1 || m > MaxTextElements {
		return "", fmt.Errorf("%w: %d elements, want 1…%d", ErrInvalidText, m, MaxTextElements)
	}
	buf := make([]byte, 0, TextChunkSize*m)
	for i, e := range elems {
		b := e.Bytes()
		if b[31] > 0x7e {
			return "", fmt.Errorf("%w: element %d is not a text element", ErrInvalidText, i)
		}
		buf = append(buf, b[1:31]...)
	}
	n := int(binary.BigEndian.Uint16(buf))
	if n > MaxTextBytes(m) {
		return "", fmt.Errorf("%w: length %d, at most %d fit in %d elements", ErrInvalidText, n, MaxTextBytes(m), m)
	}
	for _, c := range buf[2+n:] {
		if c != 0 {
			return "", fmt.Errorf("%w: non-zero padding", ErrInvalidText)
		}
	}
	text := string(buf[2 : 2+n])
	if err := checkText(text); err != nil {
		return "", err
	}
	return text, nil
}

// EncryptElement encrypts the group element m by plain ElGamal,
// (r·G, m + r·K), with fresh randomness, and returns the ciphertext and the
// randomness. It serves values that are not small integers, such as the
// elements of a write-in text (EncodeText); Decrypt returns m.
func (pk *PublicKey) EncryptElement(m *Element) (*Ciphertext, *Scalar) {
	r := RandomScalar()
	return pk.encryptElement(m, r), r
}
