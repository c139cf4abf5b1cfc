package election

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/crypto"
	"github.com/evote/evote/tally"
	"github.com/evote/evote/tally/ranked"
)

// mixDecryptCtxLbl labels the context of the partial decryptions of a
// contest's last mix.
const mixDecryptCtxLbl = "evote/v1/mix/decrypt-ctx\x00"

// MixDecryptionRecord is the payload of a TypeMixDecryption record
// (docs/spec/election.md §2.6): a trustee's partial decryption, with
// proofs, of every ciphertext of the output of a ranked contest's last
// mix, ballot by ballot, candidate by candidate.
type MixDecryptionRecord struct {
	// Election is the hex election base hash.
	Election string `json:"election"`
	// Close names the closing record, as in PartialRecord.
	Close string `json:"close"`
	// Contest is the id of the ranked contest.
	Contest string `json:"contest"`
	// Mixes is the number of the mix whose output it decrypts: the
	// contest's last.
	Mixes   int                      `json:"mixes"`
	Partial *tally.PartialDecryption `json:"partial"`
}

// RankedResultRecord is the payload of a TypeRankedResult record
// (docs/spec/election.md §2.7): the official's decryption of a ranked
// contest's mixed ballots and their count by the contest's method.
type RankedResultRecord struct {
	// Election is the hex election base hash.
	Election string `json:"election"`
	// Contest is the id of the ranked contest.
	Contest string `json:"contest"`
	// Mixes is the number of the mix whose output was decrypted.
	Mixes int `json:"mixes"`
	// Ranks is the combination of the trustees' partial decryptions of the
	// last mix's output (tally.md §5, §6): its counts are the decrypted
	// ranks, ballot by ballot, candidate by candidate.
	Ranks *tally.Result `json:"ranks"`
	// Count is the canonical JSON of RankedCount computed from the ranks.
	Count json.RawMessage `json:"count"`
}

// RankedCount is the count of a ranked contest's decrypted ballots
// (docs/spec/ranked.md): the ballots discarded by the rule of §2, and the
// result of the contest's method, exactly one of IRV, STV, Schulze and
// Borda set, or none when no valid ballot ranks a candidate (nobody is
// elected, §2). Its JSON (encoding/json) is the Count of a RankedResultRecord.
type RankedCount struct {
	Method    string                `json:"method"`
	Ballots   int                   `json:"ballots"`
	Discarded []DiscardedBallot     `json:"discarded,omitempty"`
	IRV       *ranked.IRVResult     `json:"irv,omitempty"`
	STV       *ranked.STVResult     `json:"stv,omitempty"`
	Schulze   *ranked.SchulzeResult `json:"schulze,omitempty"`
	Borda     *ranked.BordaResult   `json:"borda,omitempty"`
}

// Elected returns the candidates the count elects, in order of election:
// the IRV, Schulze or Borda winner, or the STV candidates elected; nil when
// nobody is elected (no valid ballot ranks anyone).
func (c *RankedCount) Elected() []int {
	switch {
	case c.IRV != nil:
		return []int{c.IRV.Winner}
	case c.STV != nil:
		return c.STV.Elected
	case c.Schulze != nil:
		return []int{c.Schulze.Winner}
	case c.Borda != nil:
		return []int{c.Borda.Winner}
	}
	return nil
}

// DiscardedBallot is a decrypted ballot that is not a valid ranking: its
// position in the last mix's output and why (docs/spec/ranked.md §2).
type DiscardedBallot struct {
	Index  int    `json:"index"`
	Reason string `json:"reason"`
}

