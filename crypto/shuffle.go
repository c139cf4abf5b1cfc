package crypto

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"filippo.io/edwards25519"

	"github.com/evote/evote/crypto/internal/edwards"
)

// The verifiable re-encryption shuffle of docs/spec/crypto-proofs.md,
// section 9: the proof of shuffle of Terelius and Wikström as written out in
// R. Haenni, P. Locher, R. Koenig, E. Dubuis, "Pseudo-Code Algorithms for
// Verifiable Re-Encryption Mix-Nets", FC 2017 workshops (algorithms
// GenShuffle, GenPermutationCommitment, GenCommitmentChain,
// GenShuffleProof, CheckShuffleProof), in the additive notation of
// ristretto255 and for ballots of w ciphertexts that are all re-encrypted
// and moved together. A shuffle of one contest's ballots by one mix server
// is a Shuffle call; each of its outputs is the next server's input.

// Transcript and hash labels of the proof of shuffle (section 9).
const (
	shuffleLabel          = "evote/v1/proof/shuffle"
	shuffleGeneratorLabel = "evote/v1/shuffle/generator"
)

// shuffleHeaderSize is the size of the u32be(N) || u32be(w) header of an
// encoded ShuffleProof.
const shuffleHeaderSize = 8

// ShuffleProofSize returns the size in bytes of the encoding of a proof of
// shuffle of n ballots of w ciphertexts: 8 + 32·(5n + 3w + 6).
func ShuffleProofSize(n, w int) int {
	return shuffleHeaderSize + 32*(5*n+3*w+6)
}

// ShuffleProof proves that a list of N ballots of w ciphertexts each is a
// re-encryption and permutation of another (docs/spec/crypto-proofs.md,
// section 9). It carries the permutation commitment c_1..c_N, the
// commitment chain ĉ_1..ĉ_N, the commitments t_1, t_2, t_3, t_4 (2w
// elements) and t̂_1..t̂_N, and the responses s_1, s_2, s_3, s_4 (w
// scalars), ŝ_1..ŝ_N and s'_1..s'_N; the challenges are recomputed by the
// verifier. Its encoding is u32be(N) || u32be(w) || the elements in that
// order || the scalars in that order, ShuffleProofSize(N, w) bytes.
//
// The zero value is not a valid proof; obtain one from Shuffle or SetBytes.
type ShuffleProof struct {
	n, w int
	el   []Element // c_1..c_N, ĉ_1..ĉ_N, t_1, t_2, t_3, t_4 (A_1, B_1, …, A_w, B_w), t̂_1..t̂_N
	sc   []Scalar  // s_1, s_2, s_3, s_{4,1..w}, ŝ_1..ŝ_N, s'_1..s'_N
	enc  []byte
}

func newShuffleProof(n, w int) *ShuffleProof {
	p := &ShuffleProof{
		n:   n,
		w:   w,
		el:  make([]Element, 3*n+3+2*w),
		sc:  make([]Scalar, 2*n+3+w),
		enc: make([]byte, ShuffleProofSize(n, w)),
	}
	binary.BigEndian.PutUint32(p.enc[0:], uint32(n))
	binary.BigEndian.PutUint32(p.enc[4:], uint32(w))
	return p
}

// The parts of a proof, as slices of el and sc.
func (p *ShuffleProof) commitment() []Element { return p.el[:p.n] }
func (p *ShuffleProof) chain() []Element      { return p.el[p.n : 2*p.n] }
func (p *ShuffleProof) t() []Element          { return p.el[2*p.n : 2*p.n+3+2*p.w] }
func (p *ShuffleProof) tHat() []Element       { return p.el[2*p.n+3+2*p.w:] }
func (p *ShuffleProof) s() []Scalar           { return p.sc[:3+p.w] }
func (p *ShuffleProof) sHat() []Scalar        { return p.sc[3+p.w : 3+p.w+p.n] }
func (p *ShuffleProof) sPrime() []Scalar      { return p.sc[3+p.w+p.n:] }

// elemEnc returns the encoding of elements [from, to) of el.
func (p *ShuffleProof) elemEnc(from, to int) []byte {
	return p.enc[shuffleHeaderSize+32*from : shuffleHeaderSize+32*to]
}

// encodeElements writes the encodings of elements [from, to) into enc.
func (p *ShuffleProof) encodeElements(from, to int) {
	for i := from; i < to; i++ {
		o := shuffleHeaderSize + 32*i
		p.el[i].appendBytes(p.enc[o:o])
	}
}

