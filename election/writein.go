package election

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/crypto"
	"github.com/evote/evote/tally"
)

// WriteInResultRecord is the payload of a TypeWriteInResult record
// (docs/spec/election.md §2.8): the official's count of the write-ins of a
// contest with a write-in, from the decryption of its last mix. It carries
// no plaintexts: every reader decrypts them again from the partial
// decryptions on the board (tally.DecryptElements) and counts again.
type WriteInResultRecord struct {
	// Election is the hex election base hash.
	Election string `json:"election"`
	// Contest is the id of the contest.
	Contest string `json:"contest"`
	// Mixes is the number of the mix whose output was decrypted.
	Mixes int `json:"mixes"`
	// Trustees are the t trustees whose decryptions were combined, in
	// increasing order (docs/spec/tally.md §5).
	Trustees []uint32 `json:"trustees"`
	// Count is the canonical JSON of the WriteInCount computed from the
	// decrypted rows.
	Count json.RawMessage `json:"count"`
}

// WriteInCount is the count of a contest's write-ins
// (docs/spec/ranked.md §8.6): over the decrypted rows of the last mix's
// output, the rows whose write-in slot is selected, each text counted
// after normalisation (normalizeWriteIn), and those discarded. Its JSON
// (encoding/json) is the Count of a WriteInResultRecord.
type WriteInCount struct {
	// Option is the id of the write-in's slot.
	Option string `json:"option"`
	// Ballots is the number of decrypted rows.
	Ballots int `json:"ballots"`
	// Written is the number of rows whose slot is selected: the slot's
	// homomorphic count.
	Written int `json:"written"`
	// Texts are the written names with their counts, by decreasing count,
	// then in increasing byte order.
	Texts []WriteInText `json:"texts,omitempty"`
	// Discarded are the selected rows whose text does not decode or is
	// empty, by position in the last mix's output.
	Discarded []DiscardedBallot `json:"discarded,omitempty"`
}

// WriteInText is one written name and the number of ballots that wrote it.
type WriteInText struct {
	Text  string `json:"text"`
	Count int    `json:"count"`
}

// normalizeWriteIn returns the form of a decrypted write-in text that is
// counted (docs/spec/ranked.md §8.6): Unicode NFC, then white space
// trimmed at both ends. Case and inner spaces are kept.
func normalizeWriteIn(text string) string {
	return strings.TrimFunc(norm.NFC.String(text), unicode.IsSpace)
}

// The reasons a write-in count discards a row (docs/spec/ranked.md §8.6):
// part of the count, so fixed.
const (
	reasonNotABit     = "the write-in slot decrypts to neither 0 nor 1"
	reasonUndecodable = "the text does not decode"
	reasonEmpty       = "the write-in is selected but its text is empty"
)

// CountWriteIns counts the decrypted rows of contest c, which has a
// write-in (docs/spec/ranked.md §8.6): plain holds, row by row, the
// plaintext elements of the last mix's output, each row the slot's
// element (0·G or 1·G) then the text's m elements. The official who posts
// a writein-result and every reader who checks it call it on the same
// elements.
func CountWriteIns(c *ballot.Contest, plain []*crypto.Element) (*WriteInCount, error) {
	if c.WriteIn == nil {
		return nil, fmt.Errorf("contest %q has no write-in", c.ID)
	}
	w := c.MixWidth()
	if len(plain)%w != 0 {
		return nil, fmt.Errorf("contest %q: %d plaintexts are not whole rows of %d", c.ID, len(plain), w)
	}
	zero, one := crypto.NewElement(), crypto.NewGeneratorElement()
	out := &WriteInCount{Option: c.Options[c.WriteIn.Option].ID, Ballots: len(plain) / w}
	counts := map[string]int{}
	for i := range out.Ballots {
		row := plain[i*w : (i+1)*w]
		switch {
		case row[0].Equal(zero) == 1:
			continue
		case row[0].Equal(one) != 1: // the slot's range proof forbids it
			out.Discarded = append(out.Discarded, DiscardedBallot{Index: i, Reason: reasonNotABit})
			continue
		}
		out.Written++
		text, err := crypto.DecodeText(row[1:])
		if err != nil {
			out.Discarded = append(out.Discarded, DiscardedBallot{Index: i, Reason: reasonUndecodable})
			continue
		}
		if text = normalizeWriteIn(text); text == "" {
			out.Discarded = append(out.Discarded, DiscardedBallot{Index: i, Reason: reasonEmpty})
			continue
		}
		counts[text]++
	}
	for text, n := range counts {
		out.Texts = append(out.Texts, WriteInText{Text: text, Count: n})
	}
	slices.SortFunc(out.Texts, func(a, b WriteInText) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Text, b.Text))
	})
	return out, nil
}

