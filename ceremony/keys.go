package ceremony

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/evote/evote/crypto"
	"github.com/evote/evote/internal/strictjson"

	"github.com/cloudflare/circl/kem"
)

// Key sizes in bytes.
const (
	// SignKeySize is the size of an Ed25519 public key (RFC 8032).
	SignKeySize = ed25519.PublicKeySize
	// EncKeySize is the size of an X25519 HPKE public key (RFC 9180, 7.1.1).
	EncKeySize = 32
	// encPrivateKeySize is the size of an X25519 HPKE private key.
	encPrivateKeySize = 32
)

// TrusteeKeys are a trustee's long-term private keys: an Ed25519 key that
// signs the trustee's board records, and an X25519 HPKE key to which the
// other trustees encrypt their shares. Keep them only inside a keystore
// (see Seal and TrusteeState).
type TrusteeKeys struct {
	sign ed25519.PrivateKey
	enc  kem.PrivateKey
	pub  TrusteePublicKey
}

// GenerateTrusteeKeys returns fresh trustee keys drawn from crypto/rand.
func GenerateTrusteeKeys() (*TrusteeKeys, error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, fmt.Errorf("ceremony: generating signing key: %w", err)
	}
	encPriv := make([]byte, encPrivateKeySize)
	if _, err := rand.Read(encPriv); err != nil {
		return nil, fmt.Errorf("ceremony: generating encryption key: %w", err)
	}
	return newTrusteeKeys(seed, encPriv)
}

// newTrusteeKeys builds the keys from an Ed25519 seed and an X25519 private
// key, both 32 bytes.
func newTrusteeKeys(seed, encPriv []byte) (*TrusteeKeys, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, errors.New("signing key seed must be 32 bytes")
	}
	enc, err := hpkeKEM.Scheme().UnmarshalBinaryPrivateKey(encPriv)
	if err != nil {
		return nil, fmt.Errorf("encryption private key: %w", err)
	}
	encPub, err := enc.Public().MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encryption public key: %w", err)
	}
	k := &TrusteeKeys{sign: ed25519.NewKeyFromSeed(seed), enc: enc}
	k.pub.SignKey = bytes.Clone(k.sign.Public().(ed25519.PublicKey))
	k.pub.EncKey = encPub
	if err := k.pub.check(); err != nil {
		// Only a low-order X25519 public key can fail here, which a
		// random private key yields with negligible probability.
		return nil, err
	}
	return k, nil
}

// String returns a description without the private keys, so that printing
// TrusteeKeys by mistake does not leak them.
func (k *TrusteeKeys) String() string {
	return fmt.Sprintf("ceremony.TrusteeKeys{sign_key %x, private keys redacted}", k.pub.SignKey)
}

// GoString is like String.
func (k *TrusteeKeys) GoString() string { return k.String() }

// Public returns a copy of the public keys, for the election definition.
func (k *TrusteeKeys) Public() *TrusteePublicKey {
	return &TrusteePublicKey{SignKey: bytes.Clone(k.pub.SignKey), EncKey: bytes.Clone(k.pub.EncKey)}
}

// Sign returns the Ed25519 signature of msg (RFC 8032, pure Ed25519).
// The caller is responsible for domain separation: msg should be an encoding
// that starts with its own version label, such as a board record.
func (k *TrusteeKeys) Sign(msg []byte) []byte { return ed25519.Sign(k.sign, msg) }

// bytes returns the 32-byte Ed25519 seed and the 32-byte X25519 private key.
func (k *TrusteeKeys) bytes() (seed, encPriv []byte) {
	encPriv, err := k.enc.MarshalBinary()
	if err != nil {
		panic("ceremony: internal error: " + err.Error())
	}
	return bytes.Clone(k.sign.Seed()), encPriv
}

// TrusteePublicKey is the public part of TrusteeKeys, which the official
// copies into the election definition. Its JSON encoding is
//
//	{"sign_key":"<base64>","enc_key":"<base64>"}
//
// with both values 32 bytes in padded standard base64 (spec sections 2.1 and 3).
type TrusteePublicKey struct {
	// SignKey is a canonical Ed25519 public key of a point that is not of
	// small order.
	SignKey ed25519.PublicKey
	// EncKey is a canonical X25519 public key (u < 2^255−19, top bit clear)
	// that is not of low order.
	EncKey []byte
}

