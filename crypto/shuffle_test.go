package crypto_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/evote/evote/crypto"
	"github.com/evote/evote/crypto/cryptotest"
)

var shuffleCtx = []byte("evote/v1 shuffle test: base hash || contest 2 || mix 1")

// shuffleBallots returns n ballots of w ciphertexts under f.pk; component k
// of ballot i encrypts 100·i + k.
func shuffleBallots(f *fixture, n, w int) [][]crypto.Ciphertext {
	in := make([][]crypto.Ciphertext, n)
	for i := range in {
		in[i] = make([]crypto.Ciphertext, w)
		for k := range in[i] {
			ct, _ := cryptotest.Encrypt(f.pk, uint64(100*i+k), f.rnd)
			in[i][k].Set(ct)
		}
	}
	return in
}

// decryptBallot returns the encodings of the v·G of each component of b.
func decryptBallot(sk *crypto.PrivateKey, b []crypto.Ciphertext) string {
	var s []byte
	for k := range b {
		s = append(s, sk.Decrypt(&b[k]).Bytes()...)
	}
	return hex.EncodeToString(s)
}

// checkPermuted checks that the ballots of out decrypt to those of in, in
// some order, each whole, and that none is left as it was.
func checkPermuted(t *testing.T, sk *crypto.PrivateKey, in, out [][]crypto.Ciphertext) {
	t.Helper()
	var a, b []string
	for i := range in {
		a = append(a, decryptBallot(sk, in[i]))
		b = append(b, decryptBallot(sk, out[i]))
		for j := range in {
			for k := range in[j] {
				if out[i][k].Equal(&in[j][k]) == 1 {
					t.Fatalf("output ciphertext %d.%d equals input %d.%d: not re-encrypted", i, k, j, k)
				}
			}
		}
	}
	sort.Strings(a)
	sort.Strings(b)
	if !slices.Equal(a, b) {
		t.Fatal("the output ballots do not decrypt to the input ballots")
	}
}

// newShuffle shuffles n fresh ballots of w ciphertexts under a fixture
// seeded with seed.
func newShuffle(t testing.TB, seed string, n, w int) (f *fixture, in, out [][]crypto.Ciphertext, p *crypto.ShuffleProof) {
	t.Helper()
	f = newFixture(seed)
	in = shuffleBallots(f, n, w)
	out, p, err := crypto.Shuffle(shuffleCtx, f.pk, in)
	if err != nil {
		t.Fatal(err)
	}
	return f, in, out, p
}

func cloneBallots(b [][]crypto.Ciphertext) [][]crypto.Ciphertext {
	out := make([][]crypto.Ciphertext, len(b))
	for i := range b {
		out[i] = slices.Clone(b[i])
	}
	return out
}

func TestShuffleRoundTrip(t *testing.T) {
	for _, n := range []int{1, 2, 3, 17} {
		for _, w := range []int{1, 3} {
			t.Run(fmt.Sprintf("N=%d/w=%d", n, w), func(t *testing.T) {
				f, in, out, p := newShuffle(t, fmt.Sprintf("shuffle %d %d", n, w), n, w)
				checkPermuted(t, f.sk, in, out)
				if err := crypto.VerifyShuffle(shuffleCtx, f.pk, in, out, p); err != nil {
					t.Fatalf("VerifyShuffle(valid) = %v", err)
				}
				enc := p.Bytes()
				if len(enc) != crypto.ShuffleProofSize(n, w) {
					t.Fatalf("len(Bytes()) = %d, want %d", len(enc), crypto.ShuffleProofSize(n, w))
				}
				q, err := new(crypto.ShuffleProof).SetBytes(enc)
				if err != nil || !bytes.Equal(q.Bytes(), enc) {
					t.Fatalf("SetBytes(Bytes()) = %v, round trip mismatch", err)
				}
				if err := crypto.VerifyShuffle(shuffleCtx, f.pk, in, out, q); err != nil {
					t.Fatalf("VerifyShuffle(parsed) = %v", err)
				}
				// A second mix of the output verifies too.
				out2, p2, err := crypto.Shuffle(shuffleCtx, f.pk, out)
				if err != nil {
					t.Fatal(err)
				}
				if err := crypto.VerifyShuffle(shuffleCtx, f.pk, out, out2, p2); err != nil {
					t.Fatalf("VerifyShuffle(second mix) = %v", err)
				}
			})
		}
	}
}

