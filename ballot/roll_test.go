package ballot

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// rollEntries returns n deterministic roll entries: voter ids prefix0,
// prefix1, … with the keys of testKey(prefix + i).
func rollEntries(prefix string, n int) []RollEntry {
	out := make([]RollEntry, n)
	for i := range out {
		k, _ := testKey(fmt.Sprintf("%s%d", prefix, i))
		out[i] = RollEntry{Voter: fmt.Sprintf("%s%d", prefix, i), Key: k}
	}
	return out
}

func sameEntries(a, b []RollEntry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Voter != b[i].Voter || !a[i].Key.Equal(b[i].Key) {
			return false
		}
	}
	return true
}

// rollHashOf computes the roll hash from its definition in
// docs/spec/ballot.md §6.2, independently of RollBuilder:
//
//	SHA-256("evote/v1/roll\x00" || manifest hash ||
//	        for each entry: u8(len(voter)) || voter || key)
//
// with, after the key of an entry that names a style or a weight above 1,
// 0xff || u8(len(style)) || style || u32be(weight).
func rollHashOf(election [32]byte, entries []RollEntry) [32]byte {
	msg := append([]byte("evote/v1/roll\x00"), election[:]...)
	for _, e := range entries {
		msg = append(msg, byte(len(e.Voter)))
		msg = append(msg, e.Voter...)
		msg = append(msg, e.Key...)
		if e.Style != "" || e.Weight > 1 {
			msg = append(msg, 0xff, byte(len(e.Style)))
			msg = append(msg, e.Style...)
			msg = binary.BigEndian.AppendUint32(msg, uint32(max(1, e.Weight)))
		}
	}
	return sha256.Sum256(msg)
}

// tweakPadding returns the standard base64 s with the lowest bit of its last
// character flipped: the bit is padding when the encoded length is not a
// multiple of 3, so the result decodes to the same bytes with a
// non-strict decoder but is not the canonical encoding.
func tweakPadding(t testing.TB, s string) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	i := len(strings.TrimRight(s, "=")) - 1
	if i == len(s)-1 {
		t.Fatalf("%s has no padding", s)
	}
	out := s[:i] + string(alphabet[strings.IndexByte(alphabet, s[i])^1]) + s[i+1:]
	a, _ := base64.StdEncoding.DecodeString(s)
	b, err := base64.StdEncoding.DecodeString(out)
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("tweakPadding(%s) = %s decodes differently (%v)", s, out, err)
	}
	return out
}

func TestRollChunkRoundTrip(t *testing.T) {
	election := sha256.Sum256([]byte("evote test roll election"))
	long := strings.Repeat("L", MaxVoterIDLen)
	k, _ := testKey("roll round trip")
	for _, c := range []*RollChunk{
		{Election: election, First: 0, Voters: rollEntries("v", 1)},
		{Election: election, First: 1000, Voters: rollEntries("voter.", 3)},
		{Election: [32]byte{}, First: 7, Voters: []RollEntry{{Voter: long, Key: k}, {Voter: "a+b@c.d_e-f", Key: rollEntries("x", 1)[0].Key}}},
		{Election: election, First: math.MaxInt64, Voters: rollEntries("full-", MaxRollChunk)},
	} {
		data := c.Marshal()
		got, err := ParseRollChunk(data)
		if err != nil {
			t.Fatalf("ParseRollChunk(Marshal(chunk of %d at %d)) = %v", len(c.Voters), c.First, err)
		}
		if got.Election != c.Election || got.First != c.First || !sameEntries(got.Voters, c.Voters) {
			t.Errorf("round trip of the chunk of %d at %d changed it", len(c.Voters), c.First)
		}
		if again := got.Marshal(); !bytes.Equal(again, data) {
			t.Errorf("round trip changed the encoding:\n%s\n%s", again, data)
		}
	}

	// The canonical encoding, written out.
	c := &RollChunk{Election: election, First: 42, Voters: []RollEntry{{Voter: "alice", Key: k}, {Voter: "Bob+1@example.org", Key: rollEntries("x", 1)[0].Key}}}
	want := `{"election":"` + hex.EncodeToString(election[:]) + `","first":42,"voters":[` +
		`{"voter":"alice","key":"` + b64(k) + `"},` +
		`{"voter":"Bob+1@example.org","key":"` + b64(c.Voters[1].Key) + `"}]}`
	if got := string(c.Marshal()); got != want {
		t.Errorf("Marshal() =\n%s\nwant\n%s", got, want)
	}
}