// encodeScalars writes the encodings of all scalars into enc.
func (p *ShuffleProof) encodeScalars() {
	base := shuffleHeaderSize + 32*len(p.el)
	for i := range p.sc {
		copy(p.enc[base+32*i:], p.sc[i].Bytes())
	}
}

// Bytes returns the canonical encoding of p.
func (p *ShuffleProof) Bytes() []byte {
	out := make([]byte, len(p.enc))
	copy(out, p.enc)
	return out
}

// SetBytes parses a canonical encoding; on error p is unchanged. It
// rejects a header with N = 0 or w = 0, a length other than
// ShuffleProofSize(N, w), and any element or scalar that is not canonical.
// VerifyShuffle checks N and w against the ballots.
func (p *ShuffleProof) SetBytes(b []byte) (*ShuffleProof, error) {
	if len(b) < shuffleHeaderSize {
		return nil, fmt.Errorf("shuffle proof: %w: length %d, shorter than its header", ErrInvalidEncoding, len(b))
	}
	n64 := uint64(binary.BigEndian.Uint32(b[0:]))
	w64 := uint64(binary.BigEndian.Uint32(b[4:]))
	if n64 == 0 || w64 == 0 {
		return nil, fmt.Errorf("shuffle proof: %w: %d ballots of %d ciphertexts", ErrInvalidEncoding, n64, w64)
	}
	if want := shuffleHeaderSize + 32*(5*n64+3*w64+6); uint64(len(b)) != want {
		return nil, fmt.Errorf("shuffle proof: %w: length %d, want %d for %d ballots of %d ciphertexts", ErrInvalidEncoding, len(b), want, n64, w64)
	}
	q := newShuffleProof(int(n64), int(w64))
	for i := range q.el {
		o := shuffleHeaderSize + 32*i
		if _, err := q.el[i].SetCanonicalBytes(b[o : o+32]); err != nil {
			return nil, fmt.Errorf("shuffle proof: element %d: %w", i, err)
		}
	}
	base := shuffleHeaderSize + 32*len(q.el)
	for i := range q.sc {
		o := base + 32*i
		if _, err := q.sc[i].SetCanonicalBytes(b[o : o+32]); err != nil {
			return nil, fmt.Errorf("shuffle proof: scalar %d: %w", i, err)
		}
	}
	copy(q.enc, b)
	*p = *q
	return p, nil
}

// ballotShape returns the number of ballots and their common width, or an
// error if there are none, a ballot is empty, or the widths differ.
func ballotShape(b [][]Ciphertext) (n, w int, err error) {
	if len(b) == 0 {
		return 0, 0, errors.New("no ballots")
	}
	w = len(b[0])
	if w == 0 {
		return 0, 0, errors.New("ballot 0 has no ciphertext")
	}
	for i := range b {
		if len(b[i]) != w {
			return 0, 0, fmt.Errorf("ballot %d has %d ciphertexts, ballot 0 has %d", i, len(b[i]), w)
		}
	}
	if uint64(len(b)) > 0xffffffff || uint64(w) > 0xffffffff {
		return 0, 0, errors.New("too many ballots or ciphertexts")
	}
	return len(b), w, nil
}

// encodeBallots returns the encodings of the ciphertexts of b, ballot by
// ballot, each A || B.
func encodeBallots(b [][]Ciphertext) []byte {
	out := make([]byte, 0, len(b)*len(b[0])*CiphertextSize)
	for i := range b {
		for k := range b[i] {
			out = b[i][k].A.appendBytes(out)
			out = b[i][k].B.appendBytes(out)
		}
	}
	return out
}

// BallotList is N ≥ 1 ballots of w ≥ 1 ciphertexts each, kept with its
// encoding: every ciphertext A || B, ballot by ballot, the bytes that the
// transcript of a proof of shuffle hashes as "in" or "out"
// (docs/spec/crypto-proofs.md, section 9.3, step 8) and that a board
// stores. A list parsed from its bytes, or made by ShuffleList, is not
// encoded again, which saves the mix server and the verifier one
// element encoding (a square root) per element. A BallotList is immutable
// and safe for concurrent use; its zero value is not valid (use
// NewBallotList or ParseBallotList).
type BallotList struct {
	b   [][]Ciphertext
	enc []byte
}

