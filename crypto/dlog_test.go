package crypto

import (
	"crypto/sha512"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

func vG(v uint64) *Element { return NewElement().ScalarBaseMult(NewScalar().SetUint64(v)) }

func TestDlogSolve(t *testing.T) {
	maxes := []uint64{0, 1, 10, 63, 64, 1000, 1 << 20}
	if !testing.Short() {
		maxes = append(maxes, 100_000_000)
	}
	for _, max := range maxes {
		t.Run(fmt.Sprint(max), func(t *testing.T) {
			d := NewDlogSolver(max)
			if d.Max() != max {
				t.Fatalf("Max() = %d, want %d", d.Max(), max)
			}
			rng := rand.New(rand.NewPCG(max, 1))
			vals := []uint64{0, max, max / 2}
			if max > 0 {
				vals = append(vals, 1, max-1)
			}
			// Values around the giant-step boundaries.
			for _, c := range []uint64{d.m, 2 * d.m, 3 * d.m, 4 * d.m} {
				for _, v := range []uint64{c - 1, c, c + 1} {
					if v <= max {
						vals = append(vals, v)
					}
				}
			}
			for range 20 {
				vals = append(vals, rng.Uint64N(max+1))
			}
			for _, v := range vals {
				got, err := d.Solve(vG(v))
				if err != nil || got != v {
					t.Errorf("Solve(%d·G) = %d, %v, want %d", v, got, err, v)
				}
			}
			for _, v := range []uint64{max + 1, max + 2, max + 2*d.m + 1} {
				if _, err := d.Solve(vG(v)); !errors.Is(err, ErrDlogOutOfRange) {
					t.Errorf("Solve(%d·G) error = %v, want ErrDlogOutOfRange", v, err)
				}
			}
			// Negative values are huge scalars: out of range too.
			neg := NewElement().Negate(vG(1))
			if _, err := d.Solve(neg); !errors.Is(err, ErrDlogOutOfRange) {
				t.Errorf("Solve(−G) error = %v, want ErrDlogOutOfRange", err)
			}
		})
	}
}

func TestDlogOtherBase(t *testing.T) {
	d := NewDlogSolver(10_000)
	// H has an unknown logarithm to base G; 5·H is not a small multiple of G.
	u := sha512.Sum512([]byte("evote test base H"))
	h, _ := NewElement().SetUniformBytes(u[:])
	for _, e := range []*Element{h, NewElement().ScalarMult(NewScalar().SetUint64(5), h), randomElement()} {
		if v, err := d.Solve(e); !errors.Is(err, ErrDlogOutOfRange) {
			t.Errorf("Solve(H) = %d, %v, want ErrDlogOutOfRange", v, err)
		}
	}
}

// TestDlogRepresentatives checks that the answer does not depend on which
// Edwards representative of the element is used.
func TestDlogRepresentatives(t *testing.T) {
	d := NewDlogSolver(100_000)
	for _, v := range []uint64{0, 1, 777, 99_999, 100_000} {
		for _, tp := range torsion4(t) {
			e := vG(v)
			e.p.Add(&e.p, tp)
			got, err := d.Solve(e)
			if err != nil || got != v {
				t.Errorf("Solve(%d·G + T4) = %d, %v", v, got, err)
			}
		}
	}
}

func TestDlogConcurrent(t *testing.T) {
	d := NewDlogSolver(1 << 16)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 2))
			for range 20 {
				v := rng.Uint64N(1<<16 + 1)
				if got, err := d.Solve(vG(v)); err != nil || got != v {
					t.Errorf("Solve(%d·G) = %d, %v", v, got, err)
				}
			}
		}()
	}
	wg.Wait()
}

// randomElement returns r·G for a random r.
func randomElement() *Element { return NewElement().ScalarBaseMult(RandomScalar()) }

func BenchmarkDlog(b *testing.B) {
	for _, max := range []uint64{1000, 1_000_000, 100_000_000} {
		b.Run(fmt.Sprintf("New/%d", max), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				NewDlogSolver(max)
			}
		})
		b.Run(fmt.Sprintf("SolveWorst/%d", max), func(b *testing.B) {
			d := NewDlogSolver(max)
			// The last giant step finds max; max+1 fails after all of them.
			e := vG(max + 1)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := d.Solve(e); err == nil {
					b.Fatal("solved an out-of-range value")
				}
			}
		})
		b.Run(fmt.Sprintf("SolveMax/%d", max), func(b *testing.B) {
			d := NewDlogSolver(max)
			e := vG(max)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if v, err := d.Solve(e); err != nil || v != max {
					b.Fatal(v, err)
				}
			}
		})
	}
}
