package bulletin

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// receiptHeader is the first line of an encoded receipt.
const receiptHeader = "evote/v1/receipt"

// maxProofLen bounds the number of hashes in an inclusion proof (tree sizes < 2^63).
const maxProofLen = 63

// Receipt is what a poster (a voter) keeps: proof that the record with
// LeafHash is at position Index in the tree that the board signed in
// Checkpoint. Its text encoding (docs/spec/bulletin.md §6) is
//
//	evote/v1/receipt
//	index: <decimal>
//	leaf: <base64 leaf hash>
//	proof: <base64 hash>      (one line per proof hash, in order)
//
//	<signed checkpoint note>
type Receipt struct {
	Index      int64
	LeafHash   tlog.Hash
	Checkpoint []byte // signed checkpoint note
	Proof      tlog.RecordProof
}

// Marshal returns the text encoding of r.
func (r *Receipt) Marshal() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\nindex: %d\nleaf: %s\n", receiptHeader, r.Index, base64.StdEncoding.EncodeToString(r.LeafHash[:]))
	for _, h := range r.Proof {
		fmt.Fprintf(&b, "proof: %s\n", base64.StdEncoding.EncodeToString(h[:]))
	}
	b.WriteByte('\n')
	b.Write(r.Checkpoint)
	return b.Bytes()
}

// ParseReceipt decodes the text encoding of a receipt. It does not verify it.
func ParseReceipt(data []byte) (*Receipt, error) {
	head, cp, ok := bytes.Cut(data, []byte("\n\n"))
	if !ok || len(cp) == 0 {
		return nil, errors.New("bulletin: parsing receipt: missing checkpoint")
	}
	lines := strings.Split(string(head), "\n")
	if len(lines) < 3 || lines[0] != receiptHeader {
		return nil, fmt.Errorf("bulletin: parsing receipt: does not start with %q, index and leaf lines", receiptHeader)
	}
	r := &Receipt{Checkpoint: bytes.Clone(cp)}
	idx, ok := strings.CutPrefix(lines[1], "index: ")
	n, err := strconv.ParseInt(idx, 10, 64)
	if !ok || err != nil || n < 0 || strconv.FormatInt(n, 10) != idx {
		return nil, fmt.Errorf("bulletin: parsing receipt: bad index line %q", lines[1])
	}
	r.Index = n
	leaf, ok := strings.CutPrefix(lines[2], "leaf: ")
	if r.LeafHash, err = parseHash(leaf); !ok || err != nil {
		return nil, fmt.Errorf("bulletin: parsing receipt: bad leaf line %q", lines[2])
	}
	if len(lines)-3 > maxProofLen {
		return nil, fmt.Errorf("bulletin: parsing receipt: %d proof lines, at most %d allowed", len(lines)-3, maxProofLen)
	}
	for _, l := range lines[3:] {
		p, ok := strings.CutPrefix(l, "proof: ")
		h, err := parseHash(p)
		if !ok || err != nil {
			return nil, fmt.Errorf("bulletin: parsing receipt: bad proof line %q", l)
		}
		r.Proof = append(r.Proof, h)
	}
	return r, nil
}

func parseHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != HashSize {
		return h, errors.New("not a base64 32-byte hash")
	}
	copy(h[:], b)
	return h, nil
}

// Verify checks the checkpoint signature against the board key vkey and the
// inclusion proof of the leaf in that checkpoint's tree. It returns the
// verified checkpoint, which a careful voter later checks is consistent with
// the board's newer checkpoints.
func (r *Receipt) Verify(vkey string) (Checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("bulletin: board verifier key: %w", err)
	}
	if c, err := ParseCheckpoint(checkpointText(r.Checkpoint)); err == nil && c.Origin != v.Name() {
		return Checkpoint{}, &OtherBoardError{Receipt: c.Origin, Board: v.Name()}
	}
	size, root, err := VerifyCheckpoint(vkey, r.Checkpoint)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("bulletin: verifying receipt: %w", err)
	}
	if err := CheckInclusion(r.Proof, r.Index, size, r.LeafHash, root); err != nil {
		return Checkpoint{}, fmt.Errorf("bulletin: verifying receipt: %w", err)
	}
	c, _ := ParseCheckpoint(checkpointText(r.Checkpoint))
	return c, nil
}

// OtherBoardError is the error of a receipt checked against a board other
// than the one it names: its checkpoint's origin is not the board key's
// name. Nothing is wrong with either board.
type OtherBoardError struct {
	Receipt string // the origin the receipt's checkpoint names
	Board   string // the name of the board key it was checked with
}

func (e *OtherBoardError) Error() string {
	return fmt.Sprintf("bulletin: this receipt is from board %q, not from board %q", e.Receipt, e.Board)
}

// Matches reports whether the receipt is for rec: same index and leaf hash.
func (r *Receipt) Matches(rec *Record) bool {
	return rec != nil && int64(rec.Index) == r.Index && rec.LeafHash() == r.LeafHash
}

// checkpointText returns the text part of a signed note (up to the blank line).
func checkpointText(signed []byte) []byte {
	i := bytes.LastIndex(signed, []byte("\n\n"))
	if i < 0 {
		return nil
	}
	return signed[:i+1]
}
