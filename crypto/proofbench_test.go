package crypto_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/evote/evote/crypto"
	"github.com/evote/evote/crypto/cryptotest"
)

// Benchmarks of the cost model of docs/spec/crypto-proofs.md, section 8:
// encrypting and proving a [0, 1] selection costs 6 ScalarBaseMult and
// 3 FixedBaseMult (Encrypt: r·G, v·G, r·K; each of the two branches:
// s·G, t·G, s·K), plus 6 element encodings and hashing.

func BenchmarkScalarBaseMult(b *testing.B) {
	rnd := cryptotest.NewReader([]byte("bench"))
	s := cryptotest.Scalar(rnd)
	e := crypto.NewElement()
	b.ReportAllocs()
	for b.Loop() {
		e.ScalarBaseMult(s)
	}
}

func BenchmarkScalarMult(b *testing.B) {
	rnd := cryptotest.NewReader([]byte("bench"))
	s := cryptotest.Scalar(rnd)
	p := crypto.NewElement().ScalarBaseMult(cryptotest.Scalar(rnd))
	e := crypto.NewElement()
	b.ReportAllocs()
	for b.Loop() {
		e.ScalarMult(s, p)
	}
}

func BenchmarkFixedBaseMult(b *testing.B) {
	rnd := cryptotest.NewReader([]byte("bench"))
	s := cryptotest.Scalar(rnd)
	tab := crypto.NewFixedBaseTable(crypto.NewElement().ScalarBaseMult(cryptotest.Scalar(rnd)))
	e := crypto.NewElement()
	b.ReportAllocs()
	for b.Loop() {
		e.FixedBaseMult(s, tab)
	}
}

func BenchmarkNewFixedBaseTable(b *testing.B) {
	rnd := cryptotest.NewReader([]byte("bench"))
	p := crypto.NewElement().ScalarBaseMult(cryptotest.Scalar(rnd))
	b.ReportAllocs()
	for b.Loop() {
		crypto.NewFixedBaseTable(p)
	}
}

func BenchmarkElementBytes(b *testing.B) {
	rnd := cryptotest.NewReader([]byte("bench"))
	p := crypto.NewElement().ScalarBaseMult(cryptotest.Scalar(rnd))
	b.ReportAllocs()
	for b.Loop() {
		p.Bytes()
	}
}

func BenchmarkEncryptWithRandomness(b *testing.B) {
	f := newFixture("bench")
	f.pk.Table()
	r := cryptotest.Scalar(f.rnd)
	b.ReportAllocs()
	for b.Loop() {
		f.pk.EncryptWithRandomness(1, r)
	}
}

// BenchmarkProveRange01 encrypts a selection and proves it in [0, 1], as a
// voter's client does for each option.
func BenchmarkProveRange01(b *testing.B) {
	f := newFixture("bench")
	f.pk.Table()
	r := cryptotest.Scalar(f.rnd)
	b.ReportAllocs()
	for b.Loop() {
		ct := f.pk.EncryptWithRandomness(1, r)
		if _, err := crypto.ProveRange(ctx, f.pk, ct, 1, r, 0, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyRange01(b *testing.B) {
	f := newFixture("bench")
	it := rangeItems(b, f, 1)[0]
	b.ReportAllocs()
	for b.Loop() {
		if err := crypto.VerifyRange(ctx, f.pk, it.ct, 0, 1, it.p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBatchVerifyRange01(b *testing.B) {
	f := newFixture("bench")
	sizes := []int{1, 10, 100, 1000}
	items := rangeItems(b, f, sizes[len(sizes)-1])
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bv := crypto.NewBatchVerifier()
				for _, it := range items[:n] {
					bv.AddRange(ctx, f.pk, it.ct, 0, 1, it.p)
				}
				if err := bv.Verify(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/proof")
		})
	}
}

// TestCostModel prints the two ratios of docs/spec/crypto-proofs.md,
// section 8, measured as the minimum over many short rounds so that they
// hold on a loaded machine. Run with EVOTE_COSTMODEL=1.
func TestCostModel(t *testing.T) {
	if os.Getenv("EVOTE_COSTMODEL") == "" {
		t.Skip("set EVOTE_COSTMODEL=1 to measure")
	}
	f := newFixture("cost model")
	f.pk.Table()
	s := cryptotest.Scalar(f.rnd)
	e := crypto.NewElement()
	items := rangeItems(t, f, 1000)
	minTime := func(rounds, iters int, op func()) time.Duration {
		best := time.Duration(1 << 62)
		for range rounds {
			start := time.Now()
			for range iters {
				op()
			}
			best = min(best, time.Since(start)/time.Duration(iters))
		}
		return best
	}
	var sbm, fbm, prove, verify, batch time.Duration
	for range 3 { // interleave to share the machine's load evenly
		sbm = minTime(50, 20, func() { e.ScalarBaseMult(s) })
		fbm = minTime(50, 20, func() { e.FixedBaseMult(s, f.pk.Table()) })
		prove = minTime(50, 5, func() {
			ct := f.pk.EncryptWithRandomness(1, s)
			if _, err := crypto.ProveRange(ctx, f.pk, ct, 1, s, 0, 1); err != nil {
				t.Fatal(err)
			}
		})
		verify = minTime(30, 5, func() {
			it := items[0]
			if err := crypto.VerifyRange(ctx, f.pk, it.ct, 0, 1, it.p); err != nil {
				t.Fatal(err)
			}
		})
		batch = minTime(5, 1, func() {
			bv := crypto.NewBatchVerifier()
			for _, it := range items {
				bv.AddRange(ctx, f.pk, it.ct, 0, 1, it.p)
			}
			if err := bv.Verify(); err != nil {
				t.Fatal(err)
			}
		}) / time.Duration(len(items))
	}
	model := 6*sbm + 3*fbm
	t.Logf("ScalarBaseMult %v, FixedBaseMult %v (%.2f×)", sbm, fbm, float64(fbm)/float64(sbm))
	t.Logf("encrypt+prove [0,1] %v; 6 SBM + 3 FBM = %v; ratio %.2f", prove, model, float64(prove)/float64(model))
	t.Logf("VerifyRange [0,1] %v; batch of 1000 %v/proof; speed-up %.1f×", verify, batch, float64(verify)/float64(batch))
}