func TestRollCloseRoundTrip(t *testing.T) {
	election := sha256.Sum256([]byte("evote test roll election"))
	hash := sha256.Sum256([]byte("evote test roll hash"))
	for _, size := range []int64{0, 1, 500, 1 << 40, math.MaxInt64} {
		c := &RollClose{Election: election, Size: size, Hash: hash}
		data := c.Marshal()
		want := fmt.Sprintf(`{"election":"%x","size":%d,"hash":"%x"}`, election, size, hash)
		if string(data) != want {
			t.Errorf("Marshal() = %s, want %s", data, want)
		}
		got, err := ParseRollClose(data)
		if err != nil {
			t.Fatalf("ParseRollClose(%s) = %v", data, err)
		}
		if *got != *c {
			t.Errorf("round trip: %+v, want %+v", got, c)
		}
		if again := got.Marshal(); !bytes.Equal(again, data) {
			t.Errorf("round trip changed the encoding: %s", again)
		}
	}
}

// TestParseRollChunkRejects: every non-canonical encoding and every invalid
// content is refused, with a message that says what is wrong.
func TestParseRollChunkRejects(t *testing.T) {
	election := sha256.Sum256([]byte("evote test roll election"))
	eh := hex.EncodeToString(election[:])
	es := rollEntries("v", 2)
	good := &RollChunk{Election: election, First: 3, Voters: es}
	data := string(good.Marshal())
	if _, err := ParseRollChunk([]byte(data)); err != nil {
		t.Fatal(err)
	}
	k0, k1 := b64(es[0].Key), b64(es[1].Key)
	entry0 := `{"voter":"v0","key":"` + k0 + `"}`
	// withKey0 and withVoter1 replace the key of entry 3 and the id of
	// entry 4.
	withKey0 := func(k string) string { return strings.Replace(data, `"key":"`+k0+`"`, `"key":`+k, 1) }
	withVoter1 := func(v string) string { return strings.Replace(data, `"voter":"v1"`, `"voter":`+v, 1) }
	withFirst := func(f string) string { return strings.Replace(data, `"first":3`, `"first":`+f, 1) }
	withElection := func(e string) string { return strings.Replace(data, `"election":"`+eh+`"`, `"election":`+e, 1) }
	chunkOf := func(n int) string {
		return string((&RollChunk{Election: election, First: 0, Voters: rollEntries("n", n)}).Marshal())
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, []byte(data), "", "  "); err != nil {
		t.Fatal(err)
	}
	const canon = "roll: not in canonical form (compact JSON, members in the specified order)"
	type tc struct{ name, data, msg string }
	cases := []tc{
		// Encoding.
		{"space after a colon", withFirst(" 3"), canon},
		{"indented", indented.String(), canon},
		{"leading space", " " + data, canon},
		{"trailing newline", data + "\n", canon},
		{"members reordered", strings.Replace(data, `"election":"`+eh+`","first":3,`, `"first":3,"election":"`+eh+`",`, 1), canon},
		{"entry members reordered", strings.Replace(data, entry0, `{"key":"`+k0+`","voter":"v0"}`, 1), canon},
		{"member twice", withFirst(`3,"first":3`), canon},
		{"first as -0", withFirst("-0"), canon},
		{"key with padding bits set", withKey0(`"` + tweakPadding(t, k0) + `"`), canon},
		{"escaped voter id", withVoter1(`"v\u0031"`), canon},
		{"unknown field", strings.Replace(data, `"first":3,`, `"first":3,"note":"x",`, 1), `roll: json: unknown field "note"`},
		{"unknown field in an entry", strings.Replace(data, entry0, `{"voter":"v0","key":"`+k0+`","name":"V"}`, 1), `unknown field "name"`},
		{"null voters", strings.Replace(data, `"voters":[`+entry0, `"voters":null,"x":[`+entry0, 1), "roll: null is not allowed"},
		{"null entry", strings.Replace(data, entry0, "null", 1), "roll: null is not allowed"},
		{"null key", withKey0("null"), "roll: null is not allowed"},
		{"null first", withFirst("null"), "roll: null is not allowed"},
		{"null election", withElection("null"), "roll: null is not allowed"},
		{"trailing data", data + "{}", "roll: trailing data after JSON value"},
		{"truncated", data[:len(data)-1], "roll: unexpected EOF"},
		{"empty", "", "roll: EOF"},
		{"an array", "[" + data + "]", "roll: json: cannot unmarshal array"},
		// Size.
		{"no entries", string((&RollChunk{Election: election, First: 3}).Marshal()), "roll: 0 entries; a roll record holds 1 to 500"},
		{"empty voters", strings.Replace(data, `[`+entry0+`,{"voter":"v1","key":"`+k1+`"}]`, "[]", 1), "roll: 0 entries; a roll record holds 1 to 500"},
		{"501 entries", chunkOf(MaxRollChunk + 1), "roll: 501 entries; a roll record holds 1 to 500"},
		// Voter identifiers.
		{"voter id a number", withVoter1("7"), "roll: json: cannot unmarshal number into Go struct field"},
		// Keys.
		{"31-byte key", withKey0(`"` + b64(es[0].Key[:31]) + `"`), "roll: entry 3: key is 31 bytes, want 32"},
		{"33-byte key", withKey0(`"` + b64(append(bytes.Clone(es[0].Key), 0)) + `"`), "roll: entry 3: key is 33 bytes, want 32"},
		{"empty key", withKey0(`""`), "roll: entry 3: key is 0 bytes, want 32"},
		{"not a point", withKey0(`"` + b64(notAPoint(t)) + `"`), "roll: entry 3: key: not a valid Ed25519 public key (not a curve point)"},
		{"small-order key", withKey0(`"` + b64(torsionPoints(t)[5]) + `"`), "roll: entry 3: key: a small-order Ed25519 key: anyone could sign as it"},
		{"identity key", withKey0(`"` + b64(torsionPoints(t)[0]) + `"`), "roll: entry 3: key: a small-order Ed25519 key"},
		{"non-canonical key", withKey0(`"` + b64(nonCanonicalPoint(t)) + `"`), "roll: entry 3: key: Ed25519 public key not in canonical encoding"},
		{"unpadded key", withKey0(`"` + strings.TrimRight(k0, "=") + `"`), "roll: illegal base64 data"},
		{"key not base64", withKey0(`"not base64!"`), "roll: illegal base64 data"},
		{"key a number", withKey0("1"), "roll: json: cannot unmarshal number"},
		// Election.
		{"uppercase election hash", withElection(`"` + strings.ToUpper(eh) + `"`), `roll: election: "` + strings.ToUpper(eh) + `" is not 64 lower-case hex digits`},
		{"short election hash", withElection(`"` + eh[:62] + `"`), `roll: election: "` + eh[:62] + `" is not 64 lower-case hex digits`},
		{"odd election hash", withElection(`"` + eh[:63] + `"`), "is not 64 lower-case hex digits"},
		{"long election hash", withElection(`"` + eh + `00"`), "is not 64 lower-case hex digits"},
		{"empty election hash", withElection(`""`), `roll: election: "" is not 64 lower-case hex digits`},
		{"election hash not hex", withElection(`"` + strings.Repeat("zz", 32) + `"`), "is not 64 lower-case hex digits"},
		{"election in base64", withElection(`"` + b64(election[:]) + `"`), "is not 64 lower-case hex digits"},
		// First.
		{"negative first", withFirst("-1"), "roll: first entry -1 is negative"},
		{"most negative first", withFirst("-9223372036854775808"), "roll: first entry -9223372036854775808 is negative"},
		{"first over 2^63", withFirst("9223372036854775808"), "roll: json: cannot unmarshal number 9223372036854775808"},
		{"first with a fraction", withFirst("3.0"), "roll: json: cannot unmarshal number 3.0"},
		{"first with an exponent", withFirst("3e0"), "roll: json: cannot unmarshal number 3e0"},
		{"first as a string", withFirst(`"3"`), "roll: json: cannot unmarshal string"},
		{"first with a leading zero", withFirst("03"), "roll: invalid character '3' after object key:value pair"},
	}
	for _, id := range invalidVoterIDs() {
		cases = append(cases, tc{"voter id " + fmt.Sprintf("%q", id), withVoter1(jsonString(t, id)),
			fmt.Sprintf("roll: entry 4: %q is not a voter identifier (1 to 64 characters from A-Z, a-z, 0-9, '.', '_', '-', '@', '+')", id)})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.data == data {
				t.Fatal("mutation did nothing")
			}
			got, err := ParseRollChunk([]byte(c.data))
			if err == nil {
				t.Fatalf("ParseRollChunk(%.200s) = %+v, want an error", c.data, got)
			}
			if got != nil {
				t.Errorf("ParseRollChunk returned a chunk with its error")
			}
			if !strings.HasPrefix(err.Error(), "roll: ") || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("ParseRollChunk(%.200s) = %v\nwant an error containing %q", c.data, err, c.msg)
			}
		})
	}
	// The bounds themselves are accepted.
	if _, err := ParseRollChunk([]byte(chunkOf(MaxRollChunk))); err != nil {
		t.Errorf("ParseRollChunk(%d entries) = %v", MaxRollChunk, err)
	}
	if _, err := ParseRollChunk([]byte(chunkOf(1))); err != nil {
		t.Errorf("ParseRollChunk(1 entry) = %v", err)
	}
}

