package crypto_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/evote/evote/crypto"
	"github.com/evote/evote/crypto/cryptotest"
	"github.com/evote/evote/internal/specvectors"
)

// The proof of shuffle vectors of docs/spec/crypto-proofs.md §9, in
// docs/spec/vectors/shuffle.txt. "go test ./crypto -run TestShuffleVectors
// -update" rewrites the file.

// shuffleRandomness is everything a shuffle draws, in the order of §9.3.
type shuffleRandomness struct {
	psi                  []int // ψ(1..N), 1-based
	reenc                [][]*crypto.Scalar
	rho, rHat            []*crypto.Scalar
	omega                []*crypto.Scalar // ω_1, ω_2, ω_3, ω_4,1..w
	omegaHat, omegaPrime []*crypto.Scalar
}

// reader returns the stream from which crypto's prover draws exactly r:
// the keys 8 bytes each (key j is the position i with ψ(i) = j, so that
// sorting the keys gives ψ), then each scalar as 64 bytes (its encoding
// and 32 zero bytes).
func (r *shuffleRandomness) reader() io.Reader {
	keys := make([]byte, 8*len(r.psi))
	for i, j := range r.psi {
		binary.LittleEndian.PutUint64(keys[8*(j-1):], uint64(i))
	}
	var all []*crypto.Scalar
	for _, b := range r.reenc {
		all = append(all, b...)
	}
	all = append(all, r.rho...)
	all = append(all, r.rHat...)
	all = append(all, r.omega...)
	for i := range r.omegaHat {
		all = append(all, r.omegaHat[i], r.omegaPrime[i])
	}
	return io.MultiReader(bytes.NewReader(keys), nonceReader(all...))
}

// ballotsHex encodes ballots, one value per ballot.
func ballotsHex(b [][]crypto.Ciphertext) []string {
	var out []string
	for i := range b {
		var enc []byte
		for k := range b[i] {
			enc = append(enc, b[i][k].Bytes()...)
		}
		out = append(out, fmt.Sprintf("%x", enc))
	}
	return out
}

func parseBallots(t testing.TB, vals []string) [][]crypto.Ciphertext {
	t.Helper()
	var out [][]crypto.Ciphertext
	for _, s := range vals {
		b, err := specvectors.DecodeHex(s)
		if err != nil || len(b) == 0 || len(b)%crypto.CiphertextSize != 0 {
			t.Fatalf("ballot %q: %v", s, err)
		}
		var ballot []crypto.Ciphertext
		for o := 0; o < len(b); o += crypto.CiphertextSize {
			var ct crypto.Ciphertext
			if _, err := ct.SetBytes(b[o : o+crypto.CiphertextSize]); err != nil {
				t.Fatal(err)
			}
			ballot = append(ballot, ct)
		}
		out = append(out, ballot)
	}
	return out
}

func scalarsHex(s []*crypto.Scalar) string {
	var parts []string
	for _, x := range s {
		parts = append(parts, fmt.Sprintf("%x", x.Bytes()))
	}
	return strings.Join(parts, " ")
}

