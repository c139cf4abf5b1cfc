package crypto

import (
	"math/rand/v2"
	"testing"
)

// detScalar returns a deterministic pseudo-random scalar from rng.
func detScalar(rng *rand.ChaCha8) *Scalar {
	var b [UniformSize]byte
	rng.Read(b[:])
	s, err := new(Scalar).SetUniformBytes(b[:])
	if err != nil {
		panic(err)
	}
	return s
}

func edgeScalars() []*Scalar {
	lMinus1 := NewScalar().SetInt64(-1)
	return []*Scalar{
		NewScalar(), NewScalar().SetUint64(1), NewScalar().SetUint64(2),
		NewScalar().SetUint64(8), NewScalar().SetUint64(15), NewScalar().SetUint64(16),
		NewScalar().SetUint64(1 << 63), lMinus1, NewScalar().SetInt64(-8),
		NewScalar().SetInt64(-9),
	}
}

// TestFixedBaseMult checks the table of an Element; the arithmetic itself
// is tested in crypto/internal/edwards. The bases include one whose
// Edwards representative carries 4-torsion, where only ristretto equality
// holds, and the receiver is also the base.
func TestFixedBaseMult(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{1})
	bases := []*Element{NewGeneratorElement(), NewElement().ScalarBaseMult(detScalar(rng)), HashToElement("test", []byte("base"))}
	for bi, p := range bases {
		tab := NewFixedBaseTable(p)
		for _, s := range append(edgeScalars(), detScalar(rng), detScalar(rng)) {
			want := NewElement().ScalarMult(s, p)
			if got := NewElement().Set(p).FixedBaseMult(s, tab); got.Equal(want) != 1 {
				t.Fatalf("base %d: FixedBaseMult(%x) = %x, want %x", bi, s.Bytes(), got.Bytes(), want.Bytes())
			}
		}
	}
	s := detScalar(rng)
	if NewElement().FixedBaseMult(s, NewFixedBaseTable(NewGeneratorElement())).Equal(NewElement().ScalarBaseMult(s)) != 1 {
		t.Fatal("FixedBaseMult(G) != ScalarBaseMult")
	}
}
