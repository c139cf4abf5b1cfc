package edwards

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
						s.SetCanonicalBytes(b[:])
					case kind == "edge":
						e := edgeScalars()
						s = e[i%len(e)]
					}
					scalars[i] = s
					// Repeat some points, and include the identity.
					switch {
					case i%5 == 4:
						points[i] = points[i-1]
					case i%7 == 6:
						points[i] = edwards25519.NewIdentityPoint()
					default:
						points[i] = new(edwards25519.Point).ScalarBaseMult(detScalar(rng))
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
			s.SetCanonicalBytes(buf[:])
		}
		scalars[i] = s
		points[i] = new(edwards25519.Point).ScalarBaseMult(detScalar(rng))
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

// TestMSMPippengerRandomSizes compares msmPippenger with the naive sum
// Σ scalars[i]·points[i] for random sizes, in an order that makes each
// call reuse the pooled scratch buffers of a larger or smaller one, with
// zero, short, full and edge scalars and repeated and identity points.
func TestMSMPippengerRandomSizes(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{4})
	r := rand.New(rng)
	sizes := []int{0, 1, 300, 2, 150, 49, 48, 47, 1000, 5}
	for range 10 {
		sizes = append(sizes, r.IntN(400))
	}
	if testing.Short() {
		sizes = sizes[:8]
	}
	edge := edgeScalars()
	for _, n := range sizes {
		scalars := make([]*edwards25519.Scalar, n)
		points := make([]*edwards25519.Point, n)
		for i := range n {
			s := detScalar(rng)
			switch r.IntN(5) {
			case 0:
				var b [32]byte
				rng.Read(b[:16])
				s.SetCanonicalBytes(b[:])
			case 1:
				s = edge[r.IntN(len(edge))]
			case 2:
				s = edwards25519.NewScalar()
			}
			scalars[i] = s
			switch {
			case i > 0 && r.IntN(6) == 0:
				points[i] = points[r.IntN(i)]
			case r.IntN(8) == 0:
				points[i] = edwards25519.NewIdentityPoint()
			default:
				points[i] = new(edwards25519.Point).ScalarBaseMult(detScalar(rng))
			}
		}
		want := edwards25519.NewIdentityPoint()
		for i := range n {
			want.Add(want, new(edwards25519.Point).ScalarMult(scalars[i], points[i]))
		}
		if got := msmPippenger(new(edwards25519.Point), scalars, points); got.Equal(want) != 1 {
			t.Errorf("n=%d: msmPippenger ≠ Σ scalars[i]·points[i]", n)
		}
		if got := VarTimeMultiScalarMult(new(edwards25519.Point), scalars, points); got.Equal(want) != 1 {
			t.Errorf("n=%d: VarTimeMultiScalarMult ≠ Σ scalars[i]·points[i]", n)
		}
	}
}