func TestParseRollCloseRejects(t *testing.T) {
	election := sha256.Sum256([]byte("evote test roll election"))
	hash := sha256.Sum256([]byte("evote test roll hash"))
	eh, hh := hex.EncodeToString(election[:]), hex.EncodeToString(hash[:])
	data := string((&RollClose{Election: election, Size: 12, Hash: hash}).Marshal())
	withSize := func(s string) string { return strings.Replace(data, `"size":12`, `"size":`+s, 1) }
	withHash := func(h string) string { return strings.Replace(data, `"hash":"`+hh+`"`, `"hash":`+h, 1) }
	withElection := func(e string) string { return strings.Replace(data, `"election":"`+eh+`"`, `"election":`+e, 1) }
	const canon = "roll close: not in canonical form (compact JSON, members in the specified order)"
	for _, c := range []struct{ name, data, msg string }{
		{"space after a colon", withSize(" 12"), canon},
		{"trailing newline", data + "\n", canon},
		{"members reordered", `{"size":12,"election":"` + eh + `","hash":"` + hh + `"}`, canon},
		{"hash before size", `{"election":"` + eh + `","hash":"` + hh + `","size":12}`, canon},
		{"member twice", withSize(`12,"size":12`), canon},
		{"size as -0", withSize("-0"), canon},
		{"unknown field", withSize(`12,"first":0`), `roll close: json: unknown field "first"`},
		{"null hash", withHash("null"), "roll close: null is not allowed"},
		{"null size", withSize("null"), "roll close: null is not allowed"},
		{"trailing data", data + "[]", "roll close: trailing data after JSON value"},
		{"size with a fraction", withSize("12.0"), "roll close: json: cannot unmarshal number 12.0"},
		{"size as a string", withSize(`"12"`), "roll close: json: cannot unmarshal string"},
		{"uppercase election hash", withElection(`"` + strings.ToUpper(eh) + `"`), `roll close: election: "` + strings.ToUpper(eh) + `" is not 64 lower-case hex digits`},
		{"short election hash", withElection(`"` + eh[:62] + `"`), "roll close: election: "},
		{"uppercase roll hash", withHash(`"` + strings.ToUpper(hh) + `"`), `roll close: hash: "` + strings.ToUpper(hh) + `" is not 64 lower-case hex digits`},
		{"short roll hash", withHash(`"` + hh[:62] + `"`), "roll close: hash: "},
		{"empty roll hash", withHash(`""`), `roll close: hash: "" is not 64 lower-case hex digits`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.data == data {
				t.Fatal("mutation did nothing")
			}
			got, err := ParseRollClose([]byte(c.data))
			if err == nil {
				t.Fatalf("ParseRollClose(%s) = %+v, want an error", c.data, got)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("ParseRollClose(%s) = %v\nwant an error containing %q", c.data, err, c.msg)
			}
		})
	}
}