// TestShufflePermutationUniform shuffles 3 ballots many times (with the
// derandomized prover) and checks that all 6 orders appear with
// frequencies near 1/6.
func TestShufflePermutationUniform(t *testing.T) {
	f := newFixture("uniform")
	in := shuffleBallots(f, 3, 1)
	dec := make(map[string]int)
	for i := range in {
		dec[decryptBallot(f.sk, in[i])] = i
	}
	const trials = 600
	count := make(map[string]int)
	for i := range trials {
		out, _, err := crypto.ShuffleFrom(cryptotest.NewReader(fmt.Appendf(nil, "uniform %d", i)), shuffleCtx, f.pk, in)
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, b := range out {
			order = append(order, fmt.Sprint(dec[decryptBallot(f.sk, b)]))
		}
		count[strings.Join(order, "")]++
	}
	if len(count) != 6 {
		t.Fatalf("orders seen: %v, want all 6", count)
	}
	for o, c := range count {
		if c < 60 || c > 140 {
			t.Errorf("order %s seen %d times in %d, want about %d", o, c, trials, trials/6)
		}
	}
}

// TestSortingNetwork checks that the network sorts every 0/1 sequence of
// small lengths (the 0-1 principle: then it sorts everything).
func TestSortingNetwork(t *testing.T) {
	for n := 0; n <= 12; n++ {
		pairs := crypto.SortingNetwork(n)
		for x := 0; x < 1<<n; x++ {
			v := make([]int, n)
			for i := range v {
				v[i] = x >> i & 1
			}
			for m := 0; m < len(pairs); m += 2 {
				i, j := pairs[m], pairs[m+1]
				if i >= j || int(j) >= n {
					t.Fatalf("n=%d: comparator (%d, %d)", n, i, j)
				}
				if v[i] > v[j] {
					v[i], v[j] = v[j], v[i]
				}
			}
			if !slices.IsSorted(v) {
				t.Fatalf("n=%d: %b sorts to %v", n, x, v)
			}
		}
	}
}

func TestShuffleRefusesBadInput(t *testing.T) {
	f := newFixture("bad input")
	in := shuffleBallots(f, 3, 2)
	for name, b := range map[string][][]crypto.Ciphertext{
		"no ballots":   nil,
		"empty ballot": {{}, {}},
		"ragged":       {in[0], in[1][:1], in[2]},
	} {
		if _, _, err := crypto.Shuffle(shuffleCtx, f.pk, b); err == nil {
			t.Errorf("%s: Shuffle succeeded", name)
		}
	}
}

// wantShuffleInvalid checks that err wraps ErrInvalidProof and names why.
func wantShuffleInvalid(t *testing.T, what string, err error, reason string) {
	t.Helper()
	wantInvalid(t, what, err)
	if err != nil && !strings.Contains(err.Error(), reason) {
		t.Errorf("%s: error %q does not say %q", what, err, reason)
	}
}

// Reasons named by VerifyShuffle's errors.
const (
	reasonCount  = "output ballots, the proof is for"
	reasonWidth  = "ciphertexts, the proof is for"
	reasonT1     = "(permutation commitment)"
	reasonT2     = "(commitment chain)"
	reasonT3     = "(permuted challenges)"
	reasonT4     = "(re-encryption)"
	reasonTHat   = "(commitment chain steps)"
	reasonAnyEqn = "shuffle: t"
)

