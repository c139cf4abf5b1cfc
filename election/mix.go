package election

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/crypto"
)

// mixCtxLbl labels the context that a mix's proof of shuffle binds to.
const mixCtxLbl = "evote/v1/mix/ctx\x00"

// MixRecord is the payload of a TypeMix record (docs/spec/election.md
// §2.5): one trustee's re-encryption and shuffle of one mix-net contest's
// ballots (a ranked contest, or one with a write-in), with its proof of
// shuffle (docs/spec/crypto-proofs.md §9). The input of a contest's first
// mix is the rows of its counted ballots (State.MixInput: the rank vectors
// of a ranked contest, the write-in slot and text of a write-in); each
// later mix's input is the output before.
type MixRecord struct {
	// Election is the hex election base hash.
	Election string `json:"election"`
	// Close names the closing record, by CloseHash of its payload, in hex:
	// the counted ballots it mixes are those of that history.
	Close string `json:"close"`
	// Contest is the id of the mix-net contest mixed.
	Contest string `json:"contest"`
	// Mix numbers the contest's mixes from 1, in board order.
	Mix int `json:"mix"`
	// Trustee is the index (1 … n) of the trustee who mixed.
	Trustee uint32 `json:"trustee"`
	// Output is the encoding of the output list (crypto.BallotList.Bytes):
	// as many ballots as the input, ballot.Contest.MixWidth ciphertexts
	// each.
	Output []byte `json:"output"`
	// Proof is the encoding of the proof of shuffle
	// (crypto.ShuffleProof.Bytes).
	Proof []byte `json:"proof"`
}

// MixContext returns the context that the proof of shuffle of mix number
// mix (from 1) of the contest at manifest index contest, by trustee,
// binds to (docs/spec/election.md §2.5):
//
//	SHA-256("evote/v1/mix/ctx\x00" || baseHash || u32be(contest) ||
//	        u32be(mix) || u32be(trustee))
//
// so that a proof cannot be posted again for another election, contest,
// place in the chain of mixes or trustee.
func MixContext(baseHash [32]byte, contest, mix int, trustee uint32) []byte {
	b := append([]byte(mixCtxLbl), baseHash[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(contest))
	b = binary.BigEndian.AppendUint32(b, uint32(mix))
	b = binary.BigEndian.AppendUint32(b, trustee)
	h := sha256.Sum256(b)
	return h[:]
}

// mixStep is one admitted mix of a contest.
type mixStep struct {
	index   uint64 // its record
	trustee uint32
	out     *crypto.BallotList
}

// MixInput returns the input of the next mix of the mix-net contest at
// manifest index contest: the output of its last mix, or, before any, the
// rows of the counted ballots carrying it (after re-voting), in roll
// order: one ciphertext per candidate of a ranked contest, the write-in
// slot's and the text's of a write-in (docs/spec/ranked.md §8.6). It fails
// before the close, for a contest that is not a mix-net contest, and when
// no counted ballot carries the contest.
func (s *State) MixInput(contest int) (*crypto.BallotList, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mixInput(contest)
}

// Mixes returns the number of mixes on the board of the contest at
// manifest index contest, and the trustees who posted them, in order.
func (s *State) Mixes(contest int) []uint32 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []uint32
	if contest >= 0 && contest < len(s.mixes) {
		for _, m := range s.mixes[contest] {
			out = append(out, m.trustee)
		}
	}
	return out
}

// mixInput is MixInput; the caller holds s.mu (a read lock will do: the
// first input is computed once, under s.mixOnce).
func (s *State) mixInput(contest int) (*crypto.BallotList, error) {
	if s.phase < Closed || s.closed == nil {
		return nil, reject(CodeWrongPhase, "ballots are mixed only after voting closes; the election is %s", s.phase)
	}
	if contest < 0 || contest >= len(s.manifest.Contests) || !s.manifest.Contests[contest].Mixed() {
		return nil, reject(bulletin.CodeMalformed, "contest %d is not a mix-net contest of the definition (ranked, or with a write-in)", contest)
	}
	if ms := s.mixes[contest]; len(ms) > 0 {
		return ms[len(ms)-1].out, nil
	}
	s.mixOnce[contest].Do(func() { s.firstInputs[contest], s.firstErrs[contest] = s.countedRanks(contest) })
	return s.firstInputs[contest], s.firstErrs[contest]
}

