package ballot

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"slices"

	"github.com/evote/evote/internal/strictjson"
)

// MaxRollChunk bounds the entries of one roll record, so that the record,
// voter identifiers of the longest kind included, stays under the 65,535
// bytes of a C2SP tlog-tiles entry (docs/spec/ballot.md §6).
const MaxRollChunk = 500

// MaxVoterIDLen bounds a voter identifier.
const MaxVoterIDLen = 64

// rollHashLbl starts the roll hash (docs/spec/ballot.md §6.2).
const rollHashLbl = "evote/v1/roll\x00"

// Bounds on the weights of a roll (docs/spec/ballot.md §6.1): a voter's
// weight is at most MaxWeight, and the weights of a roll add up to at most
// MaxRollWeight, so that a tally's counts, at most option_max times the
// total weight, stay within what a discrete logarithm solver recovers in
// seconds.
const (
	MaxWeight     = 1_000_000
	MaxRollWeight = 1 << 32
)

// rollExtraTag marks, in the roll hash, an entry that names a ballot style
// or a weight (§6.2): no voter identifier is that long.
const rollExtraTag = 0xff

// RollEntry is one voter on the roll: the registrar's identifier for the
// voter, the voter's credential public key, the voter's ballot style and
// weight.
type RollEntry struct {
	Voter string
	Key   ed25519.PublicKey
	// Style is the id of the voter's ballot style in the definition
	// (§1.6); "" for a definition without styles.
	Style string
	// Weight is the voter's weight (§6.1): the tally counts the voter's
	// ballot Weight times. 0 means 1, as does 1.
	Weight uint64
}

// weight returns e's weight, 1 if it names none.
func (e *RollEntry) weight() uint64 { return max(1, e.Weight) }

// RollChunk is the payload of a roll record, posted by the registrar
// (docs/spec/ballot.md §6.1): entries First, First+1, … of the roll of the
// election whose manifest hash is Election.
type RollChunk struct {
	Election [32]byte
	First    int64
	Voters   []RollEntry
}

// RollClose is the payload of the registrar's record that closes the roll:
// its size and hash, which enter the base hash (§1.5).
type RollClose struct {
	Election [32]byte
	Size     int64
	Hash     [32]byte
}

type rollEntryJSON struct {
	Voter  string `json:"voter"`
	Key    []byte `json:"key"`
	Style  string `json:"style,omitempty"`
	Weight uint64 `json:"weight,omitempty"`
}

// wire returns e's wire form: style and weight only where they say
// something (weight 1 is left out).
func (e *RollEntry) wire() rollEntryJSON {
	j := rollEntryJSON{Voter: e.Voter, Key: e.Key, Style: e.Style}
	if e.Weight > 1 {
		j.Weight = e.Weight
	}
	return j
}

type rollChunkJSON struct {
	Election string          `json:"election"`
	First    int64           `json:"first"`
	Voters   []rollEntryJSON `json:"voters"`
}

type rollCloseJSON struct {
	Election string `json:"election"`
	Size     int64  `json:"size"`
	Hash     string `json:"hash"`
}

// ValidVoterID reports whether s is a voter identifier: 1 to MaxVoterIDLen
// characters from A–Z, a–z, 0–9 and . _ - @ +. The registrar chooses them;
// they are published on the roll, so an election that keeps turnout
// private uses identifiers that name nobody outside the registrar's files.
func ValidVoterID(s string) bool {
	if len(s) == 0 || len(s) > MaxVoterIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.' || c == '_' || c == '-' || c == '@' || c == '+':
		default:
			return false
		}
	}
	return true
}

// Marshal returns the canonical payload of c: compact JSON
// {"election":hex,"first":n,"voters":[{"voter":id,"key":base64},…]}, each
// entry with "style" and "weight" after "key" where it names a style or a
// weight above 1.
func (c *RollChunk) Marshal() []byte {
	j := rollChunkJSON{Election: hex.EncodeToString(c.Election[:]), First: c.First, Voters: make([]rollEntryJSON, len(c.Voters))}
	for i := range c.Voters {
		j.Voters[i] = c.Voters[i].wire()
	}
	b, err := marshalCompact(j)
	if err != nil {
		panic(fmt.Sprintf("ballot: encoding a roll chunk: %v", err))
	}
	return b
}

