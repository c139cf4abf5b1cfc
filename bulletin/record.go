package bulletin

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/evote/evote/internal/strictjson"
	"strconv"
	"time"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/tlog"
)

// Domain-separation labels (docs/spec/bulletin.md §2, §3).
const (
	sigLabel  = "evote/v1/record-sig\x00"
	leafLabel = "evote/v1/record\x00"
)

const (
	// MaxTypeLen is the longest record type allowed (docs/spec/bulletin.md §1).
	MaxTypeLen = 40
	// DefaultMaxPayload is the default limit on the payload size, in bytes.
	DefaultMaxPayload = 1 << 20
	// HashSize is the size of a leaf hash, Prev and a tree hash.
	HashSize = tlog.HashSize
	// timeLayout is the only accepted encoding of Record.Time in JSON.
	timeLayout = "2006-01-02T15:04:05.000Z"
)

// Record is one entry of the bulletin board, as specified in docs/spec/bulletin.md §1.
//
// The board assigns Index, Time and Prev; the author signs Type and Payload
// (see SigningMessage). Its JSON encoding (MarshalJSON) is canonical: ParseRecord
// accepts only the exact bytes MarshalJSON produces.
type Record struct {
	Index   uint64          `json:"index"`
	Time    time.Time       `json:"time"`    // board's clock at append, UTC, truncated to the millisecond
	Type    string          `json:"type"`    // [a-z0-9-]{1,40}
	Payload json.RawMessage `json:"payload"` // type-specific JSON, stored and hashed as the exact bytes posted
	Author  []byte          `json:"author"`  // Ed25519 public key, 32 bytes (base64 in JSON)
	Sig     []byte          `json:"sig"`     // Ed25519 signature over SigningMessage(Type, Payload)
	Prev    []byte          `json:"prev"`    // leaf hash of record Index-1; 32 zero bytes for index 0
}

// Submission is what an author posts to the board: a signed, typed payload
// that the board has not yet placed in the log.
type Submission struct {
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
	Author  []byte          `json:"author"`
	Sig     []byte          `json:"sig"`
}

// SigningMessage returns the message an author signs for a record of the given
// type and payload:
//
//	"evote/v1/record-sig\x00" || u32be(len(typ)) || typ || u32be(len(payload)) || payload
func SigningMessage(typ string, payload []byte) []byte {
	b := make([]byte, 0, len(sigLabel)+8+len(typ)+len(payload))
	b = append(b, sigLabel...)
	b = appendLP(b, []byte(typ))
	b = appendLP(b, payload)
	return b
}

// Sign returns a submission of payload with type typ, signed by priv.
// payload must be compact JSON (see Submission.Check); Sign does not check it.
func Sign(priv ed25519.PrivateKey, typ string, payload []byte) *Submission {
	pub := priv.Public().(ed25519.PublicKey)
	return &Submission{
		Type:    typ,
		Payload: bytes.Clone(payload),
		Author:  bytes.Clone(pub),
		Sig:     ed25519.Sign(priv, SigningMessage(typ, payload)),
	}
}

func appendLP(b, data []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}

