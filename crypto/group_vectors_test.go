package crypto

import (
	"bytes"
	"crypto/sha512"
	"errors"
	"testing"

	"github.com/evote/evote/internal/specvectors"
)

// TestRistretto255Vectors runs docs/spec/vectors/ristretto255.txt: RFC
// 9496 Appendix A (A.1 multiples of G, A.2 invalid encodings, A.3 the
// one-way map) and scalar boundary values.
func TestRistretto255Vectors(t *testing.T) {
	counts := make(map[string]int)
	specvectors.Run(t, "ristretto255.txt", func(t *testing.T, v *specvectors.Vector) {
		op := v.String("op")
		counts[op]++
		switch op {
		case "multiple":
			n := v.Uint("n")
			// n·G by ScalarBaseMult, by repeated addition, and decoded
			// from the expected encoding must be one element.
			mul := NewElement().ScalarBaseMult(NewScalar().SetUint64(n))
			sum := NewElement()
			for range n {
				sum.Add(sum, NewGeneratorElement())
			}
			want := v.PeekHex("element")
			e, err := NewElement().SetCanonicalBytes(want)
			if err != nil {
				t.Fatalf("SetCanonicalBytes(%d·G = %x) = %v", n, want, err)
			}
			if got := e.Bytes(); !bytes.Equal(got, want) {
				t.Errorf("SetCanonicalBytes(%x).Bytes() = %x", want, got)
			}
			if e.Equal(sum) != 1 || e.Equal(mul) != 1 {
				t.Errorf("decoded %d·G not Equal to computed %d·G", n, n)
			}
			v.Expect("element", sum.Bytes())
			v.Expect("element", mul.Bytes())
		case "decode":
			e := NewGeneratorElement()
			_, err := e.SetCanonicalBytes(v.Hex("element"))
			if e.Equal(NewGeneratorElement()) != 1 {
				t.Error("a failed SetCanonicalBytes changed the receiver")
			}
			if v.Outcome(encodingOutcome(err)...) {
				v.Expect("element", e.Bytes())
			}
		case "map":
			uniform := v.Hex("uniform")
			if label, ok := v.Lookup("label"); ok {
				if h := sha512.Sum512([]byte(label)); !bytes.Equal(h[:], uniform) {
					t.Fatalf("SHA-512(%q) = %x, want uniform = %x", label, h, uniform)
				}
			}
			e, err := NewElement().SetUniformBytes(uniform)
			if err != nil {
				t.Fatal(err)
			}
			v.Expect("element", e.Bytes())
		case "scalar":
			s := NewScalar().SetUint64(42)
			in := v.Hex("scalar")
			_, err := s.SetCanonicalBytes(in)
			if err != nil && s.Equal(NewScalar().SetUint64(42)) != 1 {
				t.Error("a failed Scalar.SetCanonicalBytes changed the receiver")
			}
			if v.Outcome(encodingOutcome(err)...) && !bytes.Equal(s.Bytes(), in) {
				t.Errorf("Scalar.SetCanonicalBytes(%x).Bytes() = %x", in, s.Bytes())
			}
		case "scalar-uniform":
			s, err := NewScalar().SetUniformBytes(v.Hex("uniform"))
			if err != nil {
				t.Fatal(err)
			}
			v.Expect("scalar", s.Bytes())
		default:
			t.Fatalf("unknown op %q", op)
		}
	})
	want := map[string]int{"multiple": 16, "decode": 29, "map": 11, "scalar": 9, "scalar-uniform": 4}
	for op, n := range want {
		if counts[op] != n {
			t.Errorf("%d vectors of op %q, want %d", counts[op], op, n)
		}
	}
}

// encodingOutcome is the outcome of a decoding for specvectors: none if
// err is nil, "invalid-encoding" if it wraps ErrInvalidEncoding, else the
// error's text.
func encodingOutcome(err error) []string {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrInvalidEncoding):
		return []string{"invalid-encoding"}
	}
	return []string{err.Error()}
}

// invalidElementVectors returns the strings that the decode vectors of
// RFC 9496 Appendix A.2 reject.
func invalidElementVectors(t testing.TB) [][]byte {
	t.Helper()
	var out [][]byte
	for _, v := range specvectors.Load(t, "ristretto255.txt") {
		if v.String("op") == "decode" {
			out = append(out, v.Hex("element"))
		}
	}
	if len(out) == 0 {
		t.Fatal("no decode vectors in ristretto255.txt")
	}
	return out
}

// ristrettoVectorValues returns every 32- or 64-byte hexadecimal value of
// the vectors whose key or output is one of keys, as fuzzing seeds.
func ristrettoVectorValues(t testing.TB, keys ...string) [][]byte {
	t.Helper()
	var out [][]byte
	add := func(key, value string) {
		for _, k := range keys {
			if k == key {
				b, err := specvectors.DecodeHex(value)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, b)
			}
		}
	}
	for _, v := range specvectors.Load(t, "ristretto255.txt") {
		for _, f := range v.Inputs() {
			add(f.Key, f.Value)
		}
		for _, e := range v.Expectations() {
			add(e.Output, e.Value)
		}
	}
	return out
}
