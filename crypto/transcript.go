package crypto

import (
	"crypto/sha512"
	"encoding/binary"
)

// Transcript accumulates the statement of a Fiat–Shamir proof: a domain
// label, then labelled, length-prefixed items. Every challenge in evote is
// derived by ChallengeScalar on a Transcript: this is the one place.
//
// The transcript is the byte string (docs/spec/crypto-proofs.md, section 2)
//
//	u32be(len(domain)) || domain
//	|| item_1 || item_2 || ...
//
// where each item is
//
//	u32be(len(label)) || label || u64be(len(data)) || data
//
// Because every field is length-prefixed, distinct sequences of items give
// distinct strings. ChallengeScalar(label) hashes the transcript followed by
// the header u32be(len(label)) || label || u64be(64) of a 64-byte item,
// reduces the SHA-512 digest modulo ℓ, and then completes that item with the
// digest as its data, so that later challenges depend on earlier ones.
//
// The transcript is kept as a byte string and hashed when a challenge is
// drawn, so Clone is a copy of a few hundred bytes.
type Transcript struct {
	buf []byte
}

// transcriptCap is the initial capacity of a transcript buffer, enough for
// every proof of evote but the widest range proofs.
const transcriptCap = 640

// NewTranscript starts a transcript with a domain-separation label such as
// "evote/v1/proof/range".
func NewTranscript(label string) *Transcript {
	return newTranscriptCap(label, transcriptCap)
}

// newTranscriptCap is NewTranscript with a buffer of the given capacity,
// for a transcript whose size is known in advance.
func newTranscriptCap(label string, capacity int) *Transcript {
	t := &Transcript{buf: make([]byte, 0, capacity)}
	t.buf = binary.BigEndian.AppendUint32(t.buf, uint32(len(label)))
	t.buf = append(t.buf, label...)
	return t
}

// header appends the item header for label and a data length of n.
func (t *Transcript) header(label string, n int) {
	if uint64(len(label)) > 0xffffffff {
		panic("crypto: transcript label too long")
	}
	t.buf = binary.BigEndian.AppendUint32(t.buf, uint32(len(label)))
	t.buf = append(t.buf, label...)
	t.buf = binary.BigEndian.AppendUint64(t.buf, uint64(n))
}

// AppendMessage adds a labelled byte string.
func (t *Transcript) AppendMessage(label string, msg []byte) {
	t.header(label, len(msg))
	t.buf = append(t.buf, msg...)
}

// AppendElement adds a labelled group element (its canonical encoding).
func (t *Transcript) AppendElement(label string, e *Element) {
	t.header(label, ElementSize)
	t.buf = e.appendBytes(t.buf)
}

// AppendUint64 adds a labelled integer as 8 big-endian bytes.
func (t *Transcript) AppendUint64(label string, v uint64) {
	t.header(label, 8)
	t.buf = binary.BigEndian.AppendUint64(t.buf, v)
}

// ChallengeScalar derives a uniform scalar from everything appended so far:
// the SHA-512 digest of the transcript and a challenge-item header, reduced
// modulo ℓ. The digest is then appended as the data of that item.
func (t *Transcript) ChallengeScalar(label string) *Scalar {
	t.header(label, sha512.Size)
	d := sha512.Sum512(t.buf)
	t.buf = append(t.buf, d[:]...)
	s := new(Scalar)
	s.s.SetUniformBytes(d[:])
	return s
}

// ChallengeScalars derives n scalars from everything appended so far, for
// a proof that needs many challenges at once (the u_1, …, u_n of the proof
// of shuffle): it draws a digest d exactly as ChallengeScalar(label) does,
// appending it to the transcript as that item's data, and returns
// uniform(SHA-512(d || u64be(i))) for i = 1, …, n
// (docs/spec/crypto-proofs.md, section 2). Hashing the transcript once keeps
// the cost linear in n.
func (t *Transcript) ChallengeScalars(label string, n int) []Scalar {
	t.header(label, sha512.Size)
	d := sha512.Sum512(t.buf)
	t.buf = append(t.buf, d[:]...)
	out := make([]Scalar, n)
	var in [sha512.Size + 8]byte
	copy(in[:], d[:])
	for i := range out {
		binary.BigEndian.PutUint64(in[sha512.Size:], uint64(i+1))
		h := sha512.Sum512(in[:])
		out[i].s.SetUniformBytes(h[:])
	}
	return out
}

// HashToElement maps msg to a group element under a domain label, with no
// known discrete logarithm (SHA-512 then the RFC 9496 one-way map):
// Element.SetUniformBytes(SHA-512(u32be(len(label)) || label || msg))
// (docs/spec/crypto-group.md, section 1.4; docs/spec/crypto-proofs.md,
// section 2).
func HashToElement(label string, msg []byte) *Element {
	h := sha512.New()
	var lp [4]byte
	binary.BigEndian.PutUint32(lp[:], uint32(len(label)))
	h.Write(lp[:])
	h.Write([]byte(label))
	h.Write(msg)
	e := new(Element)
	if _, err := e.SetUniformBytes(h.Sum(nil)); err != nil {
		panic("crypto: internal error: " + err.Error())
	}
	return e
}

// HashToScalar maps the length-prefixed parts to a uniform scalar under a
// domain label (SHA-512 reduced mod ℓ):
// SHA-512(u32be(len(label)) || label || for each part u64be(len(part)) || part)
// (docs/spec/crypto-group.md, section 1.4; docs/spec/crypto-proofs.md,
// section 2).
func HashToScalar(label string, parts ...[]byte) *Scalar {
	h := sha512.New()
	var lp [8]byte
	binary.BigEndian.PutUint32(lp[:4], uint32(len(label)))
	h.Write(lp[:4])
	h.Write([]byte(label))
	for _, p := range parts {
		binary.BigEndian.PutUint64(lp[:], uint64(len(p)))
		h.Write(lp[:])
		h.Write(p)
	}
	s := new(Scalar)
	s.s.SetUniformBytes(h.Sum(nil))
	return s
}

// appendEncoded adds a labelled element given by its canonical encoding,
// which the caller has already computed or parsed.
func (t *Transcript) appendEncoded(label string, enc []byte) {
	t.AppendMessage(label, enc)
}
