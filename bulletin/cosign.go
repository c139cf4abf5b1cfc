package bulletin

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// CosignPolicy is a quorum of cosigners whose C2SP tlog-cosignatures a
// checkpoint must carry besides the board's own signature
// (docs/spec/bulletin.md §5.1): the witnesses of an election, who cosign a
// checkpoint only if it is consistent with every one they cosigned before,
// or the operators of a replicated board, who cosign it only if it is the
// tree they committed themselves (docs/spec/replicated-board.md §8). The
// zero policy requires nothing.
type CosignPolicy struct {
	// Role names the cosigners in messages, in the plural ("witnesses",
	// "operators"); "cosigners" if empty.
	Role string
	// Cosigners verify the cosigners' signatures (tlog-cosignature
	// verifiers, e.g. from
	// github.com/transparency-dev/formats/note.NewVerifierForCosignatureV1).
	Cosigners []note.Verifier
	// Quorum is how many distinct cosigners must have signed.
	Quorum int
}

// TrustPolicy is every quorum a checkpoint must carry: an election's
// witnesses and the operators of its board, each a CosignPolicy. A
// checkpoint passes only if it has each group's quorum. The empty policy
// requires nothing.
type TrustPolicy []CosignPolicy

// Cosigned is what a checkpoint's cosignatures show.
type Cosigned struct {
	// Names are the cosigners whose cosignature verified, in the order of
	// the signature lines.
	Names []string
	// Faulty are the cosigners named by a signature line that claims
	// their key but does not verify: a cosignature of another tree or
	// time pasted under this checkpoint, or a forgery. It does not count
	// towards a quorum; it is evidence that whoever made or served the
	// note lied (when a cosigner's own answer, the cosigner itself).
	Faulty []string
}

// ErrNoQuorum is wrapped by CosignPolicy.Check's error for a checkpoint
// without a quorum of valid cosignatures.
var ErrNoQuorum = errors.New("not cosigned by a quorum")

// Check returns the cosigners of the policy whose valid cosignature the
// signed checkpoint note carries, and those whose cosignature line does not
// verify (Cosigned.Faulty), and an error wrapping ErrNoQuorum if the valid
// ones are fewer than Quorum, naming who signed and who did not. Signatures
// by other keys (the board's, other groups') are ignored; a note that is
// not well formed is an error.
func (p CosignPolicy) Check(signed []byte) (Cosigned, error) {
	var c Cosigned
	if p.Quorum == 0 {
		return c, nil
	}
	text, lines, err := splitNote(signed)
	if err != nil {
		return c, err
	}
	known := note.VerifierList(p.Cosigners...)
	for _, line := range lines {
		// Each line on its own, so that one bad cosignature does not hide
		// the good ones (note.Open stops at the first).
		n, err := note.Open(append(bytes.Clone(text), line...), known)
		var invalid *note.InvalidSignatureError
		var unverified *note.UnverifiedNoteError
		switch {
		case err == nil:
			name := n.Sigs[0].Name
			if !slices.Contains(c.Names, name) {
				c.Names = append(c.Names, name)
			}
		case errors.As(err, &invalid):
			if !slices.Contains(c.Faulty, invalid.Name) {
				c.Faulty = append(c.Faulty, invalid.Name)
			}
		case errors.As(err, &unverified):
		default:
			return Cosigned{}, fmt.Errorf("bulletin: checking cosignatures: %w", err)
		}
	}
	if len(c.Names) < p.Quorum {
		var missing []string
		for _, v := range p.Cosigners {
			if !slices.Contains(c.Names, v.Name()) {
				missing = append(missing, v.Name())
			}
		}
		role := p.Role
		if role == "" {
			role = "cosigners"
		}
		msg := fmt.Sprintf("%d of the %d required cosignatures of the %s (missing: %s)",
			len(c.Names), p.Quorum, role, strings.Join(missing, ", "))
		if len(c.Faulty) > 0 {
			msg += fmt.Sprintf("; the cosignatures of %s do not verify", strings.Join(c.Faulty, ", "))
		}
		return c, fmt.Errorf("%w: %s", ErrNoQuorum, msg)
	}
	return c, nil
}

// Check checks every group's quorum (CosignPolicy.Check) and returns the
// cosigners of all groups; its error names every group short of its
// quorum.
func (t TrustPolicy) Check(signed []byte) (Cosigned, error) {
	var all Cosigned
	var errs []error
	for _, p := range t {
		c, err := p.Check(signed)
		all.Names = append(all.Names, c.Names...)
		all.Faulty = append(all.Faulty, c.Faulty...)
		if err != nil {
			if !errors.Is(err, ErrNoQuorum) {
				return Cosigned{}, err
			}
			errs = append(errs, err)
		}
	}
	if len(errs) > 1 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = strings.TrimPrefix(e.Error(), ErrNoQuorum.Error()+": ")
		}
		return all, fmt.Errorf("%w: %s", ErrNoQuorum, strings.Join(msgs, "; "))
	}
	return all, errors.Join(errs...)
}

// splitNote splits a signed note into its text, with the blank line that
// ends it, and its signature lines, each with its newline.
func splitNote(signed []byte) (text []byte, lines [][]byte, err error) {
	i := bytes.LastIndex(signed, []byte("\n\n"))
	if i < 0 || len(signed) == i+2 || signed[len(signed)-1] != '\n' {
		return nil, nil, errors.New("bulletin: checking cosignatures: not a signed note")
	}
	text, rest := signed[:i+2], signed[i+2:]
	for len(rest) > 0 {
		j := bytes.IndexByte(rest, '\n')
		lines, rest = append(lines, rest[:j+1]), rest[j+1:]
	}
	return text, lines, nil
}