// NewBallotList returns the list of copies of the ballots b, which must be
// at least one and all of one width w ≥ 1.
func NewBallotList(b [][]Ciphertext) (*BallotList, error) {
	n, w, err := ballotShape(b)
	if err != nil {
		return nil, fmt.Errorf("ballot list: %w", err)
	}
	cts := make([]Ciphertext, n*w)
	c := make([][]Ciphertext, n)
	for i := range c {
		c[i] = cts[i*w : (i+1)*w : (i+1)*w]
		copy(c[i], b[i])
	}
	return listOf(c), nil
}

// listOf returns the list of b, which must have passed ballotShape, without
// copying it.
func listOf(b [][]Ciphertext) *BallotList {
	return &BallotList{b: b, enc: encodeBallots(b)}
}

// ParseBallotList parses the encoding of a list of ballots of w
// ciphertexts (BallotList.Bytes). It rejects an empty or ragged encoding and
// any element that is not canonical (ErrInvalidEncoding).
func ParseBallotList(enc []byte, w int) (*BallotList, error) {
	if w < 1 || uint64(w) > 0xffffffff {
		return nil, fmt.Errorf("%w: ballot list: width %d", ErrInvalidEncoding, w)
	}
	size := w * CiphertextSize
	if len(enc) == 0 || len(enc)%size != 0 || uint64(len(enc)/size) > 0xffffffff {
		return nil, fmt.Errorf("%w: ballot list: %d bytes is not a positive number of ballots of %d ciphertexts", ErrInvalidEncoding, len(enc), w)
	}
	n := len(enc) / size
	cts := make([]Ciphertext, n*w)
	for j := range cts {
		if _, err := cts[j].SetBytes(enc[j*CiphertextSize : (j+1)*CiphertextSize]); err != nil {
			return nil, fmt.Errorf("ballot list: ballot %d, ciphertext %d: %w", j/w, j%w, err)
		}
	}
	b := make([][]Ciphertext, n)
	for i := range b {
		b[i] = cts[i*w : (i+1)*w : (i+1)*w]
	}
	return &BallotList{b: b, enc: bytes.Clone(enc)}, nil
}

// Len returns the number of ballots, N.
func (l *BallotList) Len() int { return len(l.b) }

// Width returns the number of ciphertexts of each ballot, w.
func (l *BallotList) Width() int { return len(l.b[0]) }

// Ballots returns a copy of the ballots.
func (l *BallotList) Ballots() [][]Ciphertext {
	out := make([][]Ciphertext, len(l.b))
	for i := range out {
		out[i] = slices.Clone(l.b[i])
	}
	return out
}

// Bytes returns a copy of the list's encoding.
func (l *BallotList) Bytes() []byte { return bytes.Clone(l.enc) }

// shuffleGenerators returns h = h_0 and h_1..h_n of section 9.2:
// h_i = HashToElement("evote/v1/shuffle/generator",
// u64be(len(ctx)) || ctx || u64be(i)).
func shuffleGenerators(ctx []byte, n int) []Element {
	msg := binary.BigEndian.AppendUint64(nil, uint64(len(ctx)))
	msg = append(msg, ctx...)
	msg = append(msg, make([]byte, 8)...)
	gens := make([]Element, n+1)
	for i := range gens {
		binary.BigEndian.PutUint64(msg[len(msg)-8:], uint64(i))
		gens[i].Set(HashToElement(shuffleGeneratorLabel, msg))
	}
	return gens
}

// shuffleChallengeU starts the transcript of section 9.3, step 8 (the statement
// and the permutation commitment of p) and draws u_1..u_N.
func shuffleChallengeU(ctx, Kenc, inEnc, outEnc []byte, p *ShuffleProof) (*Transcript, []Scalar) {
	// Room for every item and both challenges, so that it never grows.
	t := newTranscriptCap(shuffleLabel, len(ctx)+len(inEnc)+len(outEnc)+len(p.enc)+1024)
	t.AppendMessage("ctx", ctx)
	t.AppendUint64("N", uint64(p.n))
	t.AppendUint64("w", uint64(p.w))
	t.appendEncoded("G", generatorEnc)
	t.appendEncoded("K", Kenc)
	t.AppendMessage("in", inEnc)
	t.AppendMessage("out", outEnc)
	t.AppendMessage("commitment", p.elemEnc(0, p.n))
	return t, t.ChallengeScalars("u", p.n)
}