func TestShuffleRejects(t *testing.T) {
	const n, w = 4, 3
	f, in, out, p := newShuffle(t, "shuffle rejects", n, w)
	verify := func(in, out [][]crypto.Ciphertext) error {
		return crypto.VerifyShuffle(shuffleCtx, f.pk, in, out, p)
	}

	t.Run("drops a ballot", func(t *testing.T) {
		wantShuffleInvalid(t, "dropped", verify(in, out[:n-1]), reasonCount)
	})
	t.Run("drops a ballot and proves the rest", func(t *testing.T) {
		// A mix of N−1 ballots, honestly proved, is not a mix of the N.
		out3, p3, err := crypto.Shuffle(shuffleCtx, f.pk, in[:n-1])
		if err != nil {
			t.Fatal(err)
		}
		wantShuffleInvalid(t, "dropped", crypto.VerifyShuffle(shuffleCtx, f.pk, in, out3, p3), reasonCount)
	})
	// A mix that changes its output after shuffling: with the honest
	// proof of the output it had, the challenges change and the first
	// equation fails; a cheating server that proves the changed output
	// with its witness is caught by the re-encryption equation t_4 of the
	// component it changed.
	for _, cheat := range []struct {
		name, reason string
		change       func(out [][]crypto.Ciphertext)
	}{
		{"duplicates a ballot", "for ciphertext 0 (re-encryption)", func(out [][]crypto.Ciphertext) {
			copy(out[1], out[0])
		}},
		{"replaces a ballot by an encryption of another value", "for ciphertext 0 (re-encryption)", func(out [][]crypto.Ciphertext) {
			for k := range out[2] {
				ct, _ := cryptotest.Encrypt(f.pk, 7, f.rnd)
				out[2][k].Set(ct)
			}
		}},
		{"alters one component of one ballot", "for ciphertext 1 (re-encryption)", func(out [][]crypto.Ciphertext) {
			out[3][1].B.Add(&out[3][1].B, crypto.NewGeneratorElement())
		}},
		{"swaps two ciphertexts within a ballot", "for ciphertext 0 (re-encryption)", func(out [][]crypto.Ciphertext) {
			out[0][0], out[0][2] = out[0][2], out[0][0]
		}},
	} {
		t.Run(cheat.name, func(t *testing.T) {
			bad := cloneBallots(out)
			cheat.change(bad)
			wantShuffleInvalid(t, "honest proof", verify(in, bad), reasonT1)
			cout, cp := crypto.ShuffleCheating(f.rnd, shuffleCtx, f.pk, in, cheat.change)
			wantShuffleInvalid(t, "cheating prover", crypto.VerifyShuffle(shuffleCtx, f.pk, in, cout, cp), cheat.reason)
		})
	}
	t.Run("cheating prover that changes nothing", func(t *testing.T) {
		cout, cp := crypto.ShuffleCheating(f.rnd, shuffleCtx, f.pk, in, func([][]crypto.Ciphertext) {})
		if err := crypto.VerifyShuffle(shuffleCtx, f.pk, in, cout, cp); err != nil {
			t.Fatalf("VerifyShuffle = %v", err)
		}
	})
	t.Run("swaps two output ballots", func(t *testing.T) {
		bad := cloneBallots(out)
		bad[0], bad[1] = bad[1], bad[0]
		wantShuffleInvalid(t, "reordered", verify(in, bad), reasonAnyEqn)
	})
	t.Run("proof for other inputs", func(t *testing.T) {
		in2 := shuffleBallots(f, n, w)
		out2, p2, err := crypto.Shuffle(shuffleCtx, f.pk, in2)
		if err != nil {
			t.Fatal(err)
		}
		wantShuffleInvalid(t, "other inputs", verify(in2, out2), reasonAnyEqn)
		wantShuffleInvalid(t, "other proof", crypto.VerifyShuffle(shuffleCtx, f.pk, in, out, p2), reasonAnyEqn)
	})
	t.Run("other context", func(t *testing.T) {
		wantShuffleInvalid(t, "other ctx", crypto.VerifyShuffle([]byte("another mix"), f.pk, in, out, p), reasonAnyEqn)
		wantShuffleInvalid(t, "nil ctx", crypto.VerifyShuffle(nil, f.pk, in, out, p), reasonAnyEqn)
	})
	t.Run("other key", func(t *testing.T) {
		wantShuffleInvalid(t, "other key", crypto.VerifyShuffle(shuffleCtx, f.pk2, in, out, p), reasonAnyEqn)
	})
	t.Run("wrong lengths", func(t *testing.T) {
		wantShuffleInvalid(t, "extra input", verify(append(cloneBallots(in), in[0]), out), reasonCount)
		wantShuffleInvalid(t, "extra output", verify(in, append(cloneBallots(out), out[0])), reasonCount)
		short := cloneBallots(out)
		short[1] = short[1][:w-1]
		wantShuffleInvalid(t, "short output ballot", verify(in, short), reasonWidth)
		long := cloneBallots(in)
		long[2] = append(long[2], long[2][0])
		wantShuffleInvalid(t, "long input ballot", verify(long, out), reasonWidth)
		wantShuffleInvalid(t, "no proof", crypto.VerifyShuffle(shuffleCtx, f.pk, in, out, new(crypto.ShuffleProof)), "no proof")
	})

	// Every field of the proof, altered: an element by + G, a scalar by + 1.
	enc := p.Bytes()
	elems := 3*n + 3 + 2*w
	fields := []struct {
		name       string
		first, len int    // in elements (or scalars, after the elements)
		scalar     bool   // a response
		reason     string // for the responses, the equation that fails first
	}{
		{"c (permutation commitment)", 0, n, false, reasonAnyEqn},
		{"ĉ (commitment chain)", n, n, false, reasonAnyEqn},
		{"t_1", 2 * n, 1, false, reasonAnyEqn},
		{"t_2", 2*n + 1, 1, false, reasonAnyEqn},
		{"t_3", 2*n + 2, 1, false, reasonAnyEqn},
		{"t_4", 2*n + 3, 2 * w, false, reasonAnyEqn},
		{"t̂", 2*n + 3 + 2*w, n, false, reasonAnyEqn},
		{"s_1", 0, 1, true, reasonT1},
		{"s_2", 1, 1, true, reasonT2},
		{"s_3", 2, 1, true, reasonT3},
		{"s_4", 3, w, true, reasonT4},
		{"ŝ", 3 + w, n, true, reasonTHat},
		{"s'", 3 + w + n, n, true, reasonT3},
	}
	for _, fl := range fields {
		t.Run("tampered "+fl.name, func(t *testing.T) {
			for i := fl.first; i < fl.first+fl.len; i++ {
				var b []byte
				if fl.scalar {
					o := 8 + 32*(elems+i)
					b = replaced(enc, o, alterScalar(t, enc[o:o+32]))
				} else {
					o := 8 + 32*i
					b = replaced(enc, o, alterElement(t, enc[o:o+32]))
				}
				q, err := new(crypto.ShuffleProof).SetBytes(b)
				if err != nil {
					t.Fatalf("SetBytes: %v", err)
				}
				wantShuffleInvalid(t, fmt.Sprintf("%s[%d]", fl.name, i-fl.first), crypto.VerifyShuffle(shuffleCtx, f.pk, in, out, q), fl.reason)
			}
		})
	}
}

