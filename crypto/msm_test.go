package crypto

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"filippo.io/edwards25519"
)

func TestMSMPippenger(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{2})
	sizes := []int{1, 2, 3, 17, 64, 200, 700}
	if testing.Short() {
		sizes = sizes[:5]
	}
	for _, n := range sizes {
		for _, kind := range []string{"full", "short", "mixed", "edge"} {
			t.Run(fmt.Sprintf("%s/n=%d", kind, n), func(t *testing.T) {
				scalars := make([]*edwards25519.Scalar, n)
				points := make([]*edwards25519.Point, n)
				for i := range scalars {
					s := detScalar(rng)
					switch {
					case kind == "short" || (kind == "mixed" && i%3 != 0):
						var b [32]byte
						rng.Read(b[:16])
						s.s.SetCanonicalBytes(b[:])
					case kind == "edge":
						e := edgeScalars()
						s = e[i%len(e)]
					}
					scalars[i] = &s.s
					// Repeat some points, and include the identity.
					switch {
					case i%5 == 4:
						points[i] = points[i-1]
					case i%7 == 6:
						points[i] = edwards25519.NewIdentityPoint()
					default:
						points[i] = &NewElement().ScalarBaseMult(detScalar(rng)).p
					}
				}
				got := msmPippenger(new(edwards25519.Point), scalars, points)
				want := new(edwards25519.Point).VarTimeMultiScalarMult(scalars, points)
				if got.Equal(want) != 1 {
					t.Fatalf("msmPippenger ≠ VarTimeMultiScalarMult")
				}
			})
		}
	}
}

// BenchmarkMSM compares edwards25519's Straus method with msmPippenger on
// batch-shaped inputs: one point in three with a full scalar (statement
// elements), the others with 128-bit weights (commitments).
func BenchmarkMSM(b *testing.B) {
	rng := rand.NewChaCha8([32]byte{3})
	const max = 6000
	scalars := make([]*edwards25519.Scalar, max)
	points := make([]*edwards25519.Point, max)
	for i := range scalars {
		s := detScalar(rng)
		if i%3 != 0 {
			var buf [32]byte
			rng.Read(buf[:16])
			s.s.SetCanonicalBytes(buf[:])
		}
		scalars[i] = &s.s
		points[i] = &NewElement().ScalarBaseMult(detScalar(rng)).p
	}
	methods := []struct {
		name string
		f    func(*edwards25519.Point, []*edwards25519.Scalar, []*edwards25519.Point) *edwards25519.Point
	}{
		{"straus", (*edwards25519.Point).VarTimeMultiScalarMult},
		{"pippenger", msmPippenger},
	}
	for _, m := range methods {
		for _, n := range []int{16, 64, 128, 256, 1024, max} {
			b.Run(fmt.Sprintf("%s/n=%d", m.name, n), func(b *testing.B) {
				var v edwards25519.Point
				b.ReportAllocs()
				for b.Loop() {
					m.f(&v, scalars[:n], points[:n])
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/point")
			})
		}
	}
}