// shuffleChallengeC continues t with the commitment chain and the
// commitments of p and draws c (section 9.3, step 12).
func shuffleChallengeC(t *Transcript, p *ShuffleProof) *Scalar {
	n, w := p.n, p.w
	t.AppendMessage("chain", p.elemEnc(n, 2*n))
	t.AppendMessage("t", p.elemEnc(2*n, 2*n+3+2*w))
	t.AppendMessage("t-hat", p.elemEnc(2*n+3+2*w, 3*n+3+2*w))
	return t.ChallengeScalar("c")
}

// Shuffle re-encrypts every ciphertext of the ballots in under pk, permutes
// the ballots with a secret uniformly random permutation (a ballot's
// ciphertexts stay together and in order) and proves it, bound to ctx
// (docs/spec/crypto-proofs.md, section 9). The ballots must be at least one
// and all of the same width w ≥ 1. The randomness comes from crypto/rand
// and is forgotten: the output is unlinkable to the input for anyone who
// does not know it.
//
// The permutation and the re-encryption randomness are handled in constant
// time: the permutation is applied by a sorting network of constant-time
// swaps, and every multiplication by a secret scalar is constant time.
// What is not hidden: N, w, and the time the computation takes as a
// function of them.
func Shuffle(ctx []byte, pk *PublicKey, in [][]Ciphertext) ([][]Ciphertext, *ShuffleProof, error) {
	return shuffle(rand.Reader, ctx, pk, in)
}

// ShuffleList is Shuffle of a BallotList: the list's encoding is hashed
// as it is, and the output comes with its own, ready to be posted.
func ShuffleList(ctx []byte, pk *PublicKey, in *BallotList) (*BallotList, *ShuffleProof) {
	return shuffleList(rand.Reader, ctx, pk, in)
}

// shuffle is Shuffle with the randomness drawn from rnd in the order of
// section 9.3.
func shuffle(rnd io.Reader, ctx []byte, pk *PublicKey, in [][]Ciphertext) ([][]Ciphertext, *ShuffleProof, error) {
	if _, _, err := ballotShape(in); err != nil {
		return nil, nil, fmt.Errorf("shuffle: %w", err)
	}
	out, p := shuffleList(rnd, ctx, pk, listOf(in))
	return out.b, p, nil
}

// shuffleList is ShuffleList with the randomness drawn from rnd.
func shuffleList(rnd io.Reader, ctx []byte, pk *PublicKey, in *BallotList) (*BallotList, *ShuffleProof) {
	out, wit := genShuffle(rnd, pk, in.b)
	outList := listOf(out)
	return outList, proveShuffle(rnd, ctx, pk, in, outList, wit)
}

// shuffleWitness is what the prover knows: ψ and the re-encryption
// randomness r'_{j,k} (input j, component k, at j·w + k).
type shuffleWitness struct {
	psi *obliviousPermutation
	rr  []Scalar
}

// genShuffle is GenShuffle: it draws ψ, re-encrypts e'_j = e_j + Enc(0; r'_j)
// and returns ẽ_i = e'_ψ(i). in must have passed ballotShape.
func genShuffle(rnd io.Reader, pk *PublicKey, in [][]Ciphertext) ([][]Ciphertext, *shuffleWitness) {
	n, w := len(in), len(in[0])
	tab := pk.Table()
	psi := newObliviousPermutation(rnd, n)
	rr := make([]Scalar, n*w) // r'_{j,k}
	flat := make([]Element, 2*n*w)
	var tmp Element
	for j := range n {
		for k := range w {
			r := &rr[j*w+k]
			randomScalarFrom(rnd, r)
			a, b := &flat[2*(j*w+k)], &flat[2*(j*w+k)+1]
			a.Add(&in[j][k].A, tmp.ScalarBaseMult(r))
			b.Add(&in[j][k].B, tmp.FixedBaseMult(r, tab))
		}
	}
	psi.permuteElements(false, flat, 2*w)
	out := make([][]Ciphertext, n)
	cts := make([]Ciphertext, n*w)
	for i := range out {
		out[i] = cts[i*w : (i+1)*w : (i+1)*w]
		for k := range w {
			out[i][k].A.Set(&flat[2*(i*w+k)])
			out[i][k].B.Set(&flat[2*(i*w+k)+1])
		}
	}
	return out, &shuffleWitness{psi: psi, rr: rr}
}