// ValidType reports whether t is a well-formed record type: 1 to 40 characters
// from [a-z0-9-].
func ValidType(t string) bool {
	if len(t) == 0 || len(t) > MaxTypeLen {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// checkPayload reports whether p is compact JSON text in valid UTF-8 with
// no null, the only payload encoding the board accepts
// (docs/spec/bulletin.md §1).
func checkPayload(p []byte) error {
	if len(p) == 0 {
		return errors.New("payload is empty")
	}
	if !utf8.Valid(p) {
		return errors.New("payload is not valid UTF-8")
	}
	if compactJSON(p) {
		return nil
	}
	// Let encoding/json say what is wrong.
	var buf bytes.Buffer
	buf.Grow(len(p))
	if err := json.Compact(&buf, p); err != nil {
		return fmt.Errorf("payload is not valid JSON: %w", err)
	}
	if !bytes.Equal(buf.Bytes(), p) {
		return errors.New("payload is not compact JSON (no whitespace outside strings allowed)")
	}
	return errors.New("payload holds a JSON null, which no record may: a field is given or left out, never null")
}

// maxJSONDepth is the nesting depth beyond which encoding/json rejects
// a document (maxNestingDepth in encoding/json/scanner.go).
const maxJSONDepth = 10000

// compactJSON reports whether p is one JSON value (RFC 8259, as
// encoding/json scans it, nested at most maxJSONDepth deep) with no
// whitespace outside strings and no null: whether json.Compact would accept
// p and return it unchanged, and p holds no null. It does not check UTF-8. checkPayload runs on every
// record of an export, so this is a hand-written scanner; FuzzCompactJSON
// compares it with json.Compact.
func compactJSON(p []byte) bool {
	var buf [64]byte
	stack := buf[:0] // '{' or '[' per open container
	i := 0
	for {
		// A value starts at p[i].
		if i >= len(p) {
			return false
		}
		switch c := p[i]; {
		case c == '{' || c == '[':
			if len(stack) == maxJSONDepth {
				return false
			}
			stack = append(stack, c)
			i++
			if i < len(p) && (c == '{' && p[i] == '}' || c == '[' && p[i] == ']') {
				stack = stack[:len(stack)-1]
				i++
				break
			}
			if c == '{' {
				if i = jsonString(p, i); i < 0 || i >= len(p) || p[i] != ':' {
					return false
				}
				i++
			}
			continue
		case c == '"':
			if i = jsonString(p, i); i < 0 {
				return false
			}
		case c == '-' || '0' <= c && c <= '9':
			if i = jsonNumber(p, i); i < 0 {
				return false
			}
		case c == 't':
			if !bytes.HasPrefix(p[i:], []byte("true")) {
				return false
			}
			i += 4
		case c == 'f':
			if !bytes.HasPrefix(p[i:], []byte("false")) {
				return false
			}
			i += 5
		default: // a null among them
			return false
		}
		// A value ended before p[i]: close containers, or go on to the
		// next member or element.
		for {
			if len(stack) == 0 {
				return i == len(p)
			}
			if i >= len(p) {
				return false
			}
			top := stack[len(stack)-1]
			if c := p[i]; c == ',' {
				i++
				if top == '{' {
					if i = jsonString(p, i); i < 0 || i >= len(p) || p[i] != ':' {
						return false
					}
					i++
				}
				break
			} else if top == '{' && c == '}' || top == '[' && c == ']' {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			return false
		}
	}
}

// jsonString returns the position after the JSON string starting at p[i],
// or -1 if there is none.
func jsonString(p []byte, i int) int {
	if i >= len(p) || p[i] != '"' {
		return -1
	}
	for i++; i < len(p); i++ {
		switch c := p[i]; {
		case c == '"':
			return i + 1
		case c < 0x20:
			return -1
		case c == '\\':
			i++
			if i >= len(p) {
				return -1
			}
			switch p[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(p) {
					return -1
				}
				for _, h := range p[i+1 : i+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return -1
					}
				}
				i += 4
			default:
				return -1
			}
		}
	}
	return -1
}

// jsonNumber returns the position after the JSON number starting at p[i],
// or -1 if there is none.
func jsonNumber(p []byte, i int) int {
	digits := func(i int) int {
		j := i
		for j < len(p) && '0' <= p[j] && p[j] <= '9' {
			j++
		}
		if j == i {
			return -1
		}
		return j
	}
	if p[i] == '-' {
		i++
	}
	switch {
	case i < len(p) && p[i] == '0':
		i++
	default:
		if i = digits(i); i < 0 {
			return -1
		}
	}
	if i < len(p) && p[i] == '.' {
		if i = digits(i + 1); i < 0 {
			return -1
		}
	}
	if i < len(p) && (p[i] == 'e' || p[i] == 'E') {
		i++
		if i < len(p) && (p[i] == '+' || p[i] == '-') {
			i++
		}
		if i = digits(i); i < 0 {
			return -1
		}
	}
	return i
}

// Holds reports whether rec is the record of s: its type, payload, author
// and signature (the board sets the rest, docs/spec/bulletin.md §1).
func (s *Submission) Holds(rec *Record) bool {
	return rec.Type == s.Type && bytes.Equal(rec.Payload, s.Payload) && bytes.Equal(rec.Author, s.Author) && bytes.Equal(rec.Sig, s.Sig)
}

// Check runs the generic checks every submission must pass, whatever the
// policy: the type is well-formed, the author and signature have the right
// lengths, the payload is compact JSON of at most maxPayload bytes, and the
// signature verifies. It returns a *RejectError.
func (s *Submission) Check(maxPayload int) error {
	return s.check(maxPayload, false)
}

// check is Check; payloadChecked skips checkPayload for a payload already
// checked, such as that of a record from ParseRecord.
func (s *Submission) check(maxPayload int, payloadChecked bool) error {
	if !ValidType(s.Type) {
		return Reject(CodeMalformed, "type %q is not 1 to %d characters from [a-z0-9-]", s.Type, MaxTypeLen)
	}
	if len(s.Author) != ed25519.PublicKeySize {
		return Reject(CodeMalformed, "author is %d bytes, want %d", len(s.Author), ed25519.PublicKeySize)
	}
	if len(s.Sig) != ed25519.SignatureSize {
		return Reject(CodeMalformed, "sig is %d bytes, want %d", len(s.Sig), ed25519.SignatureSize)
	}
	if maxPayload > 0 && len(s.Payload) > maxPayload {
		return Reject(CodeTooLarge, "payload is %d bytes, the limit is %d", len(s.Payload), maxPayload)
	}
	if !payloadChecked {
		if err := checkPayload(s.Payload); err != nil {
			return Reject(CodeMalformed, "%v", err)
		}
	}
	if !ed25519.Verify(s.Author, SigningMessage(s.Type, s.Payload), s.Sig) {
		return Reject(CodeBadSignature, "signature does not verify for the author key")
	}
	return nil
}

// MarshalJSON encodes s with the payload copied verbatim (encoding/json would
// re-escape it, changing the signed bytes).
func (s *Submission) MarshalJSON() ([]byte, error) {
	if !json.Valid(s.Payload) {
		return nil, errors.New("bulletin: submission payload is not valid JSON")
	}
	b := make([]byte, 0, 200+len(s.Payload))
	q, err := json.Marshal(s.Type)
	if err != nil {
		return nil, fmt.Errorf("bulletin: encoding submission type: %w", err)
	}
	b = append(b, `{"type":`...)
	b = append(b, q...)
	b = append(b, `,"payload":`...)
	b = append(b, s.Payload...)
	b = appendB64Field(b, "author", s.Author)
	b = appendB64Field(b, "sig", s.Sig)
	b = append(b, '}')
	return b, nil
}

// ParseSubmission decodes a submission, rejecting unknown fields and trailing data.
// It does not run Check.
func ParseSubmission(data []byte) (*Submission, error) {
	var s Submission
	if err := strictjson.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("bulletin: parsing submission: %w", err)
	}
	return &s, nil
}

func appendB64Field(b []byte, name string, v []byte) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':', '"')
	b = base64.StdEncoding.AppendEncode(b, v)
	return append(b, '"')
}

