package bulletin

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrInvalidProof is wrapped by every proof verification failure.
var ErrInvalidProof = errors.New("bulletin: invalid proof")

// Checkpoint is the body of a C2SP tlog-checkpoint signed note
// (https://c2sp.org/tlog-checkpoint, docs/spec/bulletin.md §5):
//
//	<origin>\n<size in decimal>\n<root hash in base64>\n
//
// The board never emits extension lines and ParseCheckpoint rejects them.
type Checkpoint struct {
	Origin string
	Size   int64
	Hash   tlog.Hash
}

// Text returns the note text of c.
func (c Checkpoint) Text() []byte {
	return fmt.Appendf(nil, "%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Hash[:]))
}

// ParseCheckpoint parses the text of a checkpoint note (without signatures).
// It accepts only the encoding Text produces.
func ParseCheckpoint(text []byte) (Checkpoint, error) {
	var c Checkpoint
	s := string(text)
	if !strings.HasSuffix(s, "\n") {
		return c, errors.New("bulletin: parsing checkpoint: text does not end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) != 3 {
		return c, fmt.Errorf("bulletin: parsing checkpoint: %d lines, want 3 (origin, size, hash)", len(lines))
	}
	origin, sizeStr, hashStr := lines[0], lines[1], lines[2]
	if origin == "" || strings.TrimSpace(origin) != origin {
		return c, fmt.Errorf("bulletin: parsing checkpoint: bad origin line %q", origin)
	}
	size, err := strconv.ParseInt(sizeStr, 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != sizeStr {
		return c, fmt.Errorf("bulletin: parsing checkpoint: bad size %q", sizeStr)
	}
	h, err := base64.StdEncoding.Strict().DecodeString(hashStr)
	if err != nil || len(h) != HashSize {
		return c, fmt.Errorf("bulletin: parsing checkpoint: bad root hash %q", hashStr)
	}
	c.Origin, c.Size = origin, size
	copy(c.Hash[:], h)
	if !bytes.Equal(c.Text(), text) {
		return Checkpoint{}, errors.New("bulletin: parsing checkpoint: not in canonical encoding")
	}
	return c, nil
}

// SignCheckpoint returns the signed note of c.
func SignCheckpoint(c Checkpoint, signer note.Signer) ([]byte, error) {
	msg, err := note.Sign(&note.Note{Text: string(c.Text())}, signer)
	if err != nil {
		return nil, fmt.Errorf("bulletin: signing checkpoint: %w", err)
	}
	return msg, nil
}

// OpenCheckpoint verifies a signed checkpoint note with the known verifiers
// and parses it. Signatures by other keys (witness cosignatures) are allowed
// and returned in the note's UnverifiedSigs.
func OpenCheckpoint(signed []byte, known note.Verifiers) (Checkpoint, *note.Note, error) {
	n, err := note.Open(signed, known)
	if err != nil {
		return Checkpoint{}, nil, fmt.Errorf("bulletin: opening checkpoint: %w", err)
	}
	// note.Open decodes signatures leniently; accept only canonical base64
	// so that a signed checkpoint has exactly one encoding.
	for _, sig := range append(n.Sigs[:len(n.Sigs):len(n.Sigs)], n.UnverifiedSigs...) {
		if _, err := base64.StdEncoding.Strict().DecodeString(sig.Base64); err != nil {
			return Checkpoint{}, nil, fmt.Errorf("bulletin: opening checkpoint: signature by %q is not canonical base64", sig.Name)
		}
	}
	c, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, nil, err
	}
	return c, n, nil
}

// VerifyCheckpoint checks that signed is a checkpoint note signed by the
// board key vkey (in note.NewVerifier format) and returns its tree size and
// root hash.
func VerifyCheckpoint(vkey string, signed []byte) (size int64, hash tlog.Hash, err error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return 0, tlog.Hash{}, fmt.Errorf("bulletin: board verifier key: %w", err)
	}
	c, _, err := OpenCheckpoint(signed, note.VerifierList(v))
	if err != nil {
		return 0, tlog.Hash{}, err
	}
	return c.Size, c.Hash, nil
}

// CheckInclusion verifies that proof shows the record with leaf hash leaf at
// position index is in the tree of the given size and root hash.
func CheckInclusion(proof tlog.RecordProof, index, size int64, leaf, root tlog.Hash) error {
	if index < 0 || index >= size {
		return fmt.Errorf("%w: index %d is not in a tree of size %d", ErrInvalidProof, index, size)
	}
	if err := tlog.CheckRecord(proof, size, root, index, leaf); err != nil {
		return fmt.Errorf("%w: inclusion of record %d in tree of size %d: %v", ErrInvalidProof, index, size, err)
	}
	return nil
}

// CheckConsistency verifies that proof shows the tree of size oldSize and
// root oldRoot is a prefix of the tree of size newSize and root newRoot.
func CheckConsistency(proof tlog.TreeProof, oldSize int64, oldRoot tlog.Hash, newSize int64, newRoot tlog.Hash) error {
	if oldSize < 0 || oldSize > newSize {
		return fmt.Errorf("%w: consistency from size %d to size %d", ErrInvalidProof, oldSize, newSize)
	}
	if err := tlog.CheckTree(proof, newSize, newRoot, oldSize, oldRoot); err != nil {
		return fmt.Errorf("%w: consistency from size %d to size %d: %v", ErrInvalidProof, oldSize, newSize, err)
	}
	return nil
}

// VerifierKey returns the note verifier key (note.NewVerifier format) of a
// board's Ed25519 signing key skey (note.NewSigner format), the key that
// `evote board keygen` writes beside it.
func VerifierKey(skey string) (string, error) {
	parts := strings.SplitN(strings.TrimSpace(skey), "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("bulletin: not a note signing key")
	}
	key, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(key) != 1+ed25519.SeedSize || key[0] != 1 {
		return "", errors.New("bulletin: not an Ed25519 note signing key")
	}
	pub := ed25519.NewKeyFromSeed(key[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}
