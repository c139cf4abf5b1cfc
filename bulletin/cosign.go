package bulletin

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// CosignPolicy is a quorum of independent cosigners whose C2SP
// tlog-cosignatures a checkpoint must carry besides the board's own
// signature (docs/spec/bulletin.md §5.1): the witnesses of an election, who
// cosign a checkpoint only if it is consistent with every one they cosigned
// before, so that a board cannot show two histories without a quorum of
// them lying too. The zero policy requires nothing.
type CosignPolicy struct {
	// Cosigners verify the cosigners' signatures (for witnesses,
	// tlog-cosignature verifiers, e.g. from
	// github.com/transparency-dev/formats/note.NewVerifierForCosignatureV1).
	Cosigners []note.Verifier
	// Quorum is how many distinct cosigners must have signed.
	Quorum int
}

// ErrNoQuorum is wrapped by CosignPolicy.Check's error for a checkpoint
// without a quorum of valid cosignatures.
var ErrNoQuorum = errors.New("not cosigned by a quorum")

// Check returns the names of the cosigners whose valid cosignature the
// signed checkpoint note carries, and an error wrapping ErrNoQuorum if they
// are fewer than Quorum, naming who signed and who did not. A signature
// line that claims a cosigner's key but does not verify is an error of its
// own. Signatures by other keys (the board's) are ignored.
func (p CosignPolicy) Check(signed []byte) ([]string, error) {
	if p.Quorum == 0 {
		return nil, nil
	}
	var names []string
	n, err := note.Open(signed, note.VerifierList(p.Cosigners...))
	var unverified *note.UnverifiedNoteError
	switch {
	case errors.As(err, &unverified):
	case err != nil:
		return nil, fmt.Errorf("bulletin: checking cosignatures: %w", err)
	default:
		for _, s := range n.Sigs {
			if !slices.Contains(names, s.Name) {
				names = append(names, s.Name)
			}
		}
	}
	if len(names) < p.Quorum {
		var missing []string
		for _, c := range p.Cosigners {
			if !slices.Contains(names, c.Name()) {
				missing = append(missing, c.Name())
			}
		}
		return names, fmt.Errorf("%w: %d of the %d required cosignatures (missing: %s)",
			ErrNoQuorum, len(names), p.Quorum, strings.Join(missing, ", "))
	}
	return names, nil
}