// Submission returns the submission the record was made from.
func (r *Record) Submission() *Submission {
	return &Submission{Type: r.Type, Payload: r.Payload, Author: r.Author, Sig: r.Sig}
}

// check verifies the invariants of a record's fields, except the signature.
func (r *Record) check() error {
	if err := r.checkFields(); err != nil {
		return err
	}
	return checkPayload(r.Payload)
}

// checkFields is check without the payload's encoding.
func (r *Record) checkFields() error {
	if !ValidType(r.Type) {
		return fmt.Errorf("type %q is not 1 to %d characters from [a-z0-9-]", r.Type, MaxTypeLen)
	}
	if r.Index > 1<<62 {
		return fmt.Errorf("index %d is out of range", r.Index)
	}
	if r.Time.Location() != time.UTC {
		return errors.New("time is not in UTC")
	}
	if r.Time.Nanosecond()%int(time.Millisecond) != 0 {
		return errors.New("time is not truncated to the millisecond")
	}
	if y := r.Time.Year(); y < 1970 || y > 9999 {
		return fmt.Errorf("time year %d is out of range [1970, 9999]", y)
	}
	if len(r.Author) != ed25519.PublicKeySize {
		return fmt.Errorf("author is %d bytes, want %d", len(r.Author), ed25519.PublicKeySize)
	}
	if len(r.Sig) != ed25519.SignatureSize {
		return fmt.Errorf("sig is %d bytes, want %d", len(r.Sig), ed25519.SignatureSize)
	}
	if len(r.Prev) != HashSize {
		return fmt.Errorf("prev is %d bytes, want %d", len(r.Prev), HashSize)
	}
	return nil
}