// ParseRollChunk parses a roll record's payload. It accepts only the
// canonical encoding, 1 to MaxRollChunk entries, valid voter identifiers
// and keys valid as a manifest's (§1.1); that no identifier or key is
// there twice is RollBuilder's rule.
func ParseRollChunk(data []byte) (*RollChunk, error) {
	var j rollChunkJSON
	if err := strictjson.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("roll: %w", err)
	}
	c := &RollChunk{First: j.First}
	var err error
	if c.Election, err = parseHexHash(j.Election); err != nil {
		return nil, fmt.Errorf("roll: election: %w", err)
	}
	if j.First < 0 {
		return nil, fmt.Errorf("roll: first entry %d is negative", j.First)
	}
	if len(j.Voters) == 0 || len(j.Voters) > MaxRollChunk {
		return nil, fmt.Errorf("roll: %d entries; a roll record holds 1 to %d", len(j.Voters), MaxRollChunk)
	}
	c.Voters = make([]RollEntry, len(j.Voters))
	for i, e := range j.Voters {
		if !ValidVoterID(e.Voter) {
			return nil, fmt.Errorf("roll: entry %d: %q is not a voter identifier (1 to %d characters from A-Z, a-z, 0-9, '.', '_', '-', '@', '+')", c.First+int64(i), e.Voter, MaxVoterIDLen)
		}
		if len(e.Key) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("roll: entry %d: key is %d bytes, want %d", c.First+int64(i), len(e.Key), ed25519.PublicKeySize)
		}
		if problem := checkEdKey(e.Key); problem != "" {
			return nil, fmt.Errorf("roll: entry %d: key: %s", c.First+int64(i), problem)
		}
		if err := checkStyleWeight(e.Style, e.Weight); err != nil {
			return nil, fmt.Errorf("roll: entry %d: %w", c.First+int64(i), err)
		}
		c.Voters[i] = RollEntry{Voter: e.Voter, Key: e.Key, Style: e.Style, Weight: e.Weight}
	}
	if !bytes.Equal(c.Marshal(), data) {
		return nil, errors.New("roll: not in canonical form (compact JSON, members in the specified order)")
	}
	return c, nil
}

// Marshal returns the canonical payload of c: compact JSON
// {"election":hex,"size":n,"hash":hex}.
func (c *RollClose) Marshal() []byte {
	b, err := marshalCompact(rollCloseJSON{Election: hex.EncodeToString(c.Election[:]), Size: c.Size, Hash: hex.EncodeToString(c.Hash[:])})
	if err != nil {
		panic(fmt.Sprintf("ballot: encoding a roll close: %v", err))
	}
	return b
}

// ParseRollClose parses the payload of the record that closes the roll,
// in its canonical encoding only.
func ParseRollClose(data []byte) (*RollClose, error) {
	var j rollCloseJSON
	if err := strictjson.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("roll close: %w", err)
	}
	if j.Size < 0 {
		return nil, fmt.Errorf("roll close: size %d is negative", j.Size)
	}
	c := &RollClose{Size: j.Size}
	var err error
	if c.Election, err = parseHexHash(j.Election); err != nil {
		return nil, fmt.Errorf("roll close: election: %w", err)
	}
	if c.Hash, err = parseHexHash(j.Hash); err != nil {
		return nil, fmt.Errorf("roll close: hash: %w", err)
	}
	if !bytes.Equal(c.Marshal(), data) {
		return nil, errors.New("roll close: not in canonical form (compact JSON, members in the specified order)")
	}
	return c, nil
}

// checkStyleWeight checks a roll entry's style and weight as its wire
// form has them: the style an id or absent (""), the weight absent (0) or
// 2 to MaxWeight.
func checkStyleWeight(style string, weight uint64) error {
	if style != "" && !validID(style) {
		return fmt.Errorf("style %q is not a ballot style id (1 to %d characters from a-z, 0-9 and -)", style, MaxIDLen)
	}
	switch {
	case weight == 1:
		return errors.New("weight 1 is every voter's weight when none is named: leave it out")
	case weight > MaxWeight:
		return fmt.Errorf("weight %d is above the largest allowed, %d", weight, MaxWeight)
	}
	return nil
}

