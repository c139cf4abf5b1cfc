package ballot

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// TestRollEncoding: a closed roll written by WriteTo reads back the same,
// and encodings that no roll has (keys out of order or twice, entry
// numbers out of range or twice, cut short) are refused.
func TestRollEncoding(t *testing.T) {
	entries := rollEntries("v", 2500) // more than one block of keys
	roll, err := RollOf([32]byte{7}, entries)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := roll.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if want := rollEncodingHead + 40*len(entries) + 3; len(data) != want { // no styles (2 bytes), no weights (1)
		t.Fatalf("encoding of %d entries is %d bytes, want %d", len(entries), len(data), want)
	}
	back, err := ReadRoll(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if back.Size() != roll.Size() || back.Hash() != roll.Hash() || back.Election() != roll.Election() {
		t.Fatalf("read back size %d hash %x election %x, want %d %x %x", back.Size(), back.Hash(), back.Election(), roll.Size(), roll.Hash(), roll.Election())
	}
	for i, e := range entries {
		if n, ok := back.Entry(e.Key); !ok || n != int64(i) {
			t.Fatalf("entry %d read back as %d, %v", i, n, ok)
		}
	}

	key := func(i int) []byte { return data[rollEncodingHead+40*i:][:32] }
	entry := func(i int) []byte { return data[rollEncodingHead+40*i+32:][:8] }
	tamper := map[string]struct {
		edit func(b []byte) []byte
		want string
	}{
		"cut short": {func(b []byte) []byte { return b[:len(b)-1] }, "unexpected EOF"},
		"keys swapped": {func(b []byte) []byte {
			k0, k1 := bytes.Clone(key(0)), bytes.Clone(key(1))
			copy(b[rollEncodingHead:], k1)
			copy(b[rollEncodingHead+40:], k0)
			return b
		}, "keys out of order"},
		"a key twice": {func(b []byte) []byte {
			copy(b[rollEncodingHead+40:], key(0))
			return b
		}, "keys out of order"},
		"an entry number twice": {func(b []byte) []byte {
			copy(b[rollEncodingHead+40+32:], entry(0))
			return b
		}, "twice"},
		"an entry number past the size": {func(b []byte) []byte {
			binary.BigEndian.PutUint64(b[rollEncodingHead+32:], uint64(len(entries)))
			return b
		}, "entry number 2500 of 2500"},
		"a size with no entries behind it": {func(b []byte) []byte {
			binary.BigEndian.PutUint64(b[32:], 1<<31)
			return b
		}, "unexpected EOF"},
	}
	for name, c := range tamper {
		_, err := ReadRoll(bytes.NewReader(c.edit(bytes.Clone(data))))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, c.want)
		}
	}
}