// LeafData returns the canonical encoding of r that is hashed into the log
// (docs/spec/bulletin.md §3):
//
//	"evote/v1/record\x00" || u64be(index) || u64be(time in Unix ms) ||
//	lp(type) || lp(payload) || lp(author) || lp(sig) || prev
//
// where lp(x) = u32be(len(x)) || x.
func (r *Record) LeafData() []byte {
	b := make([]byte, 0, len(leafLabel)+16+16+len(r.Type)+len(r.Payload)+len(r.Author)+len(r.Sig)+len(r.Prev))
	b = append(b, leafLabel...)
	b = binary.BigEndian.AppendUint64(b, r.Index)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Time.UnixMilli()))
	b = appendLP(b, []byte(r.Type))
	b = appendLP(b, r.Payload)
	b = appendLP(b, r.Author)
	b = appendLP(b, r.Sig)
	b = append(b, r.Prev...)
	return b
}

// LeafHash returns the RFC 6962 leaf hash of r: tlog.RecordHash(r.LeafData()).
// The next record's Prev is this hash.
// It hashes the fields in place rather than building LeafData: a verifier
// hashes every record of an export.
func (r *Record) LeafHash() tlog.Hash {
	h := sha256.New()
	var b [1 + len(leafLabel) + 16 + 4]byte
	p := append(b[:0], 0x00) // RFC 6962 leaf prefix, as in tlog.RecordHash
	p = append(p, leafLabel...)
	p = binary.BigEndian.AppendUint64(p, r.Index)
	p = binary.BigEndian.AppendUint64(p, uint64(r.Time.UnixMilli()))
	h.Write(p)
	for _, f := range [][]byte{[]byte(r.Type), r.Payload, r.Author, r.Sig} {
		h.Write(binary.BigEndian.AppendUint32(b[:0], uint32(len(f))))
		h.Write(f)
	}
	h.Write(r.Prev)
	var out tlog.Hash
	h.Sum(out[:0])
	return out
}

// VerifySignature reports whether r.Sig is a valid signature of r.Author
// over SigningMessage(r.Type, r.Payload).
func (r *Record) VerifySignature() bool {
	return len(r.Author) == ed25519.PublicKeySize &&
		ed25519.Verify(r.Author, SigningMessage(r.Type, r.Payload), r.Sig)
}

// MarshalJSON returns the canonical JSON encoding of r: the fields in the
// order index, time, type, payload, author, sig, prev, no whitespace, the
// payload verbatim, byte fields in padded standard base64 and the time as
// "YYYY-MM-DDTHH:MM:SS.mmmZ". It fails if r is not well-formed.
func (r *Record) MarshalJSON() ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("bulletin: encoding record %d: %w", r.Index, err)
	}
	return r.appendJSON(make([]byte, 0, 300+len(r.Payload))), nil
}