// TestParseRollCloseNegativeSize: a roll has no negative size, as the roll
// record's parser refuses a negative first entry.
func TestParseRollCloseNegativeSize(t *testing.T) {
	for _, size := range []int64{-1, math.MinInt64} {
		data := (&RollClose{Election: [32]byte{1}, Size: size, Hash: [32]byte{2}}).Marshal()
		c, err := ParseRollClose(data)
		if err == nil {
			t.Fatalf("ParseRollClose(%s) accepts size %d", data, c.Size)
		}
		if !strings.Contains(err.Error(), "negative") {
			t.Errorf("ParseRollClose(%s) = %v, want an error about the negative size", data, err)
		}
	}
}

// maxLeafOverhead is what a board record adds to its payload in its leaf
// data, the entry of a C2SP tlog-tiles entry bundle (docs/spec/bulletin.md
// §3): the label "evote/v1/record\x00", u64be index and time, the
// length-prefixed type (at most 40 bytes), payload, author key (32) and
// signature (64), and the previous leaf hash (32).
const maxLeafOverhead = 16 + 8 + 8 + (4 + 40) + 4 + (4 + 32) + (4 + 64) + 32

// maxTileEntry is the largest entry of a C2SP tlog-tiles entry bundle
// (entries are prefixed with a big-endian uint16 length).
const maxTileEntry = 0xFFFF

