package bulletin

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/internal/specvectors"
)

// recordSeeds returns the record lines of the record vectors
// (docs/spec/vectors/records.txt), valid or not, and a few edge cases, to
// compare parseRecordFast with parseRecordJSON.
func recordSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, v := range specvectors.Load(t, "records.txt") {
		if rec, ok := v.Lookup("record"); ok {
			seeds = append(seeds, []byte(rec))
		}
		if v.Expects("record") {
			seeds = append(seeds, []byte(v.Peek("record")))
		}
	}
	if len(seeds) == 0 {
		t.Fatal("no records in records.txt")
	}
	r, err := parseRecordJSON(seeds[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, idx := range []uint64{1 << 62, 1<<62 + 1, 1<<64 - 1, 10} {
		r2 := *r
		r2.Index = idx
		seeds = append(seeds, r2.appendJSON(nil))
	}
	for _, p := range []string{`"x"`, `[1,2.5e-3,true,false,{}]`, `[null]`, `{"a":"\u00e9\n"}`, `{"a": 1}`, `{"a":1}{}`, `"é"`, `1`} {
		r2 := *r
		r2.Payload = []byte(p)
		seeds = append(seeds, r2.appendJSON(nil))
	}
	return seeds
}

// checkFastAgrees fails if parseRecordFast accepts data that
// parseRecordJSON rejects or decodes differently, or rejects a record that
// parseRecordJSON accepts (every canonical record should take the fast path).
func checkFastAgrees(t *testing.T, data []byte) {
	t.Helper()
	fast := parseRecordFast(data)
	slow, err := parseRecordJSON(data)
	switch {
	case fast == nil && err == nil:
		t.Fatalf("parseRecordFast(%q) = nil, parseRecordJSON accepts it", data)
	case fast != nil && err != nil:
		t.Fatalf("parseRecordFast(%q) accepted, parseRecordJSON: %v", data, err)
	case fast != nil:
		if fast.Index != slow.Index || !fast.Time.Equal(slow.Time) || fast.Time.Location() != slow.Time.Location() ||
			fast.Type != slow.Type || !bytes.Equal(fast.Payload, slow.Payload) || !bytes.Equal(fast.Author, slow.Author) ||
			!bytes.Equal(fast.Sig, slow.Sig) || !bytes.Equal(fast.Prev, slow.Prev) {
			t.Fatalf("parseRecordFast(%q) = %+v, parseRecordJSON = %+v", data, fast, slow)
		}
		if enc := fast.appendJSON(nil); !bytes.Equal(enc, data) {
			t.Fatalf("parseRecordFast(%q) marshals to %q", data, enc)
		}
	}
}

// TestParseRecordFastMangled checks that the fast and the encoding/json
// parsers agree on every truncation, extension and byte change of
// canonical records.
func TestParseRecordFastMangled(t *testing.T) {
	repl := []byte{0, ' ', '"', '\\', '0', '9', 'A', '=', '+', '/', '\n', '}', ',', 0xff}
	for _, rec := range recordSeeds(t) {
		checkFastAgrees(t, rec)
		for i := 0; i <= len(rec); i++ {
			checkFastAgrees(t, rec[:i])
			checkFastAgrees(t, append(bytes.Clone(rec), rec[i:]...))
			if i == len(rec) {
				break
			}
			for _, c := range repl {
				m := bytes.Clone(rec)
				m[i] = c
				checkFastAgrees(t, m)
				m = append(bytes.Clone(rec[:i]), c)
				checkFastAgrees(t, append(m, rec[i:]...))
			}
		}
	}
}

func TestParseRecordNoAlias(t *testing.T) {
	data := recordSeeds(t)[0]
	r := parseRecordFast(data)
	if r == nil {
		t.Fatal("parseRecordFast rejected a canonical record")
	}
	want := r.appendJSON(nil)
	clear(data)
	if got := r.appendJSON(nil); !bytes.Equal(got, want) {
		t.Fatalf("record changed with the input buffer: %q, want %q", got, want)
	}
}

func BenchmarkParseRecord(b *testing.B) {
	data := recordSeeds(b)[1]
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParseRecord(data); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzParseRecordFast(f *testing.F) {
	for _, s := range recordSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFastAgrees(t, data)
	})
}

// compactJSONRef is what compactJSON short-cuts: json.Compact leaves p as
// it is, and no token of p is a null.
func compactJSONRef(p []byte) bool {
	var buf bytes.Buffer
	if json.Compact(&buf, p) != nil || !bytes.Equal(buf.Bytes(), p) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(p))
	for {
		tok, err := dec.Token()
		if err != nil {
			return true
		}
		if tok == nil {
			return false
		}
	}
}

var compactJSONSeeds = []string{
	``, `0`, `-0`, `01`, `-`, `1.`, `1.5`, `1e5`, `1E+5`, `1e-05`, `1e`, `-01`, `.5`, `2.e3`,
	`true`, `false`, `null`, `tru`, `nul`, `truex`, `True`,
	`""`, `"a"`, `"\"\\\/\b\f\n\r\t"`, `"\u00e9\uD800"`, `"\u00g0"`, `"\x"`, "\"\x01\"", "\"\x7f\xff\"", `"`, `"\`, `"\u12`,
	`{}`, `[]`, `{"a":1}`, `{"a":1,"b":[1,2,{}]}`, `{"a":1,}`, `[1,]`, `[,1]`, `{"a"}`, `{"a":}`, `{1:2}`,
	`[1 ]`, ` 1`, `1 `, "[1,\n2]", `{"a" :1}`, `[1][2]`, `{}}`, `[[]`, `]`, `{"a":1]`, `[1}`, `"a"1`,
	`{"election":"demo","contests":1}`,
}

func TestCompactJSON(t *testing.T) {
	for _, s := range compactJSONSeeds {
		if got, want := compactJSON([]byte(s)), compactJSONRef([]byte(s)); got != want {
			t.Errorf("compactJSON(%q) = %v, want %v", s, got, want)
		}
	}
	for _, depth := range []int{maxJSONDepth - 1, maxJSONDepth, maxJSONDepth + 1} {
		for _, s := range []string{
			strings.Repeat("[", depth) + strings.Repeat("]", depth),
			strings.Repeat(`{"a":`, depth-1) + "[]" + strings.Repeat("}", depth-1),
		} {
			if got, want := compactJSON([]byte(s)), compactJSONRef([]byte(s)); got != want {
				t.Errorf("compactJSON(depth %d %.8q…) = %v, want %v", depth, s, got, want)
			}
		}
	}
}

func FuzzCompactJSON(f *testing.F) {
	for _, s := range compactJSONSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		if got, want := compactJSON(p), compactJSONRef(p); got != want {
			t.Fatalf("compactJSON(%q) = %v, json.Compact says %v", p, got, want)
		}
	})
}

// TestLeafHashInPlace checks LeafHash, which hashes the fields in place,
// against its definition tlog.RecordHash(LeafData()).
func TestLeafHashInPlace(t *testing.T) {
	for i, data := range recordSeeds(t) {
		r, err := parseRecordJSON(data)
		if err != nil {
			continue // seeds include invalid records
		}
		r.Type = strings.Repeat("t", 1+i%MaxTypeLen)
		r.Payload = bytes.Repeat([]byte("x"), i*97)
		if got, want := r.LeafHash(), tlog.RecordHash(r.LeafData()); got != want {
			t.Errorf("record %d: LeafHash() = %v, want %v", i, got, want)
		}
	}
}