// proveShuffle is GenShuffleProof for the output out of genShuffle and its
// witness, which it clears.
func proveShuffle(rnd io.Reader, ctx []byte, pk *PublicKey, inList, outList *BallotList, wit *shuffleWitness) *ShuffleProof {
	n, w := inList.Len(), inList.Width()
	out := outList.b
	tab := pk.Table()
	psi, rr := wit.psi, wit.rr
	var tmp Element

	// GenPermutationCommitment: d_i = ρ_i·G + h_i, placed at ψ(i).
	p := newShuffleProof(n, w)
	gens := shuffleGenerators(ctx, n)
	rho := make([]Scalar, n)
	com := p.commitment()
	for i := range n {
		randomScalarFrom(rnd, &rho[i])
		com[i].Add(tmp.ScalarBaseMult(&rho[i]), &gens[i+1])
	}
	psi.permuteElements(true, com, 1)
	p.encodeElements(0, n)

	// The challenges u_j, and u'_i = u_ψ(i).
	tr, u := shuffleChallengeU(ctx, tab.enc[:], inList.enc, outList.enc, p)
	up := make([]Scalar, n)
	copy(up, u)
	psi.permuteScalars(up)

	// GenCommitmentChain: ĉ_0 = h, ĉ_i = r̂_i·G + u'_i·ĉ_{i−1}, in closed
	// form ĉ_i = a_i·G + b_i·h with a_0 = 0, b_0 = 1, a_i = r̂_i + u'_i·a_{i−1}
	// and b_i = u'_i·b_{i−1}: two fixed-base multiplications instead of a
	// variable-base one (docs/spec/crypto-proofs.md §9.3, note).
	hTab := NewFixedBaseTable(&gens[0])
	rHat := make([]Scalar, n)
	a := make([]Scalar, n+1) // a_0 … a_N
	b := make([]Scalar, n+1) // b_0 … b_N
	b[0].SetUint64(1)
	chain := p.chain()
	for i := range n {
		randomScalarFrom(rnd, &rHat[i])
		a[i+1].MultiplyAdd(&up[i], &a[i], &rHat[i])
		b[i+1].Multiply(&up[i], &b[i])
		chain[i].ScalarBaseMult(&a[i+1])
		chain[i].Add(&chain[i], tmp.FixedBaseMult(&b[i+1], hTab))
	}

	// The commitments t.
	omega := make([]Scalar, 3+w) // ω_1, ω_2, ω_3, ω_{4,1..w}
	for i := range omega {
		randomScalarFrom(rnd, &omega[i])
	}
	omegaHat := make([]Scalar, n)
	omegaPrime := make([]Scalar, n)
	for i := range n {
		randomScalarFrom(rnd, &omegaHat[i])
		randomScalarFrom(rnd, &omegaPrime[i])
	}
	t := p.t()
	t[0].ScalarBaseMult(&omega[0])
	t[1].ScalarBaseMult(&omega[1])
	pts := make([]*Element, n)
	for i := range n {
		pts[i] = &gens[i+1]
	}
	t[2].Add(tmp.ScalarBaseMult(&omega[2]), multiScalarMult(&t[2], omegaPrime, pts))
	var neg Scalar
	for k := range w {
		neg.Negate(&omega[3+k])
		for i := range n {
			pts[i] = &out[i][k].A
		}
		t[3+2*k].Add(tmp.ScalarBaseMult(&neg), multiScalarMult(&t[3+2*k], omegaPrime, pts))
		for i := range n {
			pts[i] = &out[i][k].B
		}
		t[4+2*k].Add(tmp.FixedBaseMult(&neg, tab), multiScalarMult(&t[4+2*k], omegaPrime, pts))
	}
	// t̂_i = ω̂_i·G + ω'_i·ĉ_{i−1} = (ω̂_i + ω'_i·a_{i−1})·G + (ω'_i·b_{i−1})·h.
	tHat := p.tHat()
	var x Scalar
	for i := range n {
		tHat[i].ScalarBaseMult(x.MultiplyAdd(&omegaPrime[i], &a[i], &omegaHat[i]))
		tHat[i].Add(&tHat[i], tmp.FixedBaseMult(x.Multiply(&omegaPrime[i], &b[i]), hTab))
	}
	p.encodeElements(n, len(p.el))
	c := shuffleChallengeC(tr, p)

	// The responses.
	var rBar, rU, rHatV, v Scalar // Σ ρ_i, Σ ρ_i·u'_i, Σ r̂_i·v_i, v_i
	for i := range n {
		rBar.Add(&rBar, &rho[i])
		rU.MultiplyAdd(&rho[i], &up[i], &rU)
	}
	v.SetUint64(1)
	for i := n - 1; i >= 0; i-- { // v_N = 1, v_{i−1} = u'_i·v_i
		rHatV.MultiplyAdd(&rHat[i], &v, &rHatV)
		v.Multiply(&v, &up[i])
	}
	s := p.s()
	s[0].MultiplyAdd(c, &rBar, &omega[0])
	s[1].MultiplyAdd(c, &rHatV, &omega[1])
	s[2].MultiplyAdd(c, &rU, &omega[2])
	var rTilde Scalar
	for k := range w {
		rTilde = Scalar{} // Σ_j r'_{j,k}·u_j
		for j := range n {
			rTilde.MultiplyAdd(&rr[j*w+k], &u[j], &rTilde)
		}
		s[3+k].MultiplyAdd(c, &rTilde, &omega[3+k])
	}
	sHat, sPrime := p.sHat(), p.sPrime()
	for i := range n {
		sHat[i].MultiplyAdd(c, &rHat[i], &omegaHat[i])
		sPrime[i].MultiplyAdd(c, &up[i], &omegaPrime[i])
	}
	p.encodeScalars()

	x = Scalar{}
	for _, secret := range [][]Scalar{rr, rho, up, rHat, a, b, omega, omegaHat, omegaPrime} {
		clear(secret)
	}
	clear(psi.swap)
	return p
}

