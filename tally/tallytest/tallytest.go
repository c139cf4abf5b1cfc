// Package tallytest provides a derandomized twin of
// tally.NewPartialDecryption, for test vectors only: given the same random
// stream it returns the same partial decryption as the real one would with
// the same proof nonces. It must never handle real secrets.
package tallytest

import (
	"errors"
	"io"

	"github.com/evote/evote/crypto"
	"github.com/evote/evote/crypto/cryptotest"
	"github.com/evote/evote/tally"
)

// NewPartialDecryption is tally.NewPartialDecryption with the proof nonces
// drawn from rand, 64 bytes per position in increasing order
// (see cryptotest.ProveDLEQ).
func NewPartialDecryption(ctx []byte, trusteeIndex uint32, secretShare *crypto.Scalar, sums []*crypto.Ciphertext, rand io.Reader) (*tally.PartialDecryption, error) {
	if trusteeIndex == 0 || len(sums) == 0 {
		return nil, errors.New("tallytest: trustee index 0 or no sums")
	}
	g := crypto.NewGeneratorElement()
	vk := crypto.NewElement().ScalarBaseMult(secretShare)
	p := &tally.PartialDecryption{Trustee: trusteeIndex}
	for k, c := range sums {
		m := crypto.NewElement().ScalarMult(secretShare, &c.A)
		p.Shares = append(p.Shares, m)
		p.Proofs = append(p.Proofs, cryptotest.ProveDLEQ(tally.ShareContext(ctx, trusteeIndex, k), secretShare, g, vk, &c.A, m, rand))
	}
	return p, nil
}