// parseHexHash decodes 64 lower-case hex digits.
func parseHexHash(s string) ([32]byte, error) {
	var h [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 || hex.EncodeToString(b) != s {
		return h, fmt.Errorf("%q is not 64 lower-case hex digits", s)
	}
	return [32]byte(b), nil
}

// Roll is a closed voter roll: who may vote in an election. It is
// immutable and safe for concurrent use.
type Roll struct {
	election [32]byte // the manifest hash of the election it is the roll of
	size     int64
	hash     [32]byte
	keys     []rollKey // sorted by key: 40 bytes a voter, a third of a map's

	// The entries' styles and weights, by entry number: styles index
	// styleNames, whose first is "", and both are nil when every entry
	// has style "" and weight 1.
	styleNames []string
	styles     []uint16
	weights    []uint32
	total      uint64 // the sum of the weights
}

// rollKey is one entry of a closed roll's index: a credential key and its
// entry number.
type rollKey struct {
	key   [32]byte
	entry int64
}

func compareRollKeys(a, b rollKey) int { return bytes.Compare(a.key[:], b.key[:]) }

// Size returns the number of entries.
func (r *Roll) Size() int64 { return r.size }

// Hash returns the roll hash (docs/spec/ballot.md §6.2).
func (r *Roll) Hash() [32]byte { return r.hash }

// Election returns the manifest hash of the election whose roll it is.
func (r *Roll) Election() [32]byte { return r.election }

// Style returns the ballot style of entry number entry ("" if it names
// none).
func (r *Roll) Style(entry int64) string {
	if r.styles == nil {
		return ""
	}
	return r.styleNames[r.styles[entry]]
}

// Weight returns the weight of entry number entry.
func (r *Roll) Weight(entry int64) uint64 {
	if r.weights == nil {
		return 1
	}
	return uint64(r.weights[entry])
}

// TotalWeight returns the sum of the entries' weights (the size, if no
// entry names a weight).
func (r *Roll) TotalWeight() uint64 { return r.total }

// StyleSizes returns the number of entries of each ballot style named on
// the roll, "" for entries that name none.
func (r *Roll) StyleSizes() map[string]int64 { return styleSizes(r.size, r.styleNames, r.styles) }

// styleSizes counts the entries of each style of a roll of size entries
// whose styles, by entry, index names (nil: all "").
func styleSizes(size int64, names []string, styles []uint16) map[string]int64 {
	out := map[string]int64{}
	if styles == nil {
		if size > 0 {
			out[""] = size
		}
		return out
	}
	for _, s := range styles {
		out[names[s]]++
	}
	return out
}

// Entry returns the entry number of the credential key cred, and whether
// it is on the roll.
func (r *Roll) Entry(cred ed25519.PublicKey) (int64, bool) {
	if len(cred) != ed25519.PublicKeySize {
		return 0, false
	}
	i, ok := slices.BinarySearchFunc(r.keys, rollKey{key: [32]byte(cred)}, compareRollKeys)
	if !ok {
		return 0, false
	}
	return r.keys[i].entry, true
}

// RollBuilder builds an election's roll from its roll records, in board
// order: Check says whether a chunk may come next, Add takes it in, and
// Close returns the closed Roll. It is not safe for concurrent use.
type RollBuilder struct {
	election [32]byte
	h        hash.Hash
	keys     map[[32]byte]int64
	ids      map[string]int64

	styleIdx   map[string]uint16 // style → its index in styleNames
	styleNames []string          // "" first
	styles     []uint16          // by entry
	weights    []uint32          // by entry
	total      uint64
}

// NewRollBuilder returns an empty roll of the election whose manifest hash
// is election.
func NewRollBuilder(election [32]byte) *RollBuilder {
	b := &RollBuilder{election: election, h: sha256.New(), keys: map[[32]byte]int64{}, ids: map[string]int64{},
		styleIdx: map[string]uint16{"": 0}, styleNames: []string{""}}
	b.h.Write([]byte(rollHashLbl))
	b.h.Write(election[:])
	return b
}

// Size returns the number of entries taken in.
func (b *RollBuilder) Size() int64 { return int64(len(b.keys)) }

// Entry returns the entry number of the credential key cred, and whether
// it is on the roll so far.
func (b *RollBuilder) Entry(cred ed25519.PublicKey) (int64, bool) {
	if len(cred) != ed25519.PublicKeySize {
		return 0, false
	}
	n, ok := b.keys[[32]byte(cred)]
	return n, ok
}

// ErrRollDuplicate is wrapped by Check's error for an identifier or a key
// already on the roll.
var ErrRollDuplicate = errors.New("already on the roll")

// Check reports whether c may be the next chunk: it is for this election,
// starts where the roll ends, adds no identifier or key already on it, and
// keeps within MaxStyles styles and MaxRollWeight. Whether the styles are
// the definition's is Manifest.CheckRoll's rule.
func (b *RollBuilder) Check(c *RollChunk) error {
	if c.Election != b.election {
		return errors.New("the roll record is for another election")
	}
	if c.First != b.Size() {
		return fmt.Errorf("the roll record starts at entry %d, but the roll has %d entries: post the records in order", c.First, b.Size())
	}
	ids := make(map[string]int64, len(c.Voters))
	keys := make(map[[32]byte]int64, len(c.Voters))
	total := b.total
	newStyles := map[string]bool{}
	for i, e := range c.Voters {
		at := c.First + int64(i)
		if !ValidVoterID(e.Voter) || len(e.Key) != ed25519.PublicKeySize {
			return fmt.Errorf("entry %d: not a voter identifier and a 32-byte key", at)
		}
		if err := checkStyleWeight(e.Style, max(2, e.Weight)); err != nil {
			return fmt.Errorf("entry %d: %w", at, err)
		}
		if total += e.weight(); total > MaxRollWeight {
			return fmt.Errorf("entry %d: the roll's weights add up to more than %d", at, uint64(MaxRollWeight))
		}
		if _, ok := b.styleIdx[e.Style]; !ok {
			if newStyles[e.Style] = true; len(b.styleNames)-1+len(newStyles) > MaxStyles {
				return fmt.Errorf("entry %d: more than %d ballot styles on the roll", at, MaxStyles)
			}
		}
		n, dup := b.ids[e.Voter]
		if !dup {
			n, dup = ids[e.Voter]
		}
		if dup {
			return fmt.Errorf("entry %d: voter %q is %w as entry %d", at, e.Voter, ErrRollDuplicate, n)
		}
		n, dup = b.keys[[32]byte(e.Key)]
		if !dup {
			n, dup = keys[[32]byte(e.Key)]
		}
		if dup {
			return fmt.Errorf("entry %d: the key of voter %q is %w as entry %d", at, e.Voter, ErrRollDuplicate, n)
		}
		ids[e.Voter], keys[[32]byte(e.Key)] = at, at
	}
	return nil
}

// Add takes in c, which Check accepted.
func (b *RollBuilder) Add(c *RollChunk) {
	for _, e := range c.Voters {
		n := b.Size()
		b.keys[[32]byte(e.Key)] = n
		b.ids[e.Voter] = n
		b.h.Write([]byte{byte(len(e.Voter))})
		b.h.Write([]byte(e.Voter))
		b.h.Write(e.Key)
		w := e.weight()
		if e.Style != "" || w > 1 {
			b.h.Write([]byte{rollExtraTag, byte(len(e.Style))})
			b.h.Write([]byte(e.Style))
			b.h.Write(binary.BigEndian.AppendUint32(nil, uint32(w)))
		}
		s, ok := b.styleIdx[e.Style]
		if !ok {
			s = uint16(len(b.styleNames))
			b.styleIdx[e.Style] = s
			b.styleNames = append(b.styleNames, e.Style)
		}
		b.styles = append(b.styles, s)
		b.weights = append(b.weights, uint32(w))
		b.total += w
	}
}

// StyleSizes returns the number of entries taken in of each ballot style,
// "" for entries that name none.
func (b *RollBuilder) StyleSizes() map[string]int64 {
	return styleSizes(b.Size(), b.styleNames, b.styles)
}

// Hash returns the roll hash of the entries taken in so far.
func (b *RollBuilder) Hash() [32]byte { return [32]byte(b.h.Sum(nil)) }

// Close returns the roll as it stands. The builder must not be used after.
func (b *RollBuilder) Close() *Roll {
	keys := make([]rollKey, 0, len(b.keys))
	for k, n := range b.keys {
		keys = append(keys, rollKey{k, n})
	}
	slices.SortFunc(keys, compareRollKeys)
	r := &Roll{election: b.election, size: b.Size(), hash: b.Hash(), keys: keys, total: b.total}
	if len(b.styleNames) > 1 {
		r.styleNames, r.styles = b.styleNames, b.styles
	}
	if b.total != uint64(b.Size()) {
		r.weights = b.weights
	}
	b.keys, b.ids, b.styles, b.weights = nil, nil, nil, nil
	return r
}

// RollOf returns the closed roll of entries (in order) for the election
// whose manifest hash is election, as the roll records would build it; it
// is for tools and tests that need a roll without a board.
func RollOf(election [32]byte, entries []RollEntry) (*Roll, error) {
	b := NewRollBuilder(election)
	for _, c := range RollChunks(election, 0, entries) {
		if err := b.Check(c); err != nil {
			return nil, err
		}
		b.Add(c)
	}
	return b.Close(), nil
}

// RollChunks splits entries into the payloads of roll records, at most
// MaxRollChunk entries each, numbered to follow a roll of first entries.
func RollChunks(election [32]byte, first int64, entries []RollEntry) []*RollChunk {
	var out []*RollChunk
	for i := 0; i < len(entries); i += MaxRollChunk {
		out = append(out, &RollChunk{Election: election, First: first + int64(i), Voters: entries[i:min(i+MaxRollChunk, len(entries))]})
	}
	return out
}

// rollEncodingHead is the size of the fixed part of a roll's binary
// encoding: election, size, hash.
const rollEncodingHead = 32 + 8 + 32

// WriteTo writes the closed roll's binary encoding to w, for a board that
// saves its state (bulletin.Snapshotter): the election's manifest hash,
// the size (8 bytes, big-endian), the roll hash, then each credential key
// and its entry number (8 bytes), in key order; then the styles: their
// number s but "" (2 bytes), each as its length (1 byte) and bytes, and if
// s > 0 each entry's style (2 bytes: 0 for "", i for the i-th), by entry
// number; then 1 byte, 1 if weights follow (each entry's, 4 bytes, by
// entry number) and 0 if every weight is 1.
func (r *Roll) WriteTo(w io.Writer) (int64, error) {
	buf := make([]byte, 0, 1<<16)
	buf = append(buf, r.election[:]...)
	buf = binary.BigEndian.AppendUint64(buf, uint64(r.size))
	buf = append(buf, r.hash[:]...)
	var n int64
	for _, k := range r.keys {
		if len(buf)+40 > cap(buf) {
			m, err := w.Write(buf)
			n += int64(m)
			if err != nil {
				return n, fmt.Errorf("writing the voter roll: %w", err)
			}
			buf = buf[:0]
		}
		buf = append(buf, k.key[:]...)
		buf = binary.BigEndian.AppendUint64(buf, uint64(k.entry))
	}
	names := max(len(r.styleNames)-1, 0)
	buf = binary.BigEndian.AppendUint16(buf, uint16(names))
	for _, s := range r.styleNames[min(1, len(r.styleNames)):] {
		buf = append(buf, byte(len(s)))
		buf = append(buf, s...)
	}
	for _, s := range r.styles {
		buf = binary.BigEndian.AppendUint16(buf, s)
	}
	if r.weights == nil {
		buf = append(buf, 0)
	} else {
		buf = append(buf, 1)
		for _, x := range r.weights {
			buf = binary.BigEndian.AppendUint32(buf, x)
		}
	}
	m, err := w.Write(buf)
	n += int64(m)
	if err != nil {
		return n, fmt.Errorf("writing the voter roll: %w", err)
	}
	return n, nil
}

// ReadRoll reads a closed roll written by Roll.WriteTo. It checks that the
// keys are in order, each once, with entry numbers below the size, and
// that there are as many as the size says; it cannot check the roll hash,
// which hashes the voter identifiers the encoding leaves out.
func ReadRoll(r io.Reader) (*Roll, error) {
	head := make([]byte, rollEncodingHead)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, fmt.Errorf("reading the voter roll: %w", err)
	}
	roll := &Roll{election: [32]byte(head[:32]), size: int64(binary.BigEndian.Uint64(head[32:40])), hash: [32]byte(head[40:])}
	if roll.size < 0 || roll.size > math.MaxUint32 {
		return nil, fmt.Errorf("reading the voter roll: %d entries", roll.size)
	}
	// Nothing is allocated for the size said before the entries are read:
	// a damaged size fails at the end of the input.
	buf := make([]byte, 40*1024)
	for len(roll.keys) < int(roll.size) {
		n := min(int(roll.size)-len(roll.keys), 1024)
		if _, err := io.ReadFull(r, buf[:40*n]); err != nil {
			return nil, fmt.Errorf("reading the voter roll: %w", err)
		}
		for i := range n {
			k := rollKey{key: [32]byte(buf[40*i:]), entry: int64(binary.BigEndian.Uint64(buf[40*i+32:]))}
			if k.entry < 0 || k.entry >= roll.size {
				return nil, fmt.Errorf("reading the voter roll: entry number %d of %d", k.entry, roll.size)
			}
			if j := len(roll.keys); j > 0 && compareRollKeys(roll.keys[j-1], k) >= 0 {
				return nil, errors.New("reading the voter roll: keys out of order")
			}
			roll.keys = append(roll.keys, k)
		}
	}
	seen := make([]bool, roll.size)
	for _, k := range roll.keys {
		if seen[k.entry] {
			return nil, fmt.Errorf("reading the voter roll: entry number %d twice", k.entry)
		}
		seen[k.entry] = true
	}
	if err := roll.readExtras(r); err != nil {
		if err == io.EOF { // the extras are part of the encoding
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("reading the voter roll: %w", err)
	}
	return roll, nil
}

// readExtras reads the styles and weights that WriteTo writes after the
// keys.
func (r *Roll) readExtras(in io.Reader) error {
	var b [4]byte
	if _, err := io.ReadFull(in, b[:2]); err != nil {
		return err
	}
	names := int(binary.BigEndian.Uint16(b[:2]))
	if names > MaxStyles {
		return fmt.Errorf("%d ballot styles", names)
	}
	if names > 0 {
		r.styleNames = []string{""}
		for range names {
			if _, err := io.ReadFull(in, b[:1]); err != nil {
				return err
			}
			s := make([]byte, b[0])
			if _, err := io.ReadFull(in, s); err != nil {
				return err
			}
			if !validID(string(s)) || slices.Contains(r.styleNames, string(s)) {
				return fmt.Errorf("ballot style %q", s)
			}
			r.styleNames = append(r.styleNames, string(s))
		}
		r.styles = make([]uint16, 0, min(r.size, 1<<20))
		for range r.size {
			if _, err := io.ReadFull(in, b[:2]); err != nil {
				return err
			}
			s := binary.BigEndian.Uint16(b[:2])
			if int(s) > names {
				return fmt.Errorf("ballot style number %d of %d", s, names)
			}
			r.styles = append(r.styles, s)
		}
	}
	if _, err := io.ReadFull(in, b[:1]); err != nil {
		return err
	}
	r.total = uint64(r.size)
	switch b[0] {
	case 0:
		return nil
	case 1:
	default:
		return fmt.Errorf("weights flag %d", b[0])
	}
	r.weights = make([]uint32, 0, min(r.size, 1<<20))
	r.total = 0
	for range r.size {
		if _, err := io.ReadFull(in, b[:]); err != nil {
			return err
		}
		x := binary.BigEndian.Uint32(b[:])
		if x < 1 || x > MaxWeight {
			return fmt.Errorf("weight %d", x)
		}
		r.weights = append(r.weights, x)
		r.total += uint64(x)
	}
	return nil
}