// MixDecryptionContext returns the context that the partial decryptions
// of the output of mix number mixes of the contest at manifest index
// contest bind to (tally.ShareContext's ctx; docs/spec/election.md §2.6):
//
//	SHA-256("evote/v1/mix/decrypt-ctx\x00" || baseHash || u32be(contest) || u32be(mixes))
func MixDecryptionContext(baseHash [32]byte, contest, mixes int) []byte {
	b := append([]byte(mixDecryptCtxLbl), baseHash[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(contest))
	b = binary.BigEndian.AppendUint32(b, uint32(mixes))
	h := sha256.Sum256(b)
	return h[:]
}

// RankedSeed returns the seed of a ranked contest's lots
// (docs/spec/ranked.md §3.2): the election base hash followed by the
// contest's id.
func RankedSeed(baseHash [32]byte, contestID string) []byte {
	return append(baseHash[:len(baseHash):len(baseHash)], contestID...)
}

// CountRanked counts the decrypted ballots of ranked contest c, each a
// rank vector of len(c.Options) ranks, by its method with the lots of
// seed (docs/spec/ranked.md). The official who posts a ranked result and
// every reader who checks it call it on the same ranks.
func CountRanked(c *ballot.Contest, seed []byte, ranks [][]uint64) (*RankedCount, error) {
	p, err := ranked.NewProfile(len(c.Options), c.MaxSelections)
	if err != nil {
		return nil, err
	}
	for _, r := range ranks {
		v := make([]int, len(r))
		for k, x := range r {
			v[k] = int(min(x, uint64(c.MaxSelections)+1)) // a rank above k is discarded as such
		}
		p.AddRanks(v)
	}
	out := &RankedCount{Method: c.Method, Ballots: len(ranks)}
	for _, d := range p.Discarded {
		out.Discarded = append(out.Discarded, DiscardedBallot{Index: d.Index, Reason: d.Err.Error()})
	}
	res, err := ranked.Count(c.Method, c.Seats, p, seed)
	if errors.Is(err, ranked.ErrNoVotes) {
		return out, nil // every ballot blank or discarded: nobody is elected
	}
	if err != nil {
		return nil, fmt.Errorf("counting contest %q: %w", c.ID, err)
	}
	switch r := res.(type) {
	case *ranked.IRVResult:
		out.IRV = r
	case *ranked.STVResult:
		out.STV = r
	case *ranked.SchulzeResult:
		out.Schulze = r
	case *ranked.BordaResult:
		out.Borda = r
	}
	return out, nil
}

// flatten returns the ciphertexts of l, ballot by ballot, candidate by
// candidate: the positions of a mix's decryption.
func flatten(l *crypto.BallotList) []*crypto.Ciphertext {
	var out []*crypto.Ciphertext
	for _, b := range l.Ballots() {
		for k := range b {
			out = append(out, &b[k])
		}
	}
	return out
}

// MixOutput returns the ciphertexts that the trustees decrypt of the
// ranked contest at manifest index contest: those of its last mix's
// output, flattened (ballot by ballot, candidate by candidate), with the
// number of that mix and its decryption context. It fails unless the
// contest has at least threshold mixes and its privacy floor holds (as
// for a tally: at least its floor of counted ballots carry it).
func (s *State) MixOutput(contest int) (cts []*crypto.Ciphertext, mixes int, ctx []byte, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mixOutput(contest)
}

func (s *State) mixOutput(contest int) ([]*crypto.Ciphertext, int, []byte, error) {
	if s.phase < Closed || contest < 0 || contest >= len(s.mixes) || !s.manifest.Contests[contest].Mixed() {
		return nil, 0, nil, reject(CodeWrongPhase, "contest %d has no mixed ballots to decrypt", contest)
	}
	ms := s.mixes[contest]
	if t := s.manifest.Threshold; len(ms) < t {
		return nil, 0, nil, reject(CodeWrongPhase, "contest %q has %d mixes; its ballots are decrypted after at least %d (the threshold), so that the mix is honest if one trustee of any %d is", s.manifest.Contests[contest].ID, len(ms), t, t)
	}
	if err := s.contestFloor(contest); err != nil {
		return nil, 0, nil, err
	}
	return flatten(ms[len(ms)-1].out), len(ms), MixDecryptionContext(s.election.BaseHash, contest, len(ms)), nil
}

// MixPartials returns the partial decryptions on the board of the ranked
// contest at manifest index contest, in board order.
func (s *State) MixPartials(contest int) []*tally.PartialDecryption {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if contest < 0 || contest >= len(s.mixPartials) {
		return nil
	}
	return append([]*tally.PartialDecryption(nil), s.mixPartials[contest]...)
}

// RankedResult returns the count posted of the ranked contest at manifest
// index contest, nil if none is.
func (s *State) RankedResult(contest int) *RankedResultRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if contest < 0 || contest >= len(s.rankedResults) {
		return nil
	}
	return s.rankedResults[contest]
}