func (r *Record) appendJSON(b []byte) []byte {
	b = append(b, `{"index":`...)
	b = strconv.AppendUint(b, r.Index, 10)
	b = append(b, `,"time":"`...)
	b = r.Time.AppendFormat(b, timeLayout)
	b = append(b, `","type":"`...)
	b = append(b, r.Type...)
	b = append(b, `","payload":`...)
	b = append(b, r.Payload...)
	b = appendB64Field(b, "author", r.Author)
	b = appendB64Field(b, "sig", r.Sig)
	b = appendB64Field(b, "prev", r.Prev)
	return append(b, '}')
}

// UnmarshalJSON is ParseRecord: it accepts only the canonical encoding.
func (r *Record) UnmarshalJSON(data []byte) error {
	rec, err := ParseRecord(data)
	if err != nil {
		return err
	}
	*r = *rec
	return nil
}

// rawRecord mirrors Record with JSON-native field types for strict decoding.
type rawRecord struct {
	Index   *uint64         `json:"index"`
	Time    *string         `json:"time"`
	Type    *string         `json:"type"`
	Payload json.RawMessage `json:"payload"`
	Author  []byte          `json:"author"`
	Sig     []byte          `json:"sig"`
	Prev    []byte          `json:"prev"`
}

// ParseRecord decodes the canonical JSON encoding of a record (one line of an
// export, without the newline). It rejects unknown, missing or duplicate fields,
// wrong lengths, non-UTC or non-millisecond times and any encoding other than
// the one MarshalJSON produces, so that ParseRecord then MarshalJSON returns data.
func ParseRecord(data []byte) (*Record, error) {
	if r := parseRecordFast(data); r != nil {
		return r, nil
	}
	return parseRecordJSON(data)
}

// Suffix of the canonical encoding after the payload: the three byte
// fields, of fixed lengths in a well-formed record.
const (
	authorB64Len    = (ed25519.PublicKeySize + 2) / 3 * 4
	sigB64Len       = (ed25519.SignatureSize + 2) / 3 * 4
	prevB64Len      = (HashSize + 2) / 3 * 4
	recordSuffixLen = len(`,"author":"`) + authorB64Len + len(`","sig":"`) + sigB64Len +
		len(`","prev":"`) + prevB64Len + len(`"}`)
)

// parseRecordFast is ParseRecord for data in the exact layout appendJSON
// produces, without a generic JSON decoder: it cuts data at the fixed field
// names, checks that each field is in its canonical encoding (so that data
// is appendJSON of the result) and runs check, which also validates the
// payload as compact JSON. It returns nil for anything else, valid or not;
// ParseRecord then runs parseRecordJSON, which reports the error. It must
// accept no input that parseRecordJSON rejects (see FuzzParseRecordFast).
func parseRecordFast(data []byte) *Record {
	rest, ok := bytes.CutPrefix(data, []byte(`{"index":`))
	if !ok {
		return nil
	}
	n := 0
	for n < len(rest) && n < 20 && '0' <= rest[n] && rest[n] <= '9' {
		n++
	}
	if n == 0 || rest[0] == '0' && n > 1 {
		return nil
	}
	index, err := strconv.ParseUint(string(rest[:n]), 10, 64)
	if err != nil {
		return nil
	}
	rest, ok = bytes.CutPrefix(rest[n:], []byte(`,"time":"`))
	if !ok || len(rest) < len(timeLayout) {
		return nil
	}
	t, err := time.Parse(timeLayout, string(rest[:len(timeLayout)]))
	if err != nil {
		return nil
	}
	t = t.UTC()
	var tb [len(timeLayout)]byte
	if !bytes.Equal(t.AppendFormat(tb[:0], timeLayout), rest[:len(timeLayout)]) {
		return nil
	}
	rest, ok = bytes.CutPrefix(rest[len(timeLayout):], []byte(`","type":"`))
	if !ok {
		return nil
	}
	n = bytes.IndexByte(rest, '"')
	if n < 0 {
		return nil
	}
	typ := string(rest[:n]) // check requires [a-z0-9-]: no escapes
	rest, ok = bytes.CutPrefix(rest[n:], []byte(`","payload":`))
	if !ok || len(rest) < recordSuffixLen {
		return nil
	}
	payload, suffix := rest[:len(rest)-recordSuffixLen], rest[len(rest)-recordSuffixLen:]
	// One allocation for the payload and the byte fields, so that the
	// record does not alias data.
	buf := make([]byte, len(payload)+ed25519.PublicKeySize+ed25519.SignatureSize+HashSize)
	copy(buf, payload)
	fields := buf[len(payload):]
	r := &Record{
		Index:   index,
		Time:    t,
		Type:    typ,
		Payload: buf[:len(payload):len(payload)],
		Author:  fields[:ed25519.PublicKeySize:ed25519.PublicKeySize],
		Sig:     fields[ed25519.PublicKeySize : ed25519.PublicKeySize+ed25519.SignatureSize : ed25519.PublicKeySize+ed25519.SignatureSize],
		Prev:    fields[ed25519.PublicKeySize+ed25519.SignatureSize:],
	}
	for _, f := range []struct {
		name string
		dst  []byte
	}{{`,"author":"`, r.Author}, {`","sig":"`, r.Sig}, {`","prev":"`, r.Prev}} {
		if suffix, ok = bytes.CutPrefix(suffix, []byte(f.name)); !ok {
			return nil
		}
		if suffix, ok = cutBase64(suffix, f.dst); !ok {
			return nil
		}
	}
	if string(suffix) != `"}` {
		return nil
	}
	if r.check() != nil {
		return nil
	}
	return r
}

