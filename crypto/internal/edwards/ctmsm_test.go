package edwards

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"filippo.io/edwards25519"
)

// TestMultiScalarMult compares the constant-time sum with edwards25519's,
// for edge scalars and points with a torsion component (the sum must be
// exact, torsion included).
func TestMultiScalarMult(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{7})
	low := lowOrderPoint(t)
	for _, n := range []int{0, 1, 2, 3, 9, 40} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			edge := edgeScalars()
			scalars := make([]*edwards25519.Scalar, n)
			points := make([]*edwards25519.Point, n)
			for i := range n {
				scalars[i] = detScalar(rng)
				if i%2 == 1 {
					scalars[i] = edge[i%len(edge)]
				}
				points[i] = new(edwards25519.Point).ScalarBaseMult(detScalar(rng))
				switch i % 5 {
				case 3:
					points[i].Add(points[i], low)
				case 4:
					points[i] = edwards25519.NewIdentityPoint()
				}
			}
			got := MultiScalarMult(new(edwards25519.Point), scalars, points)
			want := new(edwards25519.Point).VarTimeMultiScalarMult(scalars, points)
			if got.Equal(want) != 1 {
				t.Fatal("MultiScalarMult ≠ VarTimeMultiScalarMult")
			}
		})
	}
}