type trusteePublicKeyJSON struct {
	SignKey []byte `json:"sign_key"`
	EncKey  []byte `json:"enc_key"`
}

// ParseTrusteePublicKey parses the canonical JSON encoding of a
// TrusteePublicKey and checks both keys.
func ParseTrusteePublicKey(b []byte) (*TrusteePublicKey, error) {
	pk := new(TrusteePublicKey)
	if err := pk.UnmarshalJSON(b); err != nil {
		return nil, err
	}
	return pk, nil
}

// Marshal returns the canonical JSON encoding of pk. It fails if a key is
// not valid.
func (pk *TrusteePublicKey) Marshal() ([]byte, error) {
	if err := pk.check(); err != nil {
		return nil, fmt.Errorf("ceremony: trustee public key: %w: %w", ErrMalformed, err)
	}
	return marshalJSON(trusteePublicKeyJSON{SignKey: pk.SignKey, EncKey: pk.EncKey})
}

// MarshalJSON implements json.Marshaler with the canonical encoding, so that
// a TrusteePublicKey can sit inside the election definition.
func (pk *TrusteePublicKey) MarshalJSON() ([]byte, error) { return pk.Marshal() }

// UnmarshalJSON implements json.Unmarshaler: it accepts only the canonical
// encoding of valid keys. On error pk is unchanged.
func (pk *TrusteePublicKey) UnmarshalJSON(b []byte) error {
	var w trusteePublicKeyJSON
	if err := decodeStrict(b, &w); err != nil {
		return fmt.Errorf("ceremony: trustee public key: %w", err)
	}
	p := TrusteePublicKey{SignKey: w.SignKey, EncKey: w.EncKey}
	if err := p.check(); err != nil {
		return fmt.Errorf("ceremony: trustee public key: %w: %w", ErrMalformed, err)
	}
	out, err := marshalJSON(trusteePublicKeyJSON{SignKey: p.SignKey, EncKey: p.EncKey})
	if err != nil {
		return err
	}
	if !bytes.Equal(out, b) {
		return fmt.Errorf("ceremony: trustee public key: %w", errNotCanonical)
	}
	*pk = p
	return nil
}

// Equal reports whether pk and x hold the same keys.
func (pk *TrusteePublicKey) Equal(x *TrusteePublicKey) bool {
	return bytes.Equal(pk.SignKey, x.SignKey) && bytes.Equal(pk.EncKey, x.EncKey)
}

// Verify reports whether sig is a valid Ed25519 signature of msg by the
// trustee's signing key.
func (pk *TrusteePublicKey) Verify(msg, sig []byte) bool {
	if len(pk.SignKey) != SignKeySize {
		return false
	}
	return ed25519.Verify(pk.SignKey, msg, sig)
}

func (pk *TrusteePublicKey) check() error {
	if err := checkSignKey(pk.SignKey); err != nil {
		return fmt.Errorf("sign_key: %w", err)
	}
	if err := checkEncKey(pk.EncKey); err != nil {
		return fmt.Errorf("enc_key: %w", err)
	}
	return nil
}

// checkSignKey accepts only the canonical encoding of an Edwards point that
// is not of small order (crypto.CheckEd25519PublicKey).
func checkSignKey(b []byte) error { return crypto.CheckEd25519PublicKey(b) }

// checkEncKey accepts only a canonical X25519 public key (RFC 7748: the
// little-endian u-coordinate, less than p = 2^255−19, so the top bit is
// clear) that is not of low order (crypto.CheckX25519PublicKey).
func checkEncKey(b []byte) error { return crypto.CheckX25519PublicKey(b) }

// marshalJSON is json.Marshal; HTML escaping cannot trigger, since every
// string we encode is base64 or a fixed ASCII label.
func marshalJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("ceremony: internal error: %w", err)
	}
	return b, nil
}

// errNotCanonical wraps ErrMalformed.
var errNotCanonical = fmt.Errorf("%w: not the canonical encoding", ErrMalformed)

// decodeStrict decodes one JSON value into v, rejecting unknown fields and
// oversized input. Callers then check canonicality by re-encoding.
func decodeStrict(b []byte, v any) error {
	if len(b) > MaxMessageSize {
		return fmt.Errorf("%w: longer than %d bytes", ErrMalformed, MaxMessageSize)
	}
	if err := strictjson.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return nil
}