// TestShuffleMangling: every truncation and extension of a proof is
// rejected by the parser, and every byte changed is rejected by the parser
// or the verifier.
func TestShuffleMangling(t *testing.T) {
	f, in, out, p := newShuffle(t, "shuffle mangling", 2, 1)
	testMangling(t, p.Bytes(), parseThenVerify(t, func(q *crypto.ShuffleProof) error {
		return crypto.VerifyShuffle(shuffleCtx, f.pk, in, out, q)
	}))
}

func TestShuffleProofSetBytes(t *testing.T) {
	_, _, _, p := newShuffle(t, "shuffle set bytes", 2, 2)
	enc := p.Bytes()
	header := func(n, w uint32) []byte {
		b := bytes.Clone(enc)
		b[0], b[1], b[2], b[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
		b[4], b[5], b[6], b[7] = byte(w>>24), byte(w>>16), byte(w>>8), byte(w)
		return b
	}
	for name, b := range map[string][]byte{
		"empty":             nil,
		"short header":      enc[:7],
		"header only":       enc[:8],
		"N = 0":             header(0, 2),
		"w = 0":             header(2, 0),
		"N too large":       header(3, 2),
		"w too large":       header(2, 3),
		"N = 2^32 − 1":      header(0xffffffff, 2),
		"scalar = ℓ":        replaced(enc, len(enc)-32, l),
		"element not canon": replaced(enc, 8, bytes.Repeat([]byte{0xff}, 32)),
	} {
		saved := p.Bytes()
		if _, err := p.SetBytes(b); err == nil {
			t.Errorf("%s: SetBytes succeeded", name)
		} else if !errors.Is(err, crypto.ErrInvalidEncoding) {
			t.Errorf("%s: error %v does not wrap ErrInvalidEncoding", name, err)
		}
		if !bytes.Equal(p.Bytes(), saved) {
			t.Fatalf("%s: failed SetBytes changed the receiver", name)
		}
	}
}

// TestShuffleGenerators checks that h, h_1, …, h_N are distinct, depend on
// the context, and are HashToElement of section 9.2.
func TestShuffleGenerators(t *testing.T) {
	gens := crypto.ShuffleGenerators(shuffleCtx, 5)
	other := crypto.ShuffleGenerators([]byte("other"), 5)
	seen := make(map[string]bool)
	for i := range gens {
		msg := append(append(u64(uint64(len(shuffleCtx))), shuffleCtx...), u64(uint64(i))...)
		if want := crypto.HashToElement("evote/v1/shuffle/generator", msg); gens[i].Equal(want) != 1 {
			t.Errorf("h_%d ≠ HashToElement(label, u64be(len(ctx)) || ctx || u64be(%d))", i, i)
		}
		if gens[i].Equal(&other[i]) == 1 {
			t.Errorf("h_%d does not depend on the context", i)
		}
		seen[hex.EncodeToString(gens[i].Bytes())] = true
	}
	if len(seen) != len(gens) {
		t.Error("generators repeat")
	}
}

// BenchmarkShuffle measures Shuffle (re-encryption, permutation and proof)
// and VerifyShuffle for N ballots of w ciphertexts (run it with -cpu 1
// for one core, as scripts/bench-shuffle.sh does). The comparison
// point, egk-ec-mixnet, mixes 1,000 ballots of 34 ciphertexts in about
// 17 s on one thread on P-256 (0.5 ms per ciphertext), verifying 30–50%
// slower; the size is 10,000 ballots of 5 ciphertexts.
//
// prove and verify start from ciphertexts in memory. prove-bytes and
// verify-bytes are what a mix server and a verifier do with a board: parse
// the ballots' bytes, shuffle and prove or verify, encode the output
// (BallotList); the -via-slices twins do the same through Shuffle and
// VerifyShuffle, which encode every ciphertext again.
func BenchmarkShuffle(b *testing.B) {
	for _, size := range []struct{ n, w int }{{100, 1}, {100, 10}, {1000, 1}, {1000, 10}, {1000, 34}, {10000, 5}} {
		var f *fixture
		var in, out [][]crypto.Ciphertext
		var inEnc, outEnc []byte
		var p *crypto.ShuffleProof
		// setup makes the ballots once, for the sub-benchmarks that run.
		setup := func(b *testing.B) {
			if f != nil {
				return
			}
			f, in, out, p = newShuffle(b, "bench shuffle", size.n, size.w)
			inList, err := crypto.NewBallotList(in)
			if err != nil {
				b.Fatal(err)
			}
			outList, err := crypto.NewBallotList(out)
			if err != nil {
				b.Fatal(err)
			}
			inEnc, outEnc = inList.Bytes(), outList.Bytes()
		}
		parse := func(b *testing.B, enc []byte) *crypto.BallotList {
			l, err := crypto.ParseBallotList(enc, size.w)
			if err != nil {
				b.Fatal(err)
			}
			return l
		}
		name := fmt.Sprintf("N=%d/w=%d", size.n, size.w)
		for _, op := range []struct {
			name string
			run  func(b *testing.B)
		}{
			{"prove", func(b *testing.B) {
				if _, _, err := crypto.ShuffleFrom(f.rnd, shuffleCtx, f.pk, in); err != nil {
					b.Fatal(err)
				}
			}},
			{"verify", func(b *testing.B) {
				if err := crypto.VerifyShuffle(shuffleCtx, f.pk, in, out, p); err != nil {
					b.Fatal(err)
				}
			}},
			{"prove-bytes", func(b *testing.B) {
				o, q := crypto.ShuffleListFrom(f.rnd, shuffleCtx, f.pk, parse(b, inEnc))
				_, _ = o.Bytes(), q.Bytes()
			}},
			{"verify-bytes", func(b *testing.B) {
				if err := crypto.VerifyShuffleList(shuffleCtx, f.pk, parse(b, inEnc), parse(b, outEnc), p); err != nil {
					b.Fatal(err)
				}
			}},
			{"prove-bytes-via-slices", func(b *testing.B) {
				o, q, err := crypto.ShuffleFrom(f.rnd, shuffleCtx, f.pk, parse(b, inEnc).Ballots())
				if err != nil {
					b.Fatal(err)
				}
				l, err := crypto.NewBallotList(o)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = l.Bytes(), q.Bytes()
			}},
			{"verify-bytes-via-slices", func(b *testing.B) {
				if err := crypto.VerifyShuffle(shuffleCtx, f.pk, parse(b, inEnc).Ballots(), parse(b, outEnc).Ballots(), p); err != nil {
					b.Fatal(err)
				}
			}},
		} {
			b.Run(name+"/"+op.name, func(b *testing.B) {
				setup(b)
				b.ReportAllocs()
				for b.Loop() {
					op.run(b)
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*size.n*size.w), "µs/ciphertext")
			})
		}
	}
}
