package crypto_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/evote/evote/crypto"
	"github.com/evote/evote/crypto/cryptotest"
)

type rangeItem struct {
	ct     *crypto.Ciphertext
	lo, hi uint64
	p      *crypto.RangeProof
}

// rangeItems returns n valid [0, 1] proofs, deterministically.
func rangeItems(t testing.TB, f *fixture, n int) []rangeItem {
	items := make([]rangeItem, n)
	for i := range items {
		v := uint64(i % 2)
		ct, r := cryptotest.Encrypt(f.pk, v, f.rnd)
		p, err := cryptotest.ProveRange(ctx, f.pk, ct, v, r, 0, 1, f.rnd)
		if err != nil {
			t.Fatal(err)
		}
		items[i] = rangeItem{ct, 0, 1, p}
	}
	return items
}

func corruptRange(t testing.TB, p *crypto.RangeProof) *crypto.RangeProof {
	b := p.Bytes()
	copy(b[64:96], alterScalarTB(t, b[64:96]))
	q, err := new(crypto.RangeProof).SetBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func alterScalarTB(t testing.TB, enc []byte) []byte {
	s, err := crypto.NewScalar().SetCanonicalBytes(enc)
	if err != nil {
		t.Fatal(err)
	}
	return s.Add(s, crypto.NewScalar().SetUint64(1)).Bytes()
}

func checkBatch(t *testing.T, bv *crypto.BatchVerifier, want []int) {
	t.Helper()
	// The combined equation alone must decide, or the one-by-one fallback
	// would hide a wrong batch equation.
	if ok := bv.CombinedOK(); ok != (want == nil) {
		t.Fatalf("combined equation holds = %v, want %v", ok, want == nil)
	}
	err := bv.Verify()
	if want == nil {
		if err != nil {
			t.Fatalf("Verify() = %v, want nil", err)
		}
		return
	}
	var be *crypto.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("Verify() = %v, want *BatchError", err)
	}
	if !errors.Is(err, crypto.ErrInvalidProof) {
		t.Errorf("BatchError does not wrap ErrInvalidProof")
	}
	if !slices.Equal(be.Invalid, want) {
		t.Fatalf("Invalid = %v, want %v", be.Invalid, want)
	}
	msg := err.Error()
	if !strings.Contains(msg, fmt.Sprint(len(want))) || !strings.Contains(msg, fmt.Sprint(want[len(want)-1])) {
		t.Errorf("Error() = %q does not say how many and which", msg)
	}
}

func TestBatchRange(t *testing.T) {
	f := newFixture("batch")
	n := 100
	items := rangeItems(t, f, n)
	// Sizes below and above the Straus/Pippenger switch.
	for _, size := range []int{1, 2, 10, n} {
		for _, bad := range [][]int{nil, {0}, {size - 1}, {size / 2}, {0, size / 3, size - 1}} {
			if size == 1 && len(bad) > 1 {
				continue
			}
			bad = slices.Compact(bad)
			t.Run(fmt.Sprintf("n=%d/bad=%v", size, bad), func(t *testing.T) {
				bv := crypto.NewBatchVerifier()
				for i := 0; i < size; i++ {
					p := items[i].p
					if slices.Contains(bad, i) {
						p = corruptRange(t, p)
					}
					bv.AddRange(ctx, f.pk, items[i].ct, items[i].lo, items[i].hi, p)
				}
				if bv.Len() != size {
					t.Fatalf("Len() = %d, want %d", bv.Len(), size)
				}
				checkBatch(t, bv, bad)
			})
		}
	}
	t.Run("empty", func(t *testing.T) {
		checkBatch(t, crypto.NewBatchVerifier(), nil)
	})
	t.Run("statement errors", func(t *testing.T) {
		bv := crypto.NewBatchVerifier()
		bv.AddRange(ctx, f.pk, items[0].ct, 0, 1, items[0].p)
		bv.AddRange(ctx, f.pk, items[1].ct, 0, 2, items[1].p)     // wrong width
		bv.AddRange(ctx, f.pk, items[2].ct, 1, 0, items[2].p)     // empty range
		bv.AddRange(ctx, f.pk, items[4].ct, 0, 1, items[3].p)     // other ciphertext
		bv.AddRange(ctx[1:], f.pk, items[5].ct, 0, 1, items[5].p) // other ctx
		bv.AddRange(ctx, f.pk2, items[6].ct, 0, 1, items[6].p)    // other key
		bv.AddRange(ctx, f.pk, items[7].ct, 1, 2, items[7].p)     // shifted range
		bv.AddRange(ctx, f.pk, items[8].ct, 0, 1, items[8].p)
		checkBatch(t, bv, []int{1, 2, 3, 4, 5, 6})
	})
	t.Run("only statement errors", func(t *testing.T) {
		bv := crypto.NewBatchVerifier()
		bv.AddRange(ctx, f.pk, items[0].ct, 0, 1, items[0].p)
		bv.AddRange(ctx, f.pk, items[1].ct, 0, 2, items[1].p)
		checkBatch(t, bv, []int{1})
	})
}