// TestRollChunkMaxSize: a full chunk of the longest voter identifiers, at
// the largest first entry, fits a C2SP tlog-tiles entry once the board
// record's other fields are added.
func TestRollChunkMaxSize(t *testing.T) {
	if MaxRollChunk != 500 {
		t.Errorf("MaxRollChunk = %d, want 500", MaxRollChunk)
	}
	c := &RollChunk{Election: sha256.Sum256([]byte("x")), First: math.MaxInt64}
	for i, e := range rollEntries("k", MaxRollChunk) {
		id := fmt.Sprintf("%s%0*d", strings.Repeat("Z", MaxVoterIDLen-8), 8, i)
		c.Voters = append(c.Voters, RollEntry{Voter: id, Key: e.Key})
	}
	if len(c.Voters[0].Voter) != MaxVoterIDLen {
		t.Fatalf("id length %d", len(c.Voters[0].Voter))
	}
	data := c.Marshal()
	// Each entry is {"voter":"<64>","key":"<44>"} and a comma: 130 bytes.
	if want := 117 + MaxRollChunk*130 - 1 + 2; len(data) != want {
		t.Errorf("a full roll chunk is %d bytes, want %d", len(data), want)
	}
	t.Logf("roll record of %d entries with %d-character identifiers: %d bytes of payload, at most %d of leaf data (the limit is %d)",
		MaxRollChunk, MaxVoterIDLen, len(data), len(data)+maxLeafOverhead, maxTileEntry)
	if len(data)+maxLeafOverhead > maxTileEntry {
		t.Errorf("a full roll chunk is %d bytes: with the record's other fields (up to %d bytes) it does not fit a tile entry of %d bytes", len(data), maxLeafOverhead, maxTileEntry)
	}
	if _, err := ParseRollChunk(data); err != nil {
		t.Errorf("ParseRollChunk(full chunk) = %v", err)
	}
}