// WriteInResult returns the count posted of the write-ins of the contest
// at manifest index contest, nil if none is.
func (s *State) WriteInResult(contest int) *WriteInResultRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if contest < 0 || contest >= len(s.writeInResults) {
		return nil
	}
	return s.writeInResults[contest]
}

// MixCounted reports whether the count of the mix-net contest at manifest
// index contest is on the board: its ranked result, or its write-ins'
// count.
func (s *State) MixCounted(contest int) bool {
	return s.RankedResult(contest) != nil || s.WriteInResult(contest) != nil
}

// DecryptWriteIns decrypts the last mix's output of the contest at
// manifest index contest, which has a write-in, from the partial
// decryptions on the board, and counts it: the trustees combined and the
// count that a writein-result must carry.
func (s *State) DecryptWriteIns(contest int) ([]uint32, *WriteInCount, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if contest < 0 || contest >= len(s.manifest.Contests) || s.manifest.Contests[contest].WriteIn == nil {
		return nil, nil, reject(bulletin.CodeMalformed, "contest %d has no write-in", contest)
	}
	cts, _, ctx, err := s.mixOutput(contest)
	if err != nil {
		return nil, nil, err
	}
	return s.decryptWriteIns(contest, cts, ctx)
}

// decryptWriteIns is DecryptWriteIns once the contest's last mix output
// and its decryption context are known. The caller holds s.mu.
func (s *State) decryptWriteIns(contest int, cts []*crypto.Ciphertext, ctx []byte) ([]uint32, *WriteInCount, error) {
	mc := &s.manifest.Contests[contest]
	plain, used, err := tally.DecryptElements(ctx, s.manifest.Threshold, cts, s.vks, s.mixPartials[contest])
	if err != nil {
		return nil, nil, reject(CodeWrongPhase, "the mixed ballots of contest %q cannot be decrypted: %v", mc.ID, err)
	}
	count, err := CountWriteIns(mc, plain)
	if err != nil {
		return nil, nil, fmt.Errorf("election: %w", err)
	}
	return used, count, nil
}

// admitWriteInResult checks the official's count of a contest's
// write-ins: the trustees combined and the count are those that the
// board's last mix and partial decryptions give.
func (s *State) admitWriteInResult(author []byte, r *WriteInResultRecord) error {
	contest, cts, ctx, err := s.checkMixResult(author, r.Election, r.Contest, r.Mixes, "write-in count", s.writeInContest)
	if err != nil {
		return err
	}
	used, want, err := s.decryptWriteIns(contest, cts, ctx)
	if err != nil {
		return err
	}
	if !slices.Equal(r.Trustees, used) {
		return reject(CodeBadProof, "the write-in count of contest %q combines the decryptions of trustees %v, but the board's are those of trustees %v (the %d lowest valid)", r.Contest, r.Trustees, used, len(used))
	}
	if err := sameCount(want, r.Count, r.Contest, "by the write-in rule of ranked.md §8.6"); err != nil {
		return err
	}
	s.writeInResults[contest] = r
	return nil
}

// writeInContest returns the index of the contest id with a write-in, or
// a rejection. The caller holds s.mu.
func (s *State) writeInContest(id string) (int, error) {
	i := s.manifest.ContestIndex(id)
	if i < 0 || s.manifest.Contests[i].WriteIn == nil {
		return 0, reject(bulletin.CodeMalformed, "the definition has no contest %q with a write-in", id)
	}
	return i, nil
}