// cutBase64 decodes the padded standard base64 encoding of len(dst) bytes
// at the start of b into dst, if it is canonical, and returns the rest.
func cutBase64(b, dst []byte) (rest []byte, ok bool) {
	n := base64.StdEncoding.EncodedLen(len(dst))
	if len(b) < n {
		return nil, false
	}
	var dec [sigB64Len / 4 * 3]byte
	if n > len(dec)/3*4 {
		panic("bulletin: internal error: cutBase64 field too long")
	}
	// Decode ignores newlines and, without Strict, non-zero padding
	// bits: re-encoding catches both.
	if m, err := base64.StdEncoding.Decode(dec[:], b[:n]); err != nil || m != len(dst) {
		return nil, false
	}
	copy(dst, dec[:len(dst)])
	var enc [sigB64Len]byte
	if !bytes.Equal(base64.StdEncoding.AppendEncode(enc[:0], dst), b[:n]) {
		return nil, false
	}
	return b[n:], true
}

// parseRecordJSON is ParseRecord with encoding/json: the reference that
// parseRecordFast must agree with, and the source of ParseRecord's errors.
func parseRecordJSON(data []byte) (*Record, error) {
	var raw rawRecord
	if err := strictjson.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("bulletin: parsing record: %w", err)
	}
	if raw.Index == nil || raw.Time == nil || raw.Type == nil || raw.Payload == nil ||
		raw.Author == nil || raw.Sig == nil || raw.Prev == nil {
		return nil, errors.New("bulletin: parsing record: missing field")
	}
	t, err := time.Parse(timeLayout, *raw.Time)
	if err != nil {
		return nil, fmt.Errorf("bulletin: parsing record: time %q is not of the form YYYY-MM-DDTHH:MM:SS.mmmZ", *raw.Time)
	}
	r := &Record{
		Index:   *raw.Index,
		Time:    t.UTC(),
		Type:    *raw.Type,
		Payload: raw.Payload,
		Author:  raw.Author,
		Sig:     raw.Sig,
		Prev:    raw.Prev,
	}
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("bulletin: parsing record %d: %w", r.Index, err)
	}
	if !bytes.Equal(r.appendJSON(make([]byte, 0, len(data))), data) {
		return nil, fmt.Errorf("bulletin: parsing record %d: not in canonical encoding", r.Index)
	}
	return r, nil
}