// TestRollBuilder takes a roll in, chunk by chunk, and checks that every
// chunk that may not come next is refused, for the right reason, without
// changing the roll.
func TestRollBuilder(t *testing.T) {
	mh := sha256.Sum256([]byte("evote test roll builder"))
	es := rollEntries("v", 6)
	newKey, _ := testKey("a key not on the roll")
	b := NewRollBuilder(mh)
	if b.Size() != 0 || b.Hash() != rollHashOf(mh, nil) {
		t.Fatalf("empty builder: size %d, hash %x, want 0, %x", b.Size(), b.Hash(), rollHashOf(mh, nil))
	}
	first := &RollChunk{Election: mh, First: 0, Voters: es[:2]}
	if err := b.Check(first); err != nil {
		t.Fatal(err)
	}
	b.Add(first)
	if b.Size() != 2 || b.Hash() != rollHashOf(mh, es[:2]) {
		t.Fatalf("after 2 entries: size %d, hash %x", b.Size(), b.Hash())
	}
	for i, e := range es[:2] {
		if n, ok := b.Entry(e.Key); !ok || n != int64(i) {
			t.Errorf("Entry(key of entry %d) = %d, %v", i, n, ok)
		}
	}

	next := func(vs ...RollEntry) *RollChunk { return &RollChunk{Election: mh, First: 2, Voters: vs} }
	for _, tt := range []struct {
		name string
		c    *RollChunk
		dup  bool
		msg  string
	}{
		{"another election", &RollChunk{Election: sha256.Sum256([]byte("other")), First: 2, Voters: es[2:3]}, false, "the roll record is for another election"},
		{"a gap", &RollChunk{Election: mh, First: 3, Voters: es[3:4]}, false, "the roll record starts at entry 3, but the roll has 2 entries: post the records in order"},
		{"a replay", first, false, "the roll record starts at entry 0, but the roll has 2 entries"},
		{"an overlap", &RollChunk{Election: mh, First: 1, Voters: es[1:3]}, false, "starts at entry 1, but the roll has 2 entries"},
		{"duplicate id within the chunk", next(es[2], RollEntry{Voter: "v2", Key: newKey}), true, `entry 3: voter "v2" is already on the roll as entry 2`},
		{"duplicate key within the chunk", next(es[2], es[3], RollEntry{Voter: "new", Key: es[2].Key}), true, `entry 4: the key of voter "new" is already on the roll as entry 2`},
		{"duplicate id across chunks", next(es[2], RollEntry{Voter: "v0", Key: newKey}), true, `entry 3: voter "v0" is already on the roll as entry 0`},
		{"duplicate key across chunks", next(es[2], RollEntry{Voter: "new", Key: es[1].Key}), true, `entry 3: the key of voter "new" is already on the roll as entry 1`},
		{"the same entry again", next(es[0]), true, `entry 2: voter "v0" is already on the roll as entry 0`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			size, hash := b.Size(), b.Hash()
			err := b.Check(tt.c)
			if err == nil {
				t.Fatal("Check accepted the chunk")
			}
			if errors.Is(err, ErrRollDuplicate) != tt.dup {
				t.Errorf("Check = %v: errors.Is(ErrRollDuplicate) = %v, want %v", err, !tt.dup, tt.dup)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Check = %v, want an error containing %q", err, tt.msg)
			}
			if b.Size() != size || b.Hash() != hash {
				t.Errorf("refused chunk changed the roll: size %d → %d, hash %x → %x", size, b.Size(), hash, b.Hash())
			}
			for _, e := range tt.c.Voters[:1] {
				if n, ok := b.Entry(e.Key); ok && n >= 2 {
					t.Errorf("refused chunk put %q on the roll as entry %d", e.Voter, n)
				}
			}
		})
	}
	if t.Failed() {
		return
	}
	// The refused chunks left nothing behind: their new identifiers and
	// keys ("v2", "new", newKey) are still free.
	rest := &RollChunk{Election: mh, First: 2, Voters: append(es[2:], RollEntry{Voter: "new", Key: newKey})}
	if err := b.Check(rest); err != nil {
		t.Fatalf("Check(entries 2 to 6) after the refusals = %v", err)
	}
	b.Add(rest)
	all := append(es[:2:2], rest.Voters...)
	if b.Size() != 7 || b.Hash() != rollHashOf(mh, all) {
		t.Fatalf("after 7 entries: size %d, hash %x, want 7, %x", b.Size(), b.Hash(), rollHashOf(mh, all))
	}
	r := b.Close()
	if r.Size() != 7 || r.Hash() != rollHashOf(mh, all) {
		t.Fatalf("Close() = size %d, hash %x", r.Size(), r.Hash())
	}
	for i, e := range all {
		if n, ok := r.Entry(e.Key); !ok || n != int64(i) {
			t.Errorf("Roll.Entry(key of %q) = %d, %v, want %d", e.Voter, n, ok, i)
		}
	}
	k, _ := testKey("not on the roll")
	for name, key := range map[string]ed25519.PublicKey{"another key": k, "nil": nil, "short": es[0].Key[:31], "long": append(bytes.Clone(es[0].Key), 0)} {
		if n, ok := r.Entry(key); ok {
			t.Errorf("Roll.Entry(%s) = %d, true", name, n)
		}
		if _, ok := NewRollBuilder(mh).Entry(key); ok {
			t.Errorf("RollBuilder.Entry(%s) = true", name)
		}
	}
	if r2, err := RollOf(mh, all); err != nil || r2.Hash() != r.Hash() || r2.Size() != r.Size() {
		t.Errorf("RollOf(the same entries) = %v, %v, want the same roll", r2, err)
	}
}