// rankedContest returns the index of the ranked contest id, or a
// rejection. The caller holds s.mu.
func (s *State) rankedContest(id string) (int, error) {
	i := s.manifest.ContestIndex(id)
	if i < 0 || !s.manifest.Contests[i].Ranked() {
		return 0, reject(bulletin.CodeMalformed, "the definition has no ranked contest %q", id)
	}
	return i, nil
}

// mixedContest returns the index of the mix-net contest id (ranked, or
// with a write-in), or a rejection. The caller holds s.mu.
func (s *State) mixedContest(id string) (int, error) {
	i := s.manifest.ContestIndex(id)
	if i < 0 || !s.manifest.Contests[i].Mixed() {
		return 0, reject(bulletin.CodeMalformed, "the definition has no mix-net contest %q (ranked, or with a write-in)", id)
	}
	return i, nil
}

// mixCounted reports whether the mix-net contest at index i is counted:
// its ranked-result or writein-result is on the board. The caller holds
// s.mu.
func (s *State) mixCounted(i int) bool {
	return s.rankedResults[i] != nil || s.writeInResults[i] != nil
}

// checkMixDecryption runs the checks of a mix decryption that need no
// proof and returns the contest's index, the ciphertexts it decrypts and
// their context. The caller holds s.mu.
func (s *State) checkMixDecryption(author []byte, d *MixDecryptionRecord) (int, []*crypto.Ciphertext, []byte, error) {
	if d.Partial == nil {
		return 0, nil, nil, reject(bulletin.CodeMalformed, "the decryption of mixed ballots has no partial decryption")
	}
	idx := d.Partial.Trustee
	if err := s.checkTrusteeAfterClose(author, idx, d.Election, d.Close, "decryption of mixed ballots", "decrypts the ballots"); err != nil {
		return 0, nil, nil, err
	}
	contest, err := s.mixedContest(d.Contest)
	if err != nil {
		return 0, nil, nil, err
	}
	if s.mixCounted(contest) {
		return 0, nil, nil, reject(CodeWrongPhase, "contest %q is counted already", d.Contest)
	}
	cts, mixes, ctx, err := s.mixOutput(contest)
	if err != nil {
		return 0, nil, nil, err
	}
	if d.Mixes != mixes {
		return 0, nil, nil, reject(CodeStale, "the decryption is of the output of mix %d, but contest %q's last mix is %d", d.Mixes, d.Contest, mixes)
	}
	for _, p := range s.mixPartials[contest] {
		if p.Trustee == idx {
			return 0, nil, nil, reject(bulletin.CodeDuplicate, "trustee %d has already decrypted contest %q", idx, d.Contest)
		}
	}
	return contest, cts, ctx, nil
}

// verifyMixDecryption checks a mix decryption's proofs: one Chaum–Pedersen
// proof per ciphertext against the trustee's verification key. The caller
// holds s.mu.
func (s *State) verifyMixDecryption(author []byte, d *MixDecryptionRecord) error {
	_, cts, ctx, err := s.checkMixDecryption(author, d)
	if err != nil {
		return err
	}
	if err := tally.VerifyPartial(ctx, s.vks[d.Partial.Trustee], cts, d.Partial); err != nil {
		return reject(CodeBadProof, "trustee %d's decryption of contest %q: %v", d.Partial.Trustee, d.Contest, err)
	}
	return nil
}

func (s *State) admitMixDecryption(author []byte, d *MixDecryptionRecord) error {
	contest, _, _, err := s.checkMixDecryption(author, d)
	if err != nil {
		return err
	}
	s.mixPartials[contest] = append(s.mixPartials[contest], d.Partial)
	return nil
}