func TestBatchMixed(t *testing.T) {
	f := newFixture("batch mixed")
	x := f.sk.Scalar()
	X := f.pk.Element()
	G := crypto.NewGeneratorElement()
	items := rangeItems(t, f, 40)
	type adder func(bv *crypto.BatchVerifier, corrupt bool)
	var adds []adder
	for i := 0; i < 40; i++ {
		it := items[i]
		adds = append(adds, func(bv *crypto.BatchVerifier, corrupt bool) {
			p := it.p
			if corrupt {
				p = corruptRange(t, p)
			}
			bv.AddRange(ctx, f.pk, it.ct, it.lo, it.hi, p)
		})
		if i%2 == 1 {
			// A decryption share: log_G K = log_A D, sharing G and K with
			// the range proofs.
			D := crypto.NewElement().ScalarMult(x, &it.ct.A)
			p := cryptotest.ProveDLEQ(ctx, x, G, X, &it.ct.A, D, f.rnd)
			adds = append(adds, func(bv *crypto.BatchVerifier, corrupt bool) {
				if corrupt {
					bv.AddDLEQ(ctx, G, X, &it.ct.A, &it.ct.B, p)
				} else {
					bv.AddDLEQ(ctx, G, X, &it.ct.A, D, p)
				}
			})
		}
	}
	for _, bad := range [][]int{nil, {1}, {2}, {0, 1, 2, 3, len(adds) - 1}, {10, 11, 12, 13, 14, 15}} {
		t.Run(fmt.Sprint(bad), func(t *testing.T) {
			bv := crypto.NewBatchVerifier()
			for i, add := range adds {
				add(bv, slices.Contains(bad, i))
			}
			checkBatch(t, bv, bad)
		})
	}
}

func TestBatchErrorMessage(t *testing.T) {
	for _, tc := range []struct {
		inv  []int
		want string
	}{
		{[]int{3}, "invalid proof: 1 proof of the batch is invalid: position 3"},
		{[]int{1, 4, 9}, "invalid proof: 3 proofs of the batch are invalid: positions 1, 4, 9"},
	} {
		if got := (&crypto.BatchError{Invalid: tc.inv}).Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	long := make([]int, 40)
	for i := range long {
		long[i] = i
	}
	if got := (&crypto.BatchError{Invalid: long}).Error(); !strings.Contains(got, "40 proofs") || !strings.Contains(got, "and 8 more") {
		t.Errorf("Error() = %q", got)
	}
}

// TestAddRangeEncoded checks that a batch given a ciphertext's encoding
// verifies as one that encodes it, and that a proof is judged against the
// ciphertext itself: a proof for another ciphertext is named invalid even
// when the encoding passed is that other ciphertext's.
func TestAddRangeEncoded(t *testing.T) {
	pk := crypto.GenerateKey().PublicKey()
	ctx := []byte("encoded")
	ct, r := pk.Encrypt(1)
	p, err := crypto.ProveRange(ctx, pk, ct, 1, r, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := pk.Encrypt(1)

	good := crypto.NewBatchVerifier()
	good.AddRangeEncoded(ctx, pk, ct, ct.Bytes(), 0, 1, p)
	if err := good.Verify(); err != nil {
		t.Errorf("with its own encoding: %v", err)
	}
	bad := crypto.NewBatchVerifier()
	bad.AddRangeEncoded(ctx, pk, other, ct.Bytes(), 0, 1, p)
	var be *crypto.BatchError
	if err := bad.Verify(); !errors.As(err, &be) || len(be.Invalid) != 1 {
		t.Errorf("a proof for ct checked against another ciphertext: Verify = %v, want the proof named invalid", err)
	}
}