// TestRollOf: the roll hash does not depend on how the entries are cut into
// records, only on the entries, their order and the election.
func TestRollOf(t *testing.T) {
	mh := sha256.Sum256([]byte("evote test roll of"))
	es := rollEntries("e", 2*MaxRollChunk+201)
	r, err := RollOf(mh, es)
	if err != nil {
		t.Fatal(err)
	}
	if r.Size() != int64(len(es)) || r.Hash() != rollHashOf(mh, es) {
		t.Fatalf("RollOf: size %d, hash %x, want %d, %x", r.Size(), r.Hash(), len(es), rollHashOf(mh, es))
	}
	// One entry per record.
	b := NewRollBuilder(mh)
	for i, e := range es[:50] {
		c := &RollChunk{Election: mh, First: int64(i), Voters: []RollEntry{e}}
		if err := b.Check(c); err != nil {
			t.Fatal(err)
		}
		b.Add(c)
	}
	if r50, _ := RollOf(mh, es[:50]); b.Hash() != r50.Hash() {
		t.Error("a roll of one-entry records hashes differently")
	}
	// RollChunks cuts at MaxRollChunk and numbers from first.
	chunks := RollChunks(mh, 1000, es)
	if len(chunks) != 3 {
		t.Fatalf("RollChunks of %d entries: %d chunks, want 3", len(es), len(chunks))
	}
	for i, want := range []struct {
		first int64
		n     int
	}{{1000, 500}, {1500, 500}, {2000, 201}} {
		if c := chunks[i]; c.Election != mh || c.First != want.first || len(c.Voters) != want.n {
			t.Errorf("chunk %d: first %d, %d entries, want %d, %d", i, c.First, len(c.Voters), want.first, want.n)
		}
	}
	if cs := RollChunks(mh, 0, nil); len(cs) != 0 {
		t.Errorf("RollChunks(no entries) = %d chunks", len(cs))
	}
	if empty, err := RollOf(mh, nil); err != nil || empty.Size() != 0 || empty.Hash() != rollHashOf(mh, nil) {
		t.Errorf("RollOf(no entries) = %v, %v", empty, err)
	}
	// Another election gives another hash.
	if r2, _ := RollOf(sha256.Sum256([]byte("other")), es); r2.Hash() == r.Hash() {
		t.Error("the roll hash does not depend on the election")
	}
	// A duplicate in a later record is refused.
	dup := append(es[:MaxRollChunk+10:MaxRollChunk+10], RollEntry{Voter: "fresh", Key: es[3].Key})
	if _, err := RollOf(mh, dup); !errors.Is(err, ErrRollDuplicate) || !strings.Contains(err.Error(), "entry 510") {
		t.Errorf("RollOf(with a duplicate key at 510) = %v, want ErrRollDuplicate at entry 510", err)
	}
}
