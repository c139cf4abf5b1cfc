package ceremony

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// Keystore format (spec section 8): a 56-byte header, authenticated as the
// AEAD's associated data, then the ChaCha20-Poly1305 ciphertext and tag.
//
//	offset size
//	0      18   "evote/v1/keystore\n"
//	18     1    KDF identifier, 0x01 = Argon2id (RFC 9106, version 0x13)
//	19     4    Argon2id passes t, u32be
//	23     4    Argon2id memory m in KiB, u32be
//	27     1    Argon2id lanes p
//	28     16   salt, random
//	44     12   nonce, random
//	56     …    ciphertext || 16-byte tag
//
// The key is Argon2id(passphrase, salt, t, m, p) of 32 bytes.
const (
	keystoreLabel     = "evote/v1/keystore\n"
	keystoreKDFArgon  = 0x01
	keystoreSaltSize  = 16
	keystoreHeaderLen = len(keystoreLabel) + 1 + 4 + 4 + 1 + keystoreSaltSize + chacha20poly1305.NonceSize
)

// Bounds on the KDF parameters Open accepts, so that a modified header
// cannot make Open spend unbounded time or memory before failing.
const (
	maxKDFTime    = 16
	maxKDFMemory  = 1 << 20 // KiB, 1 GiB
	maxKDFThreads = 16
)

type kdfParams struct {
	time    uint32 // passes
	memory  uint32 // KiB
	threads uint8
}

// keystoreKDF is the parameter set Seal uses: 2 passes over 64 MiB with 2
// lanes (RFC 9106, section 4, second recommended option but with fewer
// passes and lanes for 2-core machines). Tests lower it.
var keystoreKDF = kdfParams{time: 2, memory: 64 * 1024, threads: 2}

// ErrKeystoreFormat is wrapped by Open when the input is not a keystore of
// this version: wrong label, unknown KDF, parameters out of bounds, or too
// short.
var ErrKeystoreFormat = errors.New("not a valid evote/v1 keystore")

// ErrKeystoreAuth is wrapped by Open when decryption fails: the passphrase
// is wrong, or some byte of the keystore was modified. The two cases cannot
// be told apart.
var ErrKeystoreAuth = errors.New("wrong passphrase, or the keystore was modified")

// Seal encrypts plaintext under passphrase for storage at rest: it derives a
// key with Argon2id from the passphrase and a random salt and encrypts with
// ChaCha20-Poly1305 under a random nonce, authenticating the whole header.
// The passphrase must not be empty; the caller should normalize it (for
// example to Unicode NFC) so that the same passphrase typed elsewhere opens
// the keystore.
func Seal(passphrase, plaintext []byte) ([]byte, error) {
	if len(passphrase) == 0 {
		return nil, errors.New("ceremony: keystore: empty passphrase")
	}
	p := keystoreKDF
	out := make([]byte, keystoreHeaderLen, keystoreHeaderLen+len(plaintext)+chacha20poly1305.Overhead)
	h := out[:0]
	h = append(h, keystoreLabel...)
	h = append(h, keystoreKDFArgon)
	h = binary.BigEndian.AppendUint32(h, p.time)
	h = binary.BigEndian.AppendUint32(h, p.memory)
	h = append(h, p.threads)
	if _, err := rand.Read(out[len(h):keystoreHeaderLen]); err != nil {
		return nil, fmt.Errorf("ceremony: keystore: %w", err)
	}
	salt := out[len(h) : len(h)+keystoreSaltSize]
	nonce := out[len(h)+keystoreSaltSize : keystoreHeaderLen]
	aead, err := chacha20poly1305.New(argon2.IDKey(passphrase, salt, p.time, p.memory, p.threads, chacha20poly1305.KeySize))
	if err != nil {
		return nil, fmt.Errorf("ceremony: keystore: %w", err)
	}
	return aead.Seal(out, nonce, plaintext, out[:keystoreHeaderLen]), nil
}

// Open decrypts a keystore made by Seal. It fails with an error wrapping
// ErrKeystoreFormat if sealed is not a keystore of this version, and with
// one wrapping ErrKeystoreAuth if the passphrase is wrong or any byte was
// modified, removed or added.
func Open(passphrase, sealed []byte) ([]byte, error) {
	if len(sealed) < keystoreHeaderLen+chacha20poly1305.Overhead {
		return nil, fmt.Errorf("ceremony: keystore: %w: %d bytes, too short", ErrKeystoreFormat, len(sealed))
	}
	if !bytes.HasPrefix(sealed, []byte(keystoreLabel)) {
		return nil, fmt.Errorf("ceremony: keystore: %w: bad label", ErrKeystoreFormat)
	}
	h := sealed[len(keystoreLabel):]
	if h[0] != keystoreKDFArgon {
		return nil, fmt.Errorf("ceremony: keystore: %w: unknown KDF 0x%02x", ErrKeystoreFormat, h[0])
	}
	p := kdfParams{
		time:    binary.BigEndian.Uint32(h[1:5]),
		memory:  binary.BigEndian.Uint32(h[5:9]),
		threads: h[9],
	}
	if p.time < 1 || p.time > maxKDFTime || p.threads < 1 || p.threads > maxKDFThreads ||
		p.memory < 8*uint32(p.threads) || p.memory > maxKDFMemory {
		return nil, fmt.Errorf("ceremony: keystore: %w: Argon2id parameters t=%d m=%d KiB p=%d out of bounds",
			ErrKeystoreFormat, p.time, p.memory, p.threads)
	}
	salt := h[10 : 10+keystoreSaltSize]
	nonce := h[10+keystoreSaltSize : 10+keystoreSaltSize+chacha20poly1305.NonceSize]
	aead, err := chacha20poly1305.New(argon2.IDKey(passphrase, salt, p.time, p.memory, p.threads, chacha20poly1305.KeySize))
	if err != nil {
		return nil, fmt.Errorf("ceremony: keystore: %w", err)
	}
	pt, err := aead.Open(nil, nonce, sealed[keystoreHeaderLen:], sealed[:keystoreHeaderLen])
	if err != nil {
		return nil, fmt.Errorf("ceremony: keystore: %w", ErrKeystoreAuth)
	}
	return pt, nil
}