// writeInTexts returns the number of write-in text ciphertexts that a
// ballot slot of the ciphertext log holds after the options: m for each
// contest of m with a write-in.
func writeInTexts(m *ballot.Manifest) int {
	n := 0
	for _, mc := range m.Contests {
		if mc.WriteIn != nil {
			n += mc.WriteIn.TextCiphertexts()
		}
	}
	return n
}

// mixColumns returns the positions, in a ballot's slot of the ciphertext
// log (State.positions), of the ciphertexts of one ballot row of the
// mix-net contest at manifest index contest: its candidates' of a ranked
// contest; its write-in slot's and then its text's (docs/spec/ranked.md
// §8.6).
func mixColumns(m *ballot.Manifest, contest int) []int {
	off, texts := 0, m.OptionCount()
	for _, mc := range m.Contests[:contest] {
		off += len(mc.Options)
		if mc.WriteIn != nil {
			texts += mc.WriteIn.TextCiphertexts()
		}
	}
	mc := &m.Contests[contest]
	if mc.WriteIn == nil {
		cols := make([]int, len(mc.Options))
		for k := range cols {
			cols[k] = off + k
		}
		return cols
	}
	cols := []int{off + mc.WriteIn.Option}
	for k := range mc.WriteIn.TextCiphertexts() {
		cols = append(cols, texts+k)
	}
	return cols
}

// countedRanks builds the first mix input of contest: for every counted
// ballot in roll order whose style carries it, its ciphertexts of the
// contest's row (mixColumns), as stored when the ballot was admitted. The
// caller holds s.mu; the counted ballots no longer change once voting has
// closed.
func (s *State) countedRanks(contest int) (*crypto.BallotList, error) {
	cols := mixColumns(s.manifest, contest)
	w := len(cols)
	var enc []byte
	for entry, cb := range s.counted {
		if cb.index == 0 {
			continue
		}
		v := s.election.VoterAt(int64(entry))
		if !slices.Contains(v.Contests, contest) {
			continue
		}
		encs, err := s.ciphertexts.get(cb.slot)
		if err != nil {
			return nil, err
		}
		for _, c := range cols {
			enc = append(enc, encs[c]...)
		}
	}
	if len(enc) == 0 {
		return nil, reject(CodeWrongPhase, "no counted ballot carries contest %q: there is nothing to mix", s.manifest.Contests[contest].ID)
	}
	l, err := crypto.ParseBallotList(enc, w)
	if err != nil { // every stored ciphertext was parsed when its ballot was admitted
		panic(fmt.Sprintf("election: the counted ballots of contest %d do not decode: %v", contest, err))
	}
	return l, nil
}

// checkMix runs the checks of a mix record that need no proof and returns
// the contest's manifest index, the mix's input and its parsed output:
// phase, election, closing record, author, contest, order, that the
// trustee has not mixed the contest already, and the output's shape and
// that no ballot of it repeats another. The caller holds s.mu.
func (s *State) checkMix(author []byte, m *MixRecord) (int, *crypto.BallotList, *crypto.BallotList, error) {
	if err := s.checkTrusteeAfterClose(author, m.Trustee, m.Election, m.Close, "mix", "mixes the ballots"); err != nil {
		return 0, nil, nil, err
	}
	contest, err := s.mixedContest(m.Contest)
	if err != nil {
		return 0, nil, nil, err
	}
	if len(s.mixPartials[contest]) > 0 {
		return 0, nil, nil, reject(CodeWrongPhase, "the mixed ballots of contest %q are being decrypted: no mix comes after the first decryption", m.Contest)
	}
	done := s.mixes[contest]
	if want := len(done) + 1; m.Mix != want {
		return 0, nil, nil, reject(CodeWrongOrder, "the mix is numbered %d, but contest %q has %d mixes on the board: the next is %d", m.Mix, m.Contest, len(done), want)
	}
	for _, d := range done {
		if d.trustee == m.Trustee {
			return 0, nil, nil, reject(bulletin.CodeDuplicate, "trustee %d has already mixed contest %q, in record %d", m.Trustee, m.Contest, d.index)
		}
	}
	in, err := s.mixInput(contest)
	if err != nil {
		return 0, nil, nil, err
	}
	w := in.Width()
	if len(m.Output) != in.Len()*w*crypto.CiphertextSize {
		n := len(m.Output) / (w * crypto.CiphertextSize)
		if len(m.Output)%(w*crypto.CiphertextSize) != 0 {
			return 0, nil, nil, reject(CodeBadMix, "the mix's output is %d bytes, not a whole number of ballots of %d ciphertexts", len(m.Output), w)
		}
		what := "drops"
		if n > in.Len() {
			what = "adds"
		}
		return 0, nil, nil, reject(CodeBadMix, "the mix %s ballots: its output has %d ballots, its input %d", what, n, in.Len())
	}
	out, err := crypto.ParseBallotList(m.Output, w)
	if err != nil {
		return 0, nil, nil, reject(bulletin.CodeMalformed, "the mix's output: %v", err)
	}
	if i, j, ok := repeatedBallot(out); ok {
		return 0, nil, nil, reject(CodeBadMix, "the mix duplicates a ballot: output ballot %d repeats output ballot %d", j, i)
	}
	return contest, in, out, nil
}