// scalarList parses scalars separated by spaces.
func scalarList(t testing.TB, value string) []*crypto.Scalar {
	t.Helper()
	var out []*crypto.Scalar
	for _, h := range strings.Fields(value) {
		b, err := specvectors.DecodeHex(h)
		if err != nil {
			t.Fatal(err)
		}
		s, err := crypto.NewScalar().SetCanonicalBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func scalarValues(s []crypto.Scalar) []*crypto.Scalar {
	out := make([]*crypto.Scalar, len(s))
	for i := range s {
		out[i] = &s[i]
	}
	return out
}

func TestShuffleVectors(t *testing.T) {
	specvectors.Generated(t, "shuffle.txt", generateShuffleVectors(t))
	specvectors.Run(t, "shuffle.txt", func(t *testing.T, v *specvectors.Vector) {
		ctx := v.Hex("ctx")
		pk, err := crypto.NewPublicKey(v.Hex("pk"))
		if err != nil {
			t.Fatal(err)
		}
		in := parseBallots(t, v.Strings("in"))
		var out [][]crypto.Ciphertext
		var enc []byte
		if _, proves := v.Lookup("psi"); proves {
			r := &shuffleRandomness{
				rho: scalarList(t, v.String("rho")), rHat: scalarList(t, v.String("r-hat")), omega: scalarList(t, v.String("omega")),
				omegaHat: scalarList(t, v.String("omega-hat")), omegaPrime: scalarList(t, v.String("omega-prime")),
			}
			for _, s := range strings.Fields(v.String("psi")) {
				j, err := strconv.Atoi(s)
				if err != nil {
					t.Fatal(err)
				}
				r.psi = append(r.psi, j)
			}
			for _, line := range v.Strings("reenc") {
				r.reenc = append(r.reenc, scalarList(t, line))
			}
			o, p, err := crypto.ShuffleFrom(r.reader(), ctx, pk, in)
			if err != nil {
				t.Fatal(err)
			}
			u, c := crypto.ShuffleChallenges(ctx, pk, in, o, p)
			v.Expect("out", strings.Join(ballotsHex(o), " "))
			v.Expect("u", scalarsHex(scalarValues(u)))
			v.Expect("challenge", c.Bytes())
			v.Expect("proof", p.Bytes())
			out, enc = o, p.Bytes()
		} else {
			out = parseBallots(t, v.Strings("out"))
			enc = v.Hex("proof")
		}
		v.Outcome(proofOutcome(parseThenVerify(t, func(p *crypto.ShuffleProof) error {
			return crypto.VerifyShuffle(ctx, pk, in, out, p)
		})(enc))...)
	})
}

func generateShuffleVectors(t *testing.T) []byte {
	w := specvectors.NewWriter(`Proofs of shuffle (Terelius–Wikström, after Haenni et al.):
docs/spec/crypto-proofs.md §9.
Runner: TestShuffleVectors (crypto); regenerate with
  go test ./crypto -run TestShuffleVectors -update
Inputs: ctx (hex), the public key pk (K), in (repeated, in order: each input
ballot, its w ciphertexts A || B concatenated), and either the prover's
randomness or out (repeated, the output ballots) and a proof. The
randomness: psi (ψ(1) … ψ(N), 1-based: output ballot i is input ballot
ψ(i) re-encrypted), reenc (repeated, one line per input ballot j:
r'_{j,1} … r'_{j,w}), rho (ρ_1 … ρ_N: c_ψ(i) = ρ_i·G + h_i), r-hat
(r̂_1 … r̂_N), omega (ω_1 ω_2 ω_3 ω_4,1 … ω_4,w), omega-hat (ω̂_1 … ω̂_N),
omega-prime (ω'_1 … ω'_N). They come from cryptotest.NewReader(seed) and
are written out, so that no reader needs SHAKE128.
Outputs: out (the output ballots, as in, separated by spaces), u (u_1 …
u_N), challenge (c), proof (the proof's encoding); the proof must verify.
Rejections: invalid-proof (the ballot counts or widths do not match the
proof, or a verification equation fails), invalid-encoding (the proof is
not a canonical encoding).`)
	type sized struct{ n, w int }
	var keep struct {
		ctx      []byte
		pk       *crypto.PublicKey
		in, out  [][]crypto.Ciphertext
		proof    []byte
		stranger *crypto.PublicKey
	}
	for _, size := range []sized{{1, 1}, {2, 1}, {3, 2}, {5, 3}} {
		seed := fmt.Sprintf("shuffle %d×%d", size.n, size.w)
		rnd := cryptotest.NewReader([]byte(seed))
		pk := cryptotest.GenerateKey(rnd).PublicKey()
		in := make([][]crypto.Ciphertext, size.n)
		for i := range in {
			for k := range size.w {
				ct, _ := cryptotest.Encrypt(pk, uint64(10*i+k), rnd)
				in[i] = append(in[i], *ct)
			}
		}
		draw := func(n int) []*crypto.Scalar {
			s := make([]*crypto.Scalar, n)
			for i := range s {
				s[i] = cryptotest.Scalar(rnd)
			}
			return s
		}
		// ψ by Fisher–Yates on bytes of the stream (small n: bias irrelevant).
		r := &shuffleRandomness{}
		for i := range size.n {
			r.psi = append(r.psi, i+1)
		}
		var b [1]byte
		for i := size.n - 1; i > 0; i-- {
			io.ReadFull(rnd, b[:])
			j := int(b[0]) % (i + 1)
			r.psi[i], r.psi[j] = r.psi[j], r.psi[i]
		}
		for range size.n {
			r.reenc = append(r.reenc, draw(size.w))
		}
		r.rho, r.rHat, r.omega = draw(size.n), draw(size.n), draw(3+size.w)
		for range size.n {
			r.omegaHat = append(r.omegaHat, cryptotest.Scalar(rnd))
			r.omegaPrime = append(r.omegaPrime, cryptotest.Scalar(rnd))
		}
		out, p, err := crypto.ShuffleFrom(r.reader(), vectorCtx, pk, in)
		if err != nil {
			t.Fatal(err)
		}
		u, c := crypto.ShuffleChallenges(vectorCtx, pk, in, out, p)

		w.Vector(fmt.Sprintf("shuffle-%d-ballots-of-%d", size.n, size.w))
		w.Input("ctx", vectorCtx)
		w.Input("pk", pk.Bytes())
		for _, h := range ballotsHex(in) {
			w.Input("in", h)
		}
		var psi []string
		for _, j := range r.psi {
			psi = append(psi, strconv.Itoa(j))
		}
		w.Input("psi", strings.Join(psi, " "))
		for _, re := range r.reenc {
			w.Input("reenc", scalarsHex(re))
		}
		w.Input("rho", scalarsHex(r.rho))
		w.Input("r-hat", scalarsHex(r.rHat))
		w.Input("omega", scalarsHex(r.omega))
		w.Input("omega-hat", scalarsHex(r.omegaHat))
		w.Input("omega-prime", scalarsHex(r.omegaPrime))
		w.Expect("out", strings.Join(ballotsHex(out), " "))
		w.Expect("u", scalarsHex(scalarValues(u)))
		w.Expect("challenge", c.Bytes())
		w.Expect("proof", p.Bytes())
		if size.n == 3 {
			keep.ctx, keep.pk, keep.in, keep.out, keep.proof = vectorCtx, pk, in, out, p.Bytes()
			keep.stranger = cryptotest.GenerateKey(rnd).PublicKey()
		}
	}

	bad := func(name, comment string, ctx []byte, pk *crypto.PublicKey, in, out [][]crypto.Ciphertext, proof []byte, reason string) {
		w.Vector(name)
		w.Input("ctx", ctx)
		w.Input("pk", pk.Bytes())
		for _, h := range ballotsHex(in) {
			w.Input("in", h)
		}
		for _, h := range ballotsHex(out) {
			w.Input("out", h)
		}
		w.Input("proof", proof)
		w.Comment(comment)
		w.Reject(reason)
	}
	const base = "shuffle-3-ballots-of-2"
	in, out, proof := keep.in, keep.out, keep.proof
	bad("shuffle-other-ctx", "the proof of "+base+" under another context", []byte("another mix"), keep.pk, in, out, proof, "invalid-proof")
	bad("shuffle-other-key", "the proof of "+base+" under another key", keep.ctx, keep.stranger, in, out, proof, "invalid-proof")
	altered := cloneBallots(out)
	altered[0][1].B.Add(&altered[0][1].B, crypto.NewGeneratorElement())
	bad("shuffle-output-altered", "the output of "+base+" with B of ciphertext 2 of ballot 1 replaced by B + G", keep.ctx, keep.pk, in, altered, proof, "invalid-proof")
	swapped := cloneBallots(out)
	swapped[0], swapped[2] = swapped[2], swapped[0]
	bad("shuffle-outputs-swapped", "the output of "+base+" with ballots 1 and 3 exchanged", keep.ctx, keep.pk, in, swapped, proof, "invalid-proof")
	inner := cloneBallots(out)
	inner[1][0], inner[1][1] = inner[1][1], inner[1][0]
	bad("shuffle-ciphertexts-swapped", "the output of "+base+" with the two ciphertexts of ballot 2 exchanged", keep.ctx, keep.pk, in, inner, proof, "invalid-proof")
	bad("shuffle-dropped", "the output of "+base+" without its last ballot", keep.ctx, keep.pk, in, out[:2], proof, "invalid-proof")
	cout, cp := crypto.ShuffleCheating(cryptotest.NewReader([]byte("shuffle cheat")), keep.ctx, keep.pk, in, func(o [][]crypto.Ciphertext) {
		copy(o[1], o[0])
	})
	bad("shuffle-duplicated", "a mix server that copied output ballot 1 over ballot 2 and proved it with its witness", keep.ctx, keep.pk, in, cout, cp.Bytes(), "invalid-proof")
	elems := 3*3 + 3 + 2*2
	s1 := bytes.Clone(proof)
	o := 8 + 32*elems
	s1[o] ^= 1
	bad("shuffle-s1-altered", "the proof of "+base+" with the low bit of s_1 flipped", keep.ctx, keep.pk, in, out, s1, "invalid-proof")
	notReduced := bytes.Clone(proof)
	copy(notReduced[len(proof)-32:], l)
	bad("shuffle-scalar-not-reduced", "the proof of "+base+" with s'_3 = ℓ, not reduced", keep.ctx, keep.pk, in, out, notReduced, "invalid-encoding")
	bad("shuffle-truncated", "the proof of "+base+" without its last byte", keep.ctx, keep.pk, in, out, proof[:len(proof)-1], "invalid-encoding")
	return w.Bytes()
}