// multiScalarMult sets e = Σ s[i]·pts[i] in constant time in the scalars
// and returns e.
func multiScalarMult(e *Element, s []Scalar, pts []*Element) *Element {
	ss := make([]*edwards25519.Scalar, len(s))
	ps := make([]*edwards25519.Point, len(s))
	for i := range s {
		ss[i] = &s[i].s
		ps[i] = &pts[i].p
	}
	edwards.MultiScalarMult(&e.p, ss, ps)
	return e
}

// VerifyShuffle checks that out is a re-encryption under pk and a
// permutation of in, as p proves under ctx (docs/spec/crypto-proofs.md,
// sections 9.5 and 9.6); errors wrap ErrInvalidProof. The ballot counts and widths
// must match p's. All the verification equations are checked at once, as
// one variable-time multi-scalar multiplication with random weights; if
// that fails, the error names the first equation that fails on its own.
func VerifyShuffle(ctx []byte, pk *PublicKey, in, out [][]Ciphertext, p *ShuffleProof) error {
	if p == nil || p.n == 0 {
		return fmt.Errorf("%w: shuffle: no proof", ErrInvalidProof)
	}
	if len(in) != p.n || len(out) != p.n {
		return fmt.Errorf("%w: shuffle: %d input and %d output ballots, the proof is for %d", ErrInvalidProof, len(in), len(out), p.n)
	}
	for i := range p.n {
		if len(in[i]) != p.w {
			return fmt.Errorf("%w: shuffle: input ballot %d has %d ciphertexts, the proof is for %d", ErrInvalidProof, i, len(in[i]), p.w)
		}
		if len(out[i]) != p.w {
			return fmt.Errorf("%w: shuffle: output ballot %d has %d ciphertexts, the proof is for %d", ErrInvalidProof, i, len(out[i]), p.w)
		}
	}
	return verifyShuffle(ctx, pk, listOf(in), listOf(out), p)
}

// VerifyShuffleList is VerifyShuffle of BallotLists: their encodings are
// hashed as they are.
func VerifyShuffleList(ctx []byte, pk *PublicKey, in, out *BallotList, p *ShuffleProof) error {
	if p == nil || p.n == 0 {
		return fmt.Errorf("%w: shuffle: no proof", ErrInvalidProof)
	}
	if in.Len() != p.n || out.Len() != p.n || in.Width() != p.w || out.Width() != p.w {
		return fmt.Errorf("%w: shuffle: %d×%d input and %d×%d output ciphertexts, the proof is for %d×%d",
			ErrInvalidProof, in.Len(), in.Width(), out.Len(), out.Width(), p.n, p.w)
	}
	return verifyShuffle(ctx, pk, in, out, p)
}

