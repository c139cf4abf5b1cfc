package crypto

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"filippo.io/edwards25519/field"
)

// addVectorSeeds adds every 32-byte element encoding of the RFC 9496
// vectors, and a few edge values, to f as seeds.
func addVectorSeeds(f *testing.F, add func(b []byte)) {
	for _, b := range ristrettoVectorValues(f, "element", "scalar") {
		add(b)
	}
	add(nil)
	add(make([]byte, 31))
	add(bytes.Repeat([]byte{0xff}, 32))
}

func FuzzElementSetCanonicalBytes(f *testing.F) {
	addVectorSeeds(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, b []byte) {
		e := NewGeneratorElement()
		r, err := e.SetCanonicalBytes(b)
		if err != nil {
			if r != nil || !errors.Is(err, ErrInvalidEncoding) {
				t.Fatalf("SetCanonicalBytes(%x) = %v, %v", b, r, err)
			}
			if e.Equal(NewGeneratorElement()) != 1 {
				t.Fatalf("failed SetCanonicalBytes(%x) changed the receiver", b)
			}
			return
		}
		if r != e {
			t.Fatal("SetCanonicalBytes did not return the receiver")
		}
		if got := e.Bytes(); !bytes.Equal(got, b) {
			t.Fatalf("SetCanonicalBytes(%x).Bytes() = %x", b, got)
		}
		// The decoded element behaves as a group element.
		if NewElement().Subtract(e, e).IsIdentity() != 1 {
			t.Fatal("e − e ≠ 0")
		}
		d := NewElement().Add(e, NewGeneratorElement())
		d.Subtract(d, NewGeneratorElement())
		if d.Equal(e) != 1 || !bytes.Equal(d.Bytes(), b) {
			t.Fatal("(e + G) − G ≠ e")
		}
	})
}

func FuzzElementSetUniformBytes(f *testing.F) {
	for _, b := range ristrettoVectorValues(f, "uniform") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := NewElement().SetUniformBytes(b)
		if len(b) != UniformSize {
			if err == nil {
				t.Fatalf("SetUniformBytes accepted %d bytes", len(b))
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		d, err := NewElement().SetCanonicalBytes(e.Bytes())
		if err != nil || d.Equal(e) != 1 {
			t.Fatalf("SetUniformBytes(%x) does not round trip: %v", b, err)
		}
	})
}

func FuzzScalarSetCanonicalBytes(f *testing.F) {
	addVectorSeeds(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, b []byte) {
		s := NewScalar().SetUint64(7)
		r, err := s.SetCanonicalBytes(b)
		if err != nil {
			if r != nil || !errors.Is(err, ErrInvalidEncoding) {
				t.Fatalf("SetCanonicalBytes(%x) = %v, %v", b, r, err)
			}
			if s.Equal(NewScalar().SetUint64(7)) != 1 {
				t.Fatal("failed SetCanonicalBytes changed the receiver")
			}
			if len(b) == ScalarSize && leBig(b).Cmp(bigL) < 0 {
				t.Fatalf("SetCanonicalBytes rejected %x < ℓ", b)
			}
			return
		}
		if !bytes.Equal(s.Bytes(), b) || leBig(b).Cmp(bigL) >= 0 {
			t.Fatalf("SetCanonicalBytes accepted %x", b)
		}
	})
}

func FuzzCiphertextSetBytes(f *testing.F) {
	var elems [][]byte
	addVectorSeeds(f, func(b []byte) { elems = append(elems, b) })
	for i := 0; i+1 < len(elems); i += 3 {
		f.Add(append(append([]byte(nil), elems[i]...), elems[i+1]...))
	}
	pk := GenerateKey().PublicKey()
	c, _ := pk.Encrypt(3)
	f.Add(c.Bytes())
	f.Add(make([]byte, 64))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := NewCiphertext()
		r, err := c.SetBytes(b)
		if err != nil {
			if r != nil || !errors.Is(err, ErrInvalidEncoding) {
				t.Fatalf("SetBytes(%x) = %v, %v", b, r, err)
			}
			if c.Equal(NewCiphertext()) != 1 {
				t.Fatal("failed SetBytes changed the receiver")
			}
			return
		}
		if !bytes.Equal(c.Bytes(), b) {
			t.Fatalf("SetBytes(%x).Bytes() = %x", b, c.Bytes())
		}
	})
}

func FuzzPublicKey(f *testing.F) {
	addVectorSeeds(f, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, b []byte) {
		pk, err := NewPublicKey(b)
		if err != nil {
			if pk != nil || !errors.Is(err, ErrInvalidEncoding) {
				t.Fatalf("NewPublicKey(%x) = %v, %v", b, pk, err)
			}
			return
		}
		if !bytes.Equal(pk.Bytes(), b) || pk.Element().IsIdentity() == 1 {
			t.Fatalf("NewPublicKey(%x) accepted, Bytes() = %x", b, pk.Bytes())
		}
	})
}

// TestFeCanonicalNonNegative checks feCanonicalNonNegative against field
// arithmetic (SetBytes, Bytes, IsNegative) around p and on random inputs.
func TestFeCanonicalNonNegative(t *testing.T) {
	ref := func(b []byte) int {
		s, err := new(field.Element).SetBytes(b)
		if err != nil || !bytes.Equal(s.Bytes(), b) || s.IsNegative() == 1 {
			return 0
		}
		return 1
	}
	var inputs [][]byte
	p := bytes.Repeat([]byte{0xff}, 32)
	p[0], p[31] = 0xed, 0x7f
	for _, top := range []byte{0x7f, 0xff, 0x7e, 0x80, 0x00} {
		for _, mid := range []byte{0xff, 0xfe, 0x00} {
			for lo := 0xe0; lo <= 0xff; lo++ {
				b := bytes.Clone(p)
				b[0], b[31] = byte(lo), top
				b[15] = mid
				inputs = append(inputs, b)
			}
		}
	}
	rng := rand.NewChaCha8([32]byte{9})
	for range 10000 {
		b := make([]byte, 32)
		rng.Read(b)
		inputs = append(inputs, b)
	}
	for _, b := range inputs {
		if got, want := feCanonicalNonNegative(b), ref(b); got != want {
			t.Errorf("feCanonicalNonNegative(%x) = %d, want %d", b, got, want)
		}
	}
}
