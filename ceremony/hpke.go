package ceremony

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cloudflare/circl/hpke"

	"github.com/evote/evote/crypto"
)

// HPKE parameters (RFC 9180, base mode; spec section 4).
const (
	hpkeKEM  = hpke.KEM_X25519_HKDF_SHA256 // 0x0020
	hpkeKDF  = hpke.KDF_HKDF_SHA256        // 0x0001
	hpkeAEAD = hpke.AEAD_ChaCha20Poly1305  // 0x0003
)

var hpkeSuite = hpke.NewSuite(hpkeKEM, hpkeKDF, hpkeAEAD)

// Sizes of the parts of an encrypted share.
const (
	// EncSize is the size of an HPKE encapsulated key (X25519: 32 bytes).
	EncSize = 32
	// SealedShareSize is the size of a sealed share: a 32-byte scalar and
	// the 16-byte Poly1305 tag.
	SealedShareSize = crypto.ScalarSize + 16
)

// shareLabel is the domain-separation label of the HPKE info string.
const shareLabel = "evote/v1/ceremony/share"

// shareInfo returns the HPKE info string that binds a sealed share to the
// ceremony and to its slot (spec section 4):
//
//	u32be(len(label)) || label || u32be(len(ctx)) || ctx
//	|| u32be(sender) || u32be(recipient)
//
// with label = "evote/v1/ceremony/share". The AAD is empty: info enters the
// HPKE key schedule, so opening with any other info fails.
func shareInfo(ctx []byte, sender, recipient uint32) []byte {
	b := make([]byte, 0, 4+len(shareLabel)+4+len(ctx)+8)
	b = appendLP(b, []byte(shareLabel))
	b = appendLP(b, ctx)
	b = binary.BigEndian.AppendUint32(b, sender)
	return binary.BigEndian.AppendUint32(b, recipient)
}

// appendLP appends u32be(len(x)) || x.
func appendLP(b, x []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(x)))
	return append(b, x...)
}

// sealShare encrypts share to the recipient's X25519 key encKey under the
// info string of (ctx, sender, recipient).
func sealShare(ctx []byte, sender, recipient uint32, encKey []byte, share *crypto.Scalar) (EncryptedShare, error) {
	pk, err := hpkeKEM.Scheme().UnmarshalBinaryPublicKey(encKey)
	if err != nil {
		return EncryptedShare{}, fmt.Errorf("encryption key of trustee %d: %w", recipient, err)
	}
	s, err := hpkeSuite.NewSender(pk, shareInfo(ctx, sender, recipient))
	if err != nil {
		return EncryptedShare{}, fmt.Errorf("hpke sender for trustee %d: %w", recipient, err)
	}
	enc, sealer, err := s.Setup(rand.Reader)
	if err != nil {
		return EncryptedShare{}, fmt.Errorf("hpke setup for trustee %d: %w", recipient, err)
	}
	ct, err := sealer.Seal(share.Bytes(), nil)
	if err != nil {
		return EncryptedShare{}, fmt.Errorf("hpke seal for trustee %d: %w", recipient, err)
	}
	return EncryptedShare{To: recipient, Enc: enc, Ct: ct}, nil
}

// errOpen is returned by openShare for any failure: the reasons are not
// distinguished, so that no oracle is offered on the recipient's key.
var errOpen = errors.New("sealed share does not open")

// openShare decrypts es with the recipient's key under the info string of
// (ctx, sender, es.To) and parses the scalar.
func openShare(ctx []byte, sender uint32, sk *TrusteeKeys, es EncryptedShare) (*crypto.Scalar, error) {
	r, err := hpkeSuite.NewReceiver(sk.enc, shareInfo(ctx, sender, es.To))
	if err != nil {
		return nil, errOpen
	}
	opener, err := r.Setup(es.Enc)
	if err != nil {
		return nil, errOpen
	}
	pt, err := opener.Open(es.Ct, nil)
	if err != nil {
		return nil, errOpen
	}
	s, err := crypto.NewScalar().SetCanonicalBytes(pt)
	if err != nil {
		return nil, errOpen
	}
	return s, nil
}