// verifyShuffle is VerifyShuffleList once the shapes match the proof's.
func verifyShuffle(ctx []byte, pk *PublicKey, in, out *BallotList, p *ShuffleProof) error {
	tr, u := shuffleChallengeU(ctx, pk.Bytes(), in.enc, out.enc, p)
	v := &shuffleVerifier{pk: pk, in: in.b, out: out.b, p: p, u: u, gens: shuffleGenerators(ctx, p.n)}
	v.c = shuffleChallengeC(tr, p)

	if v.holds(v.weights(-1)) {
		return nil
	}
	for g := range p.w + 4 {
		if !v.holds(v.weights(g)) {
			return fmt.Errorf("%w: shuffle: %s", ErrInvalidProof, shuffleEquationName(g, p.w))
		}
	}
	return fmt.Errorf("%w: shuffle: the combined equation fails", ErrInvalidProof)
}

// shuffleEquationName names the equation group g of section 9.6.
func shuffleEquationName(g, w int) string {
	switch {
	case g == 0:
		return "t_1 ≠ s_1·G − c·(Σ c_i − Σ h_i) (permutation commitment)"
	case g == 1:
		return "t_2 ≠ s_2·G − c·(ĉ_N − u·h) (commitment chain)"
	case g == 2:
		return "t_3 ≠ s_3·G + Σ s'_i·h_i − c·Σ u_i·c_i (permuted challenges)"
	case g < 3+w:
		return fmt.Sprintf("t_4 ≠ Σ s'_i·ẽ_i − Enc(0; s_4) − c·Σ u_i·e_i for ciphertext %d (re-encryption)", g-3)
	}
	return "t̂_i ≠ ŝ_i·G + s'_i·ĉ_{i−1} − c·ĉ_i for some i (commitment chain steps)"
}

// shuffleVerifier holds a proof of shuffle with its statement and
// challenges.
type shuffleVerifier struct {
	pk      *PublicKey
	in, out [][]Ciphertext
	p       *ShuffleProof
	u       []Scalar
	c       *Scalar
	gens    []Element
}

// shuffleWeights are the weights of the equations: α_1, α_2, α_3, then
// β_k, γ_k for the two halves of t_4's component k, and δ_i for t̂_i.
type shuffleWeights struct {
	alpha       [3]Scalar
	beta, gamma []Scalar
	delta       []Scalar
}

// weights returns independent uniform 128-bit weights from crypto/rand for
// the equations of group g (all groups if g < 0; groups as in
// shuffleEquationName), and 0 for the others.
func (v *shuffleVerifier) weights(g int) *shuffleWeights {
	w, n := v.p.w, v.p.n
	wt := &shuffleWeights{beta: make([]Scalar, w), gamma: make([]Scalar, w), delta: make([]Scalar, n)}
	random := func(s *Scalar) {
		var b [ScalarSize]byte
		if _, err := rand.Read(b[:16]); err != nil {
			panic("crypto: crypto/rand failed: " + err.Error())
		}
		if _, err := s.s.SetCanonicalBytes(b[:]); err != nil {
			panic("crypto: internal error: " + err.Error())
		}
	}
	for i := range 3 {
		if g < 0 || g == i {
			random(&wt.alpha[i])
		}
	}
	for k := range w {
		if g < 0 || g == 3+k {
			random(&wt.beta[k])
			random(&wt.gamma[k])
		}
	}
	if g < 0 || g == 3+w {
		for i := range n {
			random(&wt.delta[i])
		}
	}
	return wt
}

