package strictjson

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

func TestUnmarshal(t *testing.T) {
	type v struct {
		A int `json:"a"`
	}
	for _, tt := range []struct {
		in      string
		wantErr bool
	}{
		{`{"a":1}`, false},
		{` {"a":1} `, false},
		{`{"a":1,"b":2}`, true}, // unknown field
		{`{"a":1}{"a":2}`, true},
		{`{"a":1}]`, true},
		{`{"a":1}}`, true},
		{`{"a":1} x`, true},
		{`{"a":"1"}`, true},
		{``, true},
	} {
		var got v
		err := Unmarshal([]byte(tt.in), &got)
		if (err != nil) != tt.wantErr {
			t.Errorf("Unmarshal(%q) = %v, want error %v", tt.in, err, tt.wantErr)
		}
	}
	if err := Unmarshal([]byte(`{"a":1} {}`), new(v)); !errors.Is(err, ErrTrailingData) {
		t.Errorf("trailing value: %v, want ErrTrailingData", err)
	}
}

func TestUnmarshalNull(t *testing.T) {
	type inner struct {
		Q *int `json:"q"`
	}
	type v struct {
		A *int            `json:"a"`
		S string          `json:"s"`
		T string          `json:"t"`
		L []int           `json:"l"`
		O map[string]any  `json:"o"`
		I []inner         `json:"i"`
		N int             `json:"null"`
		R json.RawMessage `json:"r"`
	}
	for _, tt := range []struct {
		name string
		in   string
		off  int // of the null, or −1 if the input is valid
	}{
		{"top level", `null`, 0},
		{"top level with white space", " \n\tnull\r\n", 3},
		{"object member", `{"a":null}`, 5},
		{"member with white space", "{ \"a\" :\n\tnull }", 9},
		{"array element", `{"l":[1,null]}`, 8},
		{"array element with white space", `{"l":[ 1 , null ]}`, 11},
		{"nested", `{"i":[{"q":1},{"q":null}]}`, 19},
		{"nested in a map", `{"o":{"x":[true,{"y":null}]}}`, 21},
		{"raw message", `{"r":{"x":null}}`, 10},
		{"after a string with escapes", `{"s":"a\\","a":null}`, 15},
		{"after an escaped quote", `{"s":"\"null\"","a":null}`, 20},
		{"after the value", `{"a":1} null`, 8},
		{"in a string", `{"s":"null"}`, -1},
		{"in a string with an escaped quote", `{"s":"\"null\" and null"}`, -1},
		{"in a string after backslashes", `{"s":"\\\"null"}`, -1},
		{"in two strings", `{"s":"null","t":"nul\u006c"}`, -1},
		{"as a key", `{"null":1}`, -1},
		{"as the only text", `{"s":"null","l":[],"a":7}`, -1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := v{N: 42}
			err := Unmarshal([]byte(tt.in), &got)
			if tt.off < 0 {
				if err != nil {
					t.Fatalf("Unmarshal(%q) = %v, want success", tt.in, err)
				}
				return
			}
			if !errors.Is(err, ErrNull) {
				t.Fatalf("Unmarshal(%q) = %v, want ErrNull", tt.in, err)
			}
			if want := fmt.Sprintf("null is not allowed (at byte offset %d)", tt.off); err.Error() != want {
				t.Errorf("Unmarshal(%q) = %q, want %q", tt.in, err, want)
			}
			if got.N != 42 || got.A != nil || got.L != nil {
				t.Errorf("Unmarshal(%q) changed the value to %+v", tt.in, got)
			}
		})
	}
	// Syntax errors are the decoder's to report, even near an 'n'.
	for _, in := range []string{`nul`, `{"a":nul}`, `{"a":nil}`, `{"s":"null`, `{"s":"x"n}`, `{"a":1,}n`} {
		if err := Unmarshal([]byte(in), new(v)); err == nil || errors.Is(err, ErrNull) {
			t.Errorf("Unmarshal(%q) = %v, want a syntax error", in, err)
		}
	}
}

// FuzzIndexNull checks indexNull against encoding/json: on valid JSON it
// finds a null exactly when decoding into an any gives a nil somewhere, and
// what it points at is a null.
func FuzzIndexNull(f *testing.F) {
	for _, s := range []string{`null`, `{"a":null}`, `{"s":"null"}`, `["\\",null]`, `["\"null"]`, `{"null":[1,2,{"x":"\u006eull"}]}`, `[true,false,0,-1.5e3]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		off := indexNull(data)
		if off >= 0 && !bytes.HasPrefix(data[off:], []byte("null")) {
			t.Fatalf("indexNull(%q) = %d, not at a null", data, off)
		}
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		if want := hasNil(v); (off >= 0) != want {
			t.Fatalf("indexNull(%q) = %d, but encoding/json finds a null: %v", data, off, want)
		}
	})
}

func hasNil(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case []any:
		for _, e := range v {
			if hasNil(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range v {
			if hasNil(e) {
				return true
			}
		}
	}
	return false
}

// benchRecord is shaped like a board submission: a type, a verbatim JSON
// payload, and two base64 fields.
type benchRecord struct {
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
	Author  []byte          `json:"author"`
	Sig     []byte          `json:"sig"`
}

// benchInput returns a submission whose payload is a definition-like
// object with a roll of n base64 keys (about 47 bytes each).
func benchInput(n int) []byte {
	var p bytes.Buffer
	p.WriteString(`{"version":"evote/v1","id":"bench","title":"Bench \"null\" election","threshold":2,"voters":[`)
	key := make([]byte, 32)
	for i := range n {
		if i > 0 {
			p.WriteByte(',')
		}
		binary.LittleEndian.PutUint64(key, uint64(i)*0x9e3779b97f4a7c15)
		p.WriteByte('"')
		p.WriteString(base64.StdEncoding.EncodeToString(key))
		p.WriteByte('"')
	}
	p.WriteString(`]}`)
	data, err := json.Marshal(benchRecord{Type: "election", Payload: p.Bytes(), Author: key, Sig: append(key, key...)})
	if err != nil {
		panic(err)
	}
	return data
}

// BenchmarkUnmarshal decodes submissions with small and large payloads
// (a 20,000-voter roll is about 1 MB, the board's payload limit).
func BenchmarkUnmarshal(b *testing.B) {
	for _, n := range []int{1, 20_000} {
		data := benchInput(n)
		b.Run(fmt.Sprintf("%dB", len(data)), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				var v benchRecord
				if err := Unmarshal(data, &v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIndexNull measures the null scan alone on the large input of
// BenchmarkUnmarshal.
func BenchmarkIndexNull(b *testing.B) {
	data := benchInput(20_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if indexNull(data) >= 0 {
			b.Fatal("found a null")
		}
	}
}
