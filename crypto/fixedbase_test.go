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

func TestFixedBaseMult(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{1})
	bases := []*Element{NewGeneratorElement(), NewElement().ScalarBaseMult(detScalar(rng))}
	// A base whose Edwards representative carries 4-torsion: ristretto
	// equality must still hold.
	bases = append(bases, HashToElement("test", []byte("base")))
	n := 50
	if testing.Short() {
		n = 10
	}
	for bi, p := range bases {
		tab := NewFixedBaseTable(p)
		scalars := edgeScalars()
		for i := 0; i < n; i++ {
			scalars = append(scalars, detScalar(rng))
		}
		for _, s := range scalars {
			got := NewElement().FixedBaseMult(s, tab)
			want := NewElement().ScalarMult(s, p)
			if got.Equal(want) != 1 {
				t.Fatalf("base %d: FixedBaseMult(%x) = %x, want %x", bi, s.Bytes(), got.Bytes(), want.Bytes())
			}
		}
	}
	// For G, also compare with ScalarBaseMult and aliasing of the receiver.
	tab := NewFixedBaseTable(NewGeneratorElement())
	e := NewGeneratorElement()
	s := detScalar(rng)
	if e.FixedBaseMult(s, tab).Equal(NewElement().ScalarBaseMult(s)) != 1 {
		t.Fatal("FixedBaseMult(G) != ScalarBaseMult")
	}
}