// holds reports whether the weighted sum of the equations E = 0 of section
// 9.6 is the identity:
//
//	E_1   = t_1 − s_1·G + c·Σ c_i − c·Σ h_i
//	E_2   = t_2 − s_2·G + c·ĉ_N − c·u·h
//	E_3   = t_3 − s_3·G − Σ s'_i·h_i + c·Σ u_i·c_i
//	E_4,k = t_4,k + c·Σ u_i·e_{i,k} + Enc(0; s_4,k) − Σ s'_i·ẽ_{i,k}
//	Ê_i   = t̂_i − ŝ_i·G − s'_i·ĉ_{i−1} + c·ĉ_i
//
// with E_4,k a pair (its A half on G, its B half on K). Terms with a zero
// scalar are left out of the multi-scalar multiplication.
func (v *shuffleVerifier) holds(wt *shuffleWeights) bool {
	p, n, w, c := v.p, v.p.n, v.p.w, v.c
	s, sHat, sPrime := p.s(), p.sHat(), p.sPrime()
	com, chain, t, tHat := p.commitment(), p.chain(), p.t(), p.tHat()
	a1, a2, a3 := &wt.alpha[0], &wt.alpha[1], &wt.alpha[2]

	var scalars []*edwards25519.Scalar
	var points []*edwards25519.Point
	add := func(s *Scalar, e *Element) {
		if s.IsZero() == 0 {
			scalars = append(scalars, &s.s)
			points = append(points, &e.p)
		}
	}
	coef := make([]Scalar, 5+4*n+4*n*w) // storage for the merged scalars
	next := func() *Scalar { s := &coef[0]; coef = coef[1:]; return s }
	var tmp Scalar

	// G and K.
	g, k := next(), next()
	for kk := range w {
		g.MultiplyAdd(&wt.beta[kk], &s[3+kk], g)
		k.MultiplyAdd(&wt.gamma[kk], &s[3+kk], k)
	}
	g.Subtract(g, tmp.Multiply(a1, &s[0]))
	g.Subtract(g, tmp.Multiply(a2, &s[1]))
	g.Subtract(g, tmp.Multiply(a3, &s[2]))
	for i := range n {
		g.Subtract(g, tmp.Multiply(&wt.delta[i], &sHat[i]))
	}
	add(g, NewGeneratorElement())
	add(k, &v.pk.k)

	// h = ĉ_0: −α_2·c·u − δ_1·s'_1, with u = Π u_i.
	var uProd Scalar
	uProd.SetUint64(1)
	for i := range n {
		uProd.Multiply(&uProd, &v.u[i])
	}
	h := next()
	h.Multiply(a2, c)
	h.Multiply(h, &uProd)
	h.Negate(h)
	h.Subtract(h, tmp.Multiply(&wt.delta[0], &sPrime[0]))
	add(h, &v.gens[0])

	// h_i: −α_1·c − α_3·s'_i; c_i: α_1·c + α_3·c·u_i.
	var a1c, a3c Scalar
	a1c.Multiply(a1, c)
	a3c.Multiply(a3, c)
	for i := range n {
		hi := next()
		hi.Negate(&a1c)
		hi.Subtract(hi, tmp.Multiply(a3, &sPrime[i]))
		add(hi, &v.gens[i+1])
		ci := next()
		ci.MultiplyAdd(&a3c, &v.u[i], &a1c)
		add(ci, &com[i])
	}

	// ĉ_i: δ_i·c − δ_{i+1}·s'_{i+1} (i < N); ĉ_N: δ_N·c + α_2·c.
	for i := range n {
		ch := next()
		ch.Multiply(&wt.delta[i], c)
		if i+1 < n {
			ch.Subtract(ch, tmp.Multiply(&wt.delta[i+1], &sPrime[i+1]))
		} else {
			ch.MultiplyAdd(a2, c, ch)
		}
		add(ch, &chain[i])
	}

	// e_{i,k}: c·u_i·(β_k, γ_k); ẽ_{i,k}: −s'_i·(β_k, γ_k).
	var cu, nsp Scalar
	for i := range n {
		cu.Multiply(c, &v.u[i])
		nsp.Negate(&sPrime[i])
		for kk := range w {
			ea, eb, oa, ob := next(), next(), next(), next()
			add(ea.Multiply(&cu, &wt.beta[kk]), &v.in[i][kk].A)
			add(eb.Multiply(&cu, &wt.gamma[kk]), &v.in[i][kk].B)
			add(oa.Multiply(&nsp, &wt.beta[kk]), &v.out[i][kk].A)
			add(ob.Multiply(&nsp, &wt.gamma[kk]), &v.out[i][kk].B)
		}
	}

	// The commitments, with their weights.
	add(a1, &t[0])
	add(a2, &t[1])
	add(a3, &t[2])
	for kk := range w {
		add(&wt.beta[kk], &t[3+2*kk])
		add(&wt.gamma[kk], &t[4+2*kk])
	}
	for i := range n {
		add(&wt.delta[i], &tHat[i])
	}

	var sum Element
	edwards.VarTimeMultiScalarMult(&sum.p, scalars, points)
	return sum.IsIdentity() == 1
}