// checkMixResult runs the checks that the official's count of a mix-net
// contest shares, ranked or write-in (what names it): phase, author,
// election, contest (by contestOf), not counted yet, its last mix, at
// least t decryptions of it. It returns the contest's index and the
// ciphertexts decrypted with their context. The caller holds s.mu.
func (s *State) checkMixResult(author []byte, electionHex, contestID string, mixes int, what string, contestOf func(string) (int, error)) (int, []*crypto.Ciphertext, []byte, error) {
	if s.phase < Closed || s.closed == nil {
		return 0, nil, nil, reject(CodeWrongPhase, "a %s is posted only after voting closes; the election is %s", what, s.phase)
	}
	if err := s.requireOfficial(author, "a "+what); err != nil {
		return 0, nil, nil, err
	}
	if electionHex != hexHash(s.election.BaseHash) {
		return 0, nil, nil, reject(bulletin.CodeMalformed, "the %s is for another election", what)
	}
	contest, err := contestOf(contestID)
	if err != nil {
		return 0, nil, nil, err
	}
	if s.mixCounted(contest) {
		return 0, nil, nil, reject(bulletin.CodeDuplicate, "contest %q is counted already", contestID)
	}
	cts, last, ctx, err := s.mixOutput(contest)
	if err != nil {
		return 0, nil, nil, err
	}
	if mixes != last {
		return 0, nil, nil, reject(CodeStale, "the count is of the output of mix %d, but contest %q's last mix is %d", mixes, contestID, last)
	}
	if n, t := len(s.mixPartials[contest]), s.manifest.Threshold; n < t {
		return 0, nil, nil, reject(CodeWrongPhase, "the count of contest %q needs %d decryptions of its mixed ballots; %d are on the board", contestID, t, n)
	}
	return contest, cts, ctx, nil
}

// admitRankedResult checks the official's count of a ranked contest: the
// decryption follows from the board's last mix and partial decryptions,
// and the count from the decrypted ranks.
func (s *State) admitRankedResult(author []byte, r *RankedResultRecord) error {
	contest, cts, ctx, err := s.checkMixResult(author, r.Election, r.Contest, r.Mixes, "ranked count", s.rankedContest)
	if err != nil {
		return err
	}
	m := s.manifest
	if r.Ranks == nil {
		return reject(bulletin.CodeMalformed, "the ranked count has no ranks")
	}
	if err := tally.VerifyResult(ctx, m.Threshold, cts, s.vks, s.mixPartials[contest], r.Ranks); err != nil {
		return reject(CodeBadProof, "the decrypted ranks of contest %q do not follow from the board: %v", r.Contest, err)
	}
	mc := &m.Contests[contest]
	w := len(mc.Options)
	ranks := make([][]uint64, 0, len(r.Ranks.Counts)/w)
	for i := 0; i+w <= len(r.Ranks.Counts); i += w {
		ranks = append(ranks, r.Ranks.Counts[i:i+w])
	}
	want, err := CountRanked(mc, RankedSeed(s.election.BaseHash, mc.ID), ranks)
	if err != nil {
		return reject(CodeBadProof, "the decrypted ballots of contest %q have no count: %v", r.Contest, err)
	}
	if err := sameCount(want, r.Count, r.Contest, fmt.Sprintf("by method %q", mc.Method)); err != nil {
		return err
	}
	s.rankedResults[contest] = r
	return nil
}

// sameCount checks that got is the JSON encoding of want, the count of
// contest that the board computes (how says by what rule).
func sameCount(want any, got json.RawMessage, contest, how string) error {
	enc, err := json.Marshal(want)
	if err != nil {
		return fmt.Errorf("election: encoding the count of contest %q: %w", contest, err)
	}
	if string(enc) != string(got) {
		return reject(CodeBadProof, "the count of contest %q does not follow from its decrypted ballots %s: the board computes %s", contest, how, enc)
	}
	return nil
}
