package tally_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/evote/evote/crypto"
	"github.com/evote/evote/tally"
)

// benchSums returns l sums, each an encryption of a value below 1000.
func benchSums(b *testing.B, e *testElection, l int) []*crypto.Ciphertext {
	rng := rand.New(rand.NewPCG(42, 0))
	sums := make([]*crypto.Ciphertext, l)
	for k := range sums {
		sums[k], _ = e.pk.Encrypt(rng.Uint64N(1000))
	}
	return sums
}

func BenchmarkPartialDecryption(b *testing.B) {
	e := newTestElection(b, 3, 5)
	for _, l := range []int{1, 100} {
		sums := benchSums(b, e, l)
		b.Run(fmt.Sprintf("sums=%d", l), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tally.NewPartialDecryption(e.ctx, 1, e.shares[1], sums); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerifyPartials(b *testing.B) {
	e := newTestElection(b, 3, 5)
	sums := benchSums(b, e, 100)
	partials := e.partials(b, sums, e.indices...)
	b.Run("one-by-one/partials=5/sums=100", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, p := range partials {
				if err := tally.VerifyPartial(e.ctx, e.vks[p.Trustee], sums, p); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("batch/partials=5/sums=100", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, err := range tally.VerifyPartials(e.ctx, e.vks, sums, partials) {
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	bad := clonePartial(partials[2])
	bad.Shares[50] = randomElement()
	withBad := []*tally.PartialDecryption{partials[0], partials[1], bad, partials[3], partials[4]}
	b.Run("batch-one-invalid/partials=5/sums=100", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if errs := tally.VerifyPartials(e.ctx, e.vks, sums, withBad); errs[2] == nil {
				b.Fatal("invalid partial accepted")
			}
		}
	})
}

func BenchmarkCombine(b *testing.B) {
	e := newTestElection(b, 3, 5)
	sums := benchSums(b, e, 100)
	partials := e.partials(b, sums, e.indices...)
	solver := crypto.NewDlogSolver(1000)
	b.Run("partials=5/sums=100", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tally.Combine(e.ctx, 3, sums, e.vks, partials, solver); err != nil {
				b.Fatal(err)
			}
		}
	})
	r, err := tally.Combine(e.ctx, 3, sums, e.vks, partials, solver)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("verify-result/partials=5/sums=100", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := tally.VerifyResult(e.ctx, 3, sums, e.vks, partials, r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAccumulate adds a ballot of 6 ciphertexts to the sums, as is
// (weight 1) and weighted (two scalar multiplications a ciphertext).
func BenchmarkAccumulate(b *testing.B) {
	e := newTestElection(b, 3, 5)
	ballot := benchSums(b, e, 6)
	for _, w := range []uint64{1, 1000} {
		b.Run(fmt.Sprintf("weight=%d", w), func(b *testing.B) {
			b.ReportAllocs()
			acc := tally.NewAccumulator(6)
			for b.Loop() {
				if err := acc.Add(ballot, w); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