// checkTrusteeAfterClose runs the checks that a trustee's record of the
// mix-net (what: a mix or a decryption of mixed ballots, which does
// something to the ballots of another history if it names another closing
// record) shares: voting has closed, the record names the election's base
// hash (electionHex) and the closing record (closeHex), and its author is
// the trustee claimed. The caller holds s.mu.
func (s *State) checkTrusteeAfterClose(author []byte, claimed uint32, electionHex, closeHex, what, does string) error {
	if s.phase < Closed || s.closed == nil {
		return reject(CodeWrongPhase, "a %s is accepted only after voting closes; the election is %s", what, s.phase)
	}
	if electionHex != hexHash(s.election.BaseHash) {
		return reject(bulletin.CodeMalformed, "the %s is for another election", what)
	}
	if err := s.checkClose(closeHex, what, does); err != nil {
		return err
	}
	idx, ok := s.trusteeKeys[[32]byte(author)]
	if !ok || len(author) != 32 {
		return reject(CodeUnauthorized, "only a trustee may post a %s", what)
	}
	if idx != claimed {
		return reject(CodeUnauthorized, "trustee %d may not post a %s for trustee %d", idx, what, claimed)
	}
	return nil
}

// repeatedBallot returns two ballots of l, i < j, with the same
// ciphertexts, if it has any: a re-encryption gives a repeated ballot
// with negligible probability, so a repeat is one ballot put in twice.
func repeatedBallot(l *crypto.BallotList) (i, j int, found bool) {
	enc, size := l.Bytes(), l.Width()*crypto.CiphertextSize
	seen := make(map[[32]byte]int, l.Len())
	for k := range l.Len() {
		h := sha256.Sum256(enc[k*size : (k+1)*size])
		if first, ok := seen[h]; ok {
			return first, k, true
		}
		seen[h] = k
	}
	return 0, 0, false
}

// admitMix admits a mix whose proof VerifyProofs checked.
func (s *State) admitMix(index uint64, author []byte, m *MixRecord) error {
	contest, _, out, err := s.checkMix(author, m)
	if err != nil {
		return err
	}
	s.mixes[contest] = append(s.mixes[contest], mixStep{index: index, trustee: m.Trustee, out: out})
	return nil
}

// verifyMix checks a mix's proof of shuffle against its input, after the
// checks of checkMix. The caller holds s.mu.
func (s *State) verifyMix(author []byte, m *MixRecord) error {
	contest, in, out, err := s.checkMix(author, m)
	if err != nil {
		return err
	}
	p, err := new(crypto.ShuffleProof).SetBytes(m.Proof)
	if err != nil {
		return reject(bulletin.CodeMalformed, "the mix's proof of shuffle: %v", err)
	}
	ctx := MixContext(s.election.BaseHash, contest, m.Mix, m.Trustee)
	if err := crypto.VerifyShuffleList(ctx, s.election.PublicKey, in, out, p); err != nil {
		return reject(CodeBadMix, "mix %d of contest %q by trustee %d is not a shuffle of its input (it replaced or altered a ballot, or its proof is not for this mix): %v", m.Mix, m.Contest, m.Trustee, err)
	}
	return nil
}
