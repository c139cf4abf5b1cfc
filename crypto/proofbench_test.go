package crypto_test

import (
	"fmt"
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

// BenchmarkCostModel measures the two ratios of
// docs/spec/crypto-proofs.md, section 8: encrypting and proving a [0, 1]
// selection against the 6 ScalarBaseMult and 3 FixedBaseMult it contains,
// and verifying a range proof alone against in a batch of 1,000. Each
// iteration times a short round of every operation, interleaved so that
// they share the machine's load evenly; each time reported is the minimum
// over the rounds, so that the ratios hold on a loaded machine. It reports
// no ns/op (a round is a mix of operations):
//
//	go test ./crypto -run '^$' -bench CostModel -benchtime 50x
func BenchmarkCostModel(b *testing.B) {
	f := newFixture("cost model")
	f.pk.Table()
	s := cryptotest.Scalar(f.rnd)
	e := crypto.NewElement()
	items := rangeItems(b, f, 1000)
	round := func(iters int, op func()) time.Duration {
		start := time.Now()
		for range iters {
			op()
		}
		return time.Since(start) / time.Duration(iters)
	}
	best := func(d *time.Duration, x time.Duration) {
		if *d == 0 || x < *d {
			*d = x
		}
	}
	var sbm, fbm, prove, verify, batch time.Duration
	for b.Loop() {
		best(&sbm, round(20, func() { e.ScalarBaseMult(s) }))
		best(&fbm, round(20, func() { e.FixedBaseMult(s, f.pk.Table()) }))
		best(&prove, round(5, func() {
			ct := f.pk.EncryptWithRandomness(1, s)
			if _, err := crypto.ProveRange(ctx, f.pk, ct, 1, s, 0, 1); err != nil {
				b.Fatal(err)
			}
		}))
		best(&verify, round(5, func() {
			it := items[0]
			if err := crypto.VerifyRange(ctx, f.pk, it.ct, 0, 1, it.p); err != nil {
				b.Fatal(err)
			}
		}))
		best(&batch, round(1, func() {
			bv := crypto.NewBatchVerifier()
			for _, it := range items {
				bv.AddRange(ctx, f.pk, it.ct, 0, 1, it.p)
			}
			if err := bv.Verify(); err != nil {
				b.Fatal(err)
			}
		})/time.Duration(len(items)))
	}
	model := 6*sbm + 3*fbm
	ns := func(d time.Duration) float64 { return float64(d.Nanoseconds()) }
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(ns(sbm), "ScalarBaseMult-ns")
	b.ReportMetric(ns(fbm), "FixedBaseMult-ns")
	b.ReportMetric(ns(fbm)/ns(sbm), "FixedBase/ScalarBase")
	b.ReportMetric(ns(prove), "prove01-ns")
	b.ReportMetric(ns(model), "model-ns")
	b.ReportMetric(ns(prove)/ns(model), "prove01/model")
	b.ReportMetric(ns(verify), "verify01-ns")
	b.ReportMetric(ns(batch), "batch1000-ns/proof")
	b.ReportMetric(ns(verify)/ns(batch), "batch-speedup")
}
