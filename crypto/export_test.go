package crypto

import "io"

// Internal provers with an explicit random source, for comparison with the
// reference provers of package cryptotest.
var (
	ProveSchnorrFrom = proveSchnorr
	ProveDLEQFrom    = proveDLEQ
	ProveRangeFrom   = proveRange
)

// CombinedOK reports whether the weighted batch equation holds and no
// proof was left out of it, without the one-by-one fallback that would
// hide a wrong equation.
func (b *BatchVerifier) CombinedOK() bool {
	ok, bad := b.combined()
	return ok && bad == nil
}

// ShuffleFrom is Shuffle with its randomness drawn from rnd.
var ShuffleFrom = shuffle

// ShuffleListFrom is ShuffleList with its randomness drawn from rnd.
var ShuffleListFrom = shuffleList

// SortingNetwork returns the comparators of the sorting network for n
// items, flattened pairs (i, j).
var SortingNetwork = sortingNetwork

// ShuffleChallenges returns the challenges u_1..u_N and c of a proof of
// shuffle, as the verifier derives them.
func ShuffleChallenges(ctx []byte, pk *PublicKey, in, out [][]Ciphertext, p *ShuffleProof) ([]Scalar, *Scalar) {
	tr, u := shuffleChallengeU(ctx, pk.Bytes(), encodeBallots(in), encodeBallots(out), p)
	return u, shuffleChallengeC(tr, p)
}

// ShuffleGenerators returns h, h_1..h_n.
var ShuffleGenerators = shuffleGenerators

// ShuffleCheating is a mix server that changes its output with cheat after
// shuffling and then proves the changed output with its witness, as well
// as it can.
func ShuffleCheating(rnd io.Reader, ctx []byte, pk *PublicKey, in [][]Ciphertext, cheat func(out [][]Ciphertext)) ([][]Ciphertext, *ShuffleProof) {
	out, wit := genShuffle(rnd, pk, in)
	cheat(out)
	return out, proveShuffle(rnd, ctx, pk, listOf(in), listOf(out), wit)
}

// EncodeTextChunk embeds 30 bytes into an element and returns the tries.
var EncodeTextChunk = encodeTextChunk
