package election

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/ceremony"
	"github.com/evote/evote/crypto"
	"github.com/evote/evote/tally"
)

// Phase is where an election stands.
type Phase int

// The phases, in order. A record may move the election forward, never back.
const (
	Empty    Phase = iota // no definition yet
	Ceremony              // definition posted; trustees are generating the key
	Ready                 // the joint key is posted; voting has not opened
	Open                  // ballots are accepted
	Closed                // voting is over; trustees post partial decryptions
	Tallied               // the result is posted
)

var phaseNames = [...]string{"empty", "ceremony", "ready", "open", "closed", "tallied"}

// String returns the phase's name as reports and messages use it.
func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return fmt.Sprintf("phase(%d)", int(p))
}

// countedBallot is what the state keeps of a voter's counted ballot: its
// record's index (0 for none: record 0 is the definition) and its slot in
// the state's ciphertextLog, to take it out of the sums if it is
// superseded.
type countedBallot struct {
	index uint64
	slot  uint32
}

// prevKey names a confirmation code as named by one credential's records:
// each credential's device chain is its own (docs/spec/election.md §4).
type prevKey struct {
	cred [32]byte
	code ballot.ConfirmationCode
}

// replacement says which ballot replaced a superseded one, and when.
type replacement struct {
	index uint64
	time  time.Time
}

// nonce is the fingerprint of a ciphertext's nonce commitment A = r·G
// (docs/spec/election.md §4): the first 8 bytes of
// SHA-256("evote/v1/nonce\x00" || A).
type nonce uint64

const nonceLabel = "evote/v1/nonce\x00"

// nonceOf returns the fingerprint of the nonce commitment of the 64-byte
// ciphertext encoding ct (A || B).
func nonceOf(ct []byte) nonce {
	h := sha256.New()
	h.Write([]byte(nonceLabel))
	h.Write(ct[:32])
	var sum [sha256.Size]byte
	return nonce(binary.BigEndian.Uint64(h.Sum(sum[:0])))
}

// closeRecord is what the state keeps of the official's closing record:
// where it is, and the hash by which partial decryptions name it.
type closeRecord struct {
	index uint64
	hash  [32]byte
}

// CloseHash returns the hash by which a partial decryption names the
// closing record whose payload is payload (docs/spec/election.md §2.3):
// SHA-256(payload). The payload names the tree head and the sums, so a
// partial decryption admitted in any history decrypts that history's sums.
func CloseHash(payload []byte) [32]byte { return sha256.Sum256(payload) }

// State is the public state of one election, built by admitting its board
// records in order. Admit is not safe for concurrent use with itself;
// VerifyProofs and the read methods may run concurrently with anything.
// State judges records; the participants' steps computed from it (deal,
// receive, decrypt, combine, encrypt) are in package election/participant.
type State struct {
	mu sync.RWMutex

	phase        Phase
	manifest     *ballot.Manifest
	manifestHash [32]byte
	official     ed25519.PublicKey
	trusteeKeys  map[[32]byte]uint32 // sign key → trustee index (1..n)

	rollBuilder *ballot.RollBuilder // the roll while the registrar posts it
	roll        *ballot.Roll        // the closed roll

	commitments []*ceremony.Commitments // position i−1 holds trustee i's
	shares      []*ceremony.Shares
	verdicts    []*ceremony.Verdict
	complaints  error // set once a verdict accuses someone

	joint    *ceremony.JointKey
	election *ballot.Election
	vks      map[uint32]*crypto.Element
	clients  []publishedClient

	counted     []countedBallot // by roll entry, once the roll is closed
	nCounted    int             // the entries of counted that hold a ballot
	contests    []contestCount  // by manifest contest, once the election key is posted
	ciphertexts *ciphertextLog  // the counted ballots' ciphertexts
	codes       codeIndex
	prevRefs    map[prevKey]uint64     // (credential, code) → the first later record of that credential naming code as prev
	castNonces  castNonceIndex         // nonce fingerprint of every cast ballot's ciphertexts → slot
	slotIndex   []uint64               // the record of each slot of ciphertexts
	openNonces  map[nonce]uint64       // nonce fingerprint of every challenged ballot's ciphertexts → record
	sums        *tally.Accumulator     // the counted ballots' ciphertexts, summed
	superseded  map[uint64]replacement // earlier ballot index → the ballot that replaced it
	supersedes  map[uint64]uint64      // the reverse: ballot index → the earlier ballot it replaced
	challenged  int
	ballots     int // ballot records admitted, counted or superseded

	closed      *closeRecord
	partials    map[uint32]*tally.PartialDecryption
	partialList []*tally.PartialDecryption
	result      *tally.Result

	// The mixes of the ranked contests (mix.go), by manifest contest.
	mixes       [][]mixStep
	mixOnce     []sync.Once
	firstInputs []*crypto.BallotList
	firstErrs   []error
	// The decryptions and counts of the mix-net contests (mixtally.go,
	// writein.go).
	mixPartials    [][]*tally.PartialDecryption
	rankedResults  []*RankedResultRecord
	writeInResults []*WriteInResultRecord

	tree       bulletin.CompactTree // the log's tree as of the last record taken in
	structural []uint64             // the records admitted but ballots, challenges and the roll's (snapshot.go)
	boardKey   string               // the verifier key of the board read, if known (SetBoard)
	trust      bulletin.TrustPolicy // the definition's witnesses and operators, with their quorums
}

// NewState returns the state of an empty board.
func NewState() *State {
	return &State{
		codes:      newCodeIndex(),
		prevRefs:   make(map[prevKey]uint64),
		openNonces: make(map[nonce]uint64),
		superseded: make(map[uint64]replacement),
		supersedes: make(map[uint64]uint64),
		partials:   make(map[uint32]*tally.PartialDecryption),
	}
}

// Admit checks a record, whose decoded payload is v (from Decode), against
// the state: phase, authorisation, eligibility, duplicates and every rule
// that depends on earlier records. If it returns nil the state has taken
// the record in; otherwise the state is unchanged. Admit does not check
// ballot and ceremony proofs that VerifyProofs checks; callers must check
// them (the board before admitting, the verifier in batches), and it does
// not check the record's signature or its place in the hash chain
// (bulletin.Chain does). Records must come in log order: rec.Index is the
// number of records taken in so far (by Admit or SkipRecord).
func (s *State) Admit(rec *bulletin.Record, v any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if int64(rec.Index) != s.tree.Size() {
		return reject(CodeWrongOrder, "record %d is out of place: the state has taken in %d records", rec.Index, s.tree.Size())
	}
	if err := s.admit(rec, v); err != nil {
		return err
	}
	s.noteStructural(rec.Index, v)
	return s.tree.Append(rec.LeafHash())
}

// SkipRecord takes in a record of the log that Admit refused, into the
// log's tree only, so that a reader that goes on past a refused record
// (the verifier, listing every failure) keeps the tree head right.
func (s *State) SkipRecord(rec *bulletin.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if int64(rec.Index) != s.tree.Size() {
		return fmt.Errorf("election: skipping record %d out of place: the state has taken in %d records", rec.Index, s.tree.Size())
	}
	return s.tree.Append(rec.LeafHash())
}

// AdmitStaleClose takes in the official's closing record rec, with payload
// v, that Admit refused as stale (CodeStale): it does not name the
// records before it or their sums. The phase becomes closed as the official
// declared, with the sums as recomputed here. It is for a verifier that
// lists every failure, has reported this one, and goes on to judge the
// records after it; the board and every participant refuse such a record.
func (s *State) AdmitStaleClose(rec *bulletin.Record, v any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := v.(*PhaseChange)
	if !ok || p.Phase != PhaseClosed || s.phase == Empty {
		return fmt.Errorf("election: record %d is not a closing record", rec.Index)
	}
	if int64(rec.Index) != s.tree.Size() {
		return reject(CodeWrongOrder, "record %d is out of place: the state has taken in %d records", rec.Index, s.tree.Size())
	}
	if err := s.admitPhase(rec, p, false); err != nil {
		return err
	}
	s.noteStructural(rec.Index, v)
	return s.tree.Append(rec.LeafHash())
}

// TreeHead returns the size and root hash of the log's tree as of the last
// record taken in.
func (s *State) TreeHead() (int64, tlog.Hash) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.tree.Size(), s.tree.Root()
}

// admit is Admit once the record is known to come next. The caller holds s.mu.
func (s *State) admit(rec *bulletin.Record, v any) error {
	index, typ, author := rec.Index, rec.Type, rec.Author
	if s.phase == Empty {
		m, ok := v.(*ballot.Manifest)
		if !ok {
			return reject(CodeWrongPhase, "the first record must be the election definition, not %q", typ)
		}
		return s.admitDefinition(author, m)
	}
	switch v := v.(type) {
	case *ballot.Manifest:
		return reject(bulletin.CodeDuplicate, "the election is already defined")
	case *ballot.RollChunk:
		return s.admitRoll(author, v)
	case *ballot.RollClose:
		return s.admitRollClose(author, v)
	case *ceremony.Commitments:
		return s.admitCommitments(author, v)
	case *ceremony.Shares:
		return s.admitShares(author, v)
	case *ceremony.Verdict:
		return s.admitVerdict(author, v)
	case *ceremony.JointKey:
		return s.admitJointKey(author, v)
	case *ClientHash:
		return s.admitClientHash(index, author, v)
	case *PhaseChange:
		return s.admitPhase(rec, v, true)
	case *ballot.EncryptedBallot:
		return s.admitBallot(index, author, rec.Time, ballot.ConfirmationCodeOf(rec.Payload), v)
	case *ballot.ChallengedBallot:
		return s.admitChallenge(index, author, rec.Time, v)
	case *PartialRecord:
		return s.admitPartial(author, v)
	case *ResultRecord:
		return s.admitResult(author, v)
	case *MixRecord:
		return s.admitMix(index, author, v)
	case *MixDecryptionRecord:
		return s.admitMixDecryption(author, v)
	case *RankedResultRecord:
		return s.admitRankedResult(author, v)
	case *WriteInResultRecord:
		return s.admitWriteInResult(author, v)
	}
	return reject(bulletin.CodeMalformed, "unknown record type %q", typ)
}

func (s *State) requireOfficial(author []byte, what string) error {
	if !bytes.Equal(author, s.official) {
		return reject(CodeUnauthorized, "only the election official may post %s", what)
	}
	return nil
}

// requireTrustee checks that author is trustee claimed and returns its index.
func (s *State) requireTrustee(author []byte, claimed uint32, ctx []byte) error {
	idx, ok := s.trusteeKeys[[32]byte(author)]
	if !ok || len(author) != ed25519.PublicKeySize {
		return reject(CodeUnauthorized, "the author is not a trustee of this election")
	}
	if idx != claimed {
		return reject(CodeUnauthorized, "trustee %d may not post for trustee %d", idx, claimed)
	}
	if !bytes.Equal(ctx, s.manifestHash[:]) {
		return reject(bulletin.CodeMalformed, "message is bound to another election (ctx %x)", ctx)
	}
	return nil
}

func (s *State) requirePhase(want Phase, what string) error {
	if s.phase != want {
		return reject(CodeWrongPhase, "%s is only accepted while the election is %s; it is %s", what, want, s.phase)
	}
	return nil
}

func (s *State) admitDefinition(author []byte, m *ballot.Manifest) error {
	if !bytes.Equal(author, m.Official) {
		return reject(CodeUnauthorized, "the definition must be signed by the official it names")
	}
	if err := s.checkBoard(m); err != nil {
		return err
	}
	policy, err := TrustPolicy(m)
	if err != nil {
		return reject(bulletin.CodeMalformed, "definition: %v", err)
	}
	mh, err := m.Hash()
	if err != nil {
		return reject(bulletin.CodeMalformed, "definition: %v", err)
	}
	keys := make(map[[32]byte]uint32, len(m.Trustees))
	for i, t := range m.Trustees {
		keys[[32]byte(t.SignKey)] = uint32(i + 1)
	}
	n := len(m.Trustees)
	s.manifest, s.manifestHash, s.official, s.trusteeKeys, s.trust = m, mh, m.Official, keys, policy
	s.rollBuilder = ballot.NewRollBuilder(mh)
	s.commitments = make([]*ceremony.Commitments, n)
	s.shares = make([]*ceremony.Shares, n)
	s.verdicts = make([]*ceremony.Verdict, n)
	nc := len(m.Contests)
	s.mixes, s.mixOnce, s.firstInputs, s.firstErrs = make([][]mixStep, nc), make([]sync.Once, nc), make([]*crypto.BallotList, nc), make([]error, nc)
	s.mixPartials, s.rankedResults = make([][]*tally.PartialDecryption, nc), make([]*RankedResultRecord, nc)
	s.writeInResults = make([]*WriteInResultRecord, nc)
	s.phase = Ceremony
	return nil
}

func (s *State) requireRegistrar(author []byte, what string) error {
	if !bytes.Equal(author, s.manifest.Registrar) {
		return reject(CodeUnauthorized, "only the registrar the definition names may post %s", what)
	}
	return nil
}

// admitRoll takes in roll entries: by the registrar, while the roll is
// open, in order, and no voter or key twice.
func (s *State) admitRoll(author []byte, c *ballot.RollChunk) error {
	if err := s.requireRegistrar(author, "the voter roll"); err != nil {
		return err
	}
	if s.roll != nil {
		return reject(CodeWrongPhase, "the voter roll is closed: no voter can be added to it")
	}
	if err := s.manifest.CheckRoll(c); err != nil {
		return reject(CodeWrongStyle, "%v", err)
	}
	if err := s.rollBuilder.Check(c); err != nil {
		code := bulletin.CodeMalformed
		switch {
		case errors.Is(err, ballot.ErrRollDuplicate):
			code = bulletin.CodeDuplicate
		case c.Election == s.manifestHash:
			code = CodeWrongOrder
		}
		return reject(code, "%v", err)
	}
	s.rollBuilder.Add(c)
	return nil
}

// admitRollClose closes the roll: by the registrar, naming the size and
// hash of the entries before it, at least the definition's min_counted.
func (s *State) admitRollClose(author []byte, c *ballot.RollClose) error {
	if err := s.requireRegistrar(author, "the closing of the voter roll"); err != nil {
		return err
	}
	if s.roll != nil {
		return reject(bulletin.CodeDuplicate, "the voter roll is already closed")
	}
	if c.Election != s.manifestHash {
		return reject(bulletin.CodeMalformed, "the closing of the roll is for another election")
	}
	size, hash := s.rollBuilder.Size(), s.rollBuilder.Hash()
	if c.Size != size || c.Hash != hash {
		return reject(CodeStale, "the roll-closing record names %d entries hashing to %.16x…, but the roll here has %d entries hashing to %.16x…: it was made for another history of the board", c.Size, c.Hash, size, hash)
	}
	if size == 0 {
		return reject(CodeWrongPhase, "the voter roll is empty: post its entries before closing it")
	}
	if floor := s.manifest.PrivacyFloor(size); floor > size {
		return reject(CodeWrongPhase, "the roll has %d voters but the definition's min_counted is %d: the trustees could never decrypt the tally", size, floor)
	}
	voters := contestVoters(s.manifest, s.rollBuilder.StyleSizes())
	for i, n := range voters {
		if floor := s.manifest.PrivacyFloor(n); floor > n && n > 0 {
			return reject(CodeWrongPhase, "contest %q is on the ballots of %d voters but the definition's min_counted is %d: the trustees could never decrypt the tally", s.manifest.Contests[i].ID, n, floor)
		}
	}
	s.roll, s.rollBuilder = s.rollBuilder.Close(), nil
	return nil
}

func (s *State) admitCommitments(author []byte, m *ceremony.Commitments) error {
	if err := s.requirePhase(Ceremony, "a trustee's commitments"); err != nil {
		return err
	}
	if err := s.requireTrustee(author, m.Trustee, m.Ctx); err != nil {
		return err
	}
	if s.commitments[m.Trustee-1] != nil {
		return reject(bulletin.CodeDuplicate, "trustee %d has already posted its commitments", m.Trustee)
	}
	s.commitments[m.Trustee-1] = m
	return nil
}

func (s *State) admitShares(author []byte, m *ceremony.Shares) error {
	if err := s.requirePhase(Ceremony, "a trustee's shares"); err != nil {
		return err
	}
	if err := s.requireTrustee(author, m.Trustee, m.Ctx); err != nil {
		return err
	}
	if s.commitments[m.Trustee-1] == nil {
		return reject(CodeWrongPhase, "trustee %d must post its commitments before its shares", m.Trustee)
	}
	if s.shares[m.Trustee-1] != nil {
		return reject(bulletin.CodeDuplicate, "trustee %d has already posted its shares", m.Trustee)
	}
	s.shares[m.Trustee-1] = m
	return nil
}

func (s *State) admitVerdict(author []byte, m *ceremony.Verdict) error {
	if err := s.requirePhase(Ceremony, "a trustee's verdict"); err != nil {
		return err
	}
	if err := s.requireTrustee(author, m.Trustee, m.Ctx); err != nil {
		return err
	}
	for i := range s.shares {
		if s.shares[i] == nil {
			return reject(CodeWrongPhase, "a verdict needs every trustee's shares; trustee %d has not posted them", i+1)
		}
	}
	if s.verdicts[m.Trustee-1] != nil {
		return reject(bulletin.CodeDuplicate, "trustee %d has already posted its verdict", m.Trustee)
	}
	s.verdicts[m.Trustee-1] = m
	if !m.Accept {
		s.complaints = complaintsOf(s.verdicts)
	}
	return nil
}

// complaintsOf returns the accusations of the verdicts posted so far, as a
// *ceremony.ComplaintError, or nil if none complains. (CheckVerdicts
// would say that the set of verdicts is incomplete until the last one.)
func complaintsOf(verdicts []*ceremony.Verdict) error {
	var ce ceremony.ComplaintError
	for _, v := range verdicts {
		if v == nil {
			continue
		}
		for _, c := range v.Complaints {
			ce.Complaints = append(ce.Complaints, ceremony.Accusation{By: v.Trustee, Against: c.Against, Reason: c.Reason})
		}
	}
	if len(ce.Complaints) == 0 {
		return nil
	}
	return &ce
}

func (s *State) admitJointKey(author []byte, jk *ceremony.JointKey) error {
	if err := s.requirePhase(Ceremony, "the joint key"); err != nil {
		return err
	}
	if err := s.requireOfficial(author, "the joint key"); err != nil {
		return err
	}
	if s.complaints != nil {
		return reject(CodeWrongPhase, "the ceremony failed: %v", s.complaints)
	}
	if s.roll == nil {
		return reject(CodeWrongPhase, "the registrar has not closed the voter roll yet; the election key binds to it")
	}
	for i, v := range s.verdicts {
		if v == nil {
			return reject(CodeWrongPhase, "trustee %d has not accepted its shares yet", i+1)
		}
	}
	m := s.manifest
	if err := ceremony.CheckVerdicts(s.manifestHash[:], len(m.Trustees), s.verdicts); err != nil {
		return reject(CodeWrongPhase, "the ceremony failed: %v", err)
	}
	if err := ceremony.VerifyJointKey(s.manifestHash[:], m.Threshold, len(m.Trustees), s.commitments, jk); err != nil {
		return reject(CodeBadProof, "joint key does not match the trustees' commitments: %v", err)
	}
	coeffs := make([][]*crypto.Element, len(s.commitments))
	for i, c := range s.commitments {
		coeffs[i] = c.Coefficients
	}
	e, err := ballot.NewElection(m, s.roll, jk.PublicKey, coeffs)
	if err != nil {
		return reject(CodeBadProof, "%v", err)
	}
	s.vks = make(map[uint32]*crypto.Element, len(jk.VerificationKeys))
	for i, vk := range jk.VerificationKeys {
		s.vks[uint32(i+1)] = vk
	}
	s.joint, s.election = jk, e
	s.sums = tally.NewAccumulator(m.OptionCount())
	s.counted = make([]countedBallot, s.roll.Size())
	s.contests = make([]contestCount, len(m.Contests))
	for i, n := range contestVoters(m, s.roll.StyleSizes()) {
		s.contests[i].voters = n
	}
	s.ciphertexts = newCiphertextLog(s.sums.Len() + writeInTexts(m))
	s.phase = Ready
	return nil
}

// publishedClient is a client build's hash as the record at index
// published it.
type publishedClient struct {
	ClientHash
	index uint64
}

func (s *State) admitClientHash(index uint64, author []byte, c *ClientHash) error {
	if err := s.requireOfficial(author, "a client hash"); err != nil {
		return err
	}
	if c.Election != hexHash(s.manifestHash) {
		return reject(bulletin.CodeMalformed, "client hash is for another election")
	}
	if err := ballot.CheckText(c.Name, ballot.MaxClientNameLen); err != nil {
		return reject(bulletin.CodeMalformed, "the client build's name %v", err)
	}
	if b, err := hex.DecodeString(c.SHA256); err != nil || len(b) != 32 || hex.EncodeToString(b) != c.SHA256 {
		return reject(bulletin.CodeMalformed, "client hash needs a SHA-256 in 64 lowercase hex digits")
	}
	if s.phase >= Closed {
		return reject(CodeWrongPhase, "client builds can only be published before voting closes")
	}
	for _, p := range s.clients {
		if p.Name == c.Name && p.SHA256 == c.SHA256 {
			return reject(bulletin.CodeDuplicate, "this client build is already published as record %d", p.index)
		}
	}
	s.clients = append(s.clients, publishedClient{*c, index})
	return nil
}

// admitPhase admits a phase change; bound says whether a closing record
// must name what it closes (always, but for AdmitStaleClose).
func (s *State) admitPhase(rec *bulletin.Record, p *PhaseChange, bound bool) error {
	if err := s.requireOfficial(rec.Author, "a phase change"); err != nil {
		return err
	}
	if p.Election != hexHash(s.manifestHash) {
		return reject(bulletin.CodeMalformed, "phase change is for another election")
	}
	switch p.Phase {
	case PhaseOpen:
		if p.Size != 0 || p.Root != "" || p.Sums != "" {
			return reject(bulletin.CodeMalformed, "only the closing record names a tree head and sums")
		}
		if s.phase != Ready {
			return reject(CodeWrongPhase, "voting can open only once the key ceremony is complete and before it closed; the election is %s", s.phase)
		}
		s.phase = Open
	case PhaseClosed:
		if s.phase != Open {
			return reject(CodeWrongPhase, "voting can close only while it is open; the election is %s", s.phase)
		}
		if bound {
			if err := s.checkCloses(rec.Index, p); err != nil {
				return err
			}
		}
		s.closed = &closeRecord{index: rec.Index, hash: CloseHash(rec.Payload)}
		s.phase = Closed
	default:
		return reject(bulletin.CodeMalformed, "unknown phase %q (want %q or %q)", p.Phase, PhaseOpen, PhaseClosed)
	}
	return nil
}

// checkCloses checks that a closing record at index names what it closes:
// every record before it (the tree head of size index) and the encrypted
// sums of the ballots counted among them. A close made for another history
// (a fork, or the board before more ballots came) fails. The caller holds
// s.mu, and the tree holds exactly the records before index.
func (s *State) checkCloses(index uint64, p *PhaseChange) error {
	if p.Size != int64(index) {
		return reject(CodeStale, "the closing record names the board's first %d records, but %d records precede it here: "+
			"it was made for another history of the board, or records came after the official looked (sync and close again)", p.Size, index)
	}
	if root := s.tree.Root(); p.Root != hex.EncodeToString(root[:]) {
		return reject(CodeStale, "the closing record names a board whose first %d records hash to %.16s…, but the records before it here hash to %.16s…: "+
			"it was made for another history of the board (a fork)", p.Size, p.Root, hex.EncodeToString(root[:]))
	}
	if sums := tally.SumsHash(s.sums.Sums()); p.Sums != hex.EncodeToString(sums[:]) {
		return reject(CodeStale, "the closing record names encrypted sums %.16s…, but the ballots counted before it sum to %.16s…", p.Sums, hex.EncodeToString(sums[:]))
	}
	return nil
}

// ballotContext returns the election context to check author's ballot
// against, after the checks of checkVoter.
func (s *State) ballotContext(author []byte) (*ballot.Election, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.checkVoter(author); err != nil {
		return nil, err
	}
	return s.election, nil
}

// checkVoter checks, before any costly proof, that ballots can be checked
// and that author is on the voter roll. The caller holds s.mu.
func (s *State) checkVoter(author []byte) error {
	if s.election == nil {
		return reject(CodeWrongPhase, "the election key is not ready; ballots cannot be accepted yet")
	}
	if len(author) != ed25519.PublicKeySize || !s.election.Eligible(author) {
		return reject(CodeIneligible, "the credential %x… is not on the voter roll", author[:min(len(author), 8)])
	}
	return nil
}

// requireVoter checks that a ballot or challenged ballot may be posted at
// board time t by author: voting is open and t lies within the definition's
// schedule, author is on the roll, and credential is author.
func (s *State) requireVoter(author, credential []byte, t time.Time, what string) error {
	if err := s.requirePhase(Open, what); err != nil {
		return err
	}
	m := s.manifest
	// Both bounds are inclusive (docs/spec/election.md §4).
	const boardTime = "2006-01-02T15:04:05.000Z07:00"
	if t.Before(m.Opens) {
		return reject(CodeWrongPhase, "voting opens at %s; the board's time is %s", m.Opens.Format(time.RFC3339), t.Format(boardTime))
	}
	if t.After(m.Closes) {
		return reject(CodeWrongPhase, "voting closed at %s; the board's time is %s", m.Closes.Format(time.RFC3339), t.Format(boardTime))
	}
	if err := s.checkVoter(author); err != nil {
		return err
	}
	if !bytes.Equal(author, credential) {
		return reject(CodeUnauthorized, "the ballot names another credential than the one that signed it")
	}
	return nil
}

func (s *State) admitBallot(index uint64, author []byte, t time.Time, code ballot.ConfirmationCode, b *ballot.EncryptedBallot) error {
	if err := s.requireVoter(author, b.Credential, t, "a ballot"); err != nil {
		return err
	}
	if b.Election != s.election.BaseHash {
		return reject(bulletin.CodeMalformed, "the ballot is for another election")
	}
	if use, ok := s.codes.find(code, s.slotIndex); ok {
		if use.challenged {
			return reject(bulletin.CodeDuplicate, "this ballot was challenged in record %d, so its randomness is public; encrypt your choices afresh", use.index)
		}
		return reject(bulletin.CodeDuplicate, "this ballot is already on the board as record %d", use.index)
	}
	key := [32]byte(author)
	if later, ok := s.prevRefs[prevKey{key, code}]; ok {
		return reject(CodeWrongOrder, "record %d, a later ballot from the same device, already follows this one; casting it now would wrongly replace that later ballot", later)
	}
	v, _ := s.election.Voter(author)
	if b.Style != v.Style {
		return reject(CodeWrongStyle, "the ballot is of style %q, but the voter's roll entry gives style %q", b.Style, v.Style)
	}
	cts, stored, err := s.positions(v, b)
	if err != nil {
		return err
	}
	encs := b.EncodedCiphertexts()
	nonces := make([]nonce, len(encs))
	for i, enc := range encs {
		nonces[i] = nonceOf(enc)
		if at, ok := s.openNonces[nonces[i]]; ok {
			return reject(bulletin.CodeDuplicate, "a ciphertext of this ballot was revealed by the challenged ballot of record %d, so what it encrypts is public; encrypt your choices afresh", at)
		}
	}
	entry := v.Entry
	prev := s.counted[entry]
	revote := prev.index != 0
	var old []*crypto.Ciphertext
	if revote {
		oldEncs, err := s.ciphertexts.get(prev.slot)
		if err != nil {
			return err
		}
		oldEncs = oldEncs[:s.sums.Len()] // the options'; the write-in texts follow
		old = make([]*crypto.Ciphertext, len(oldEncs))
		for i, enc := range oldEncs {
			if old[i], err = new(crypto.Ciphertext).SetBytes(enc); err != nil {
				panic(fmt.Sprintf("election: a stored ciphertext of record %d does not decode: %v", prev.index, err))
			}
		}
	}
	slot, err := s.ciphertexts.add(stored)
	if err != nil {
		return err
	}
	// A re-vote is the same voter's, of the same style and weight.
	if revote {
		err = s.sums.Subtract(old, v.Weight)
	}
	if err == nil {
		err = s.sums.Add(cts, v.Weight)
	}
	if err != nil { // the lengths were checked above, and no ciphertext is nil
		panic("election: " + err.Error())
	}
	if revote {
		s.superseded[prev.index] = replacement{index: index, time: t}
		s.supersedes[index] = prev.index
	} else {
		s.noteCounted(v)
	}
	s.counted[entry] = countedBallot{index: index, slot: slot}
	s.codes.addCast(code, slot, index)
	for _, n := range nonces {
		s.castNonces.add(n, slot)
	}
	s.slotIndex = append(s.slotIndex, index)
	s.notePrev(index, key, b.Prev)
	s.ballots++
	return nil
}

// notePrev remembers that the record at index, by credential cred, names
// prev as its device's previous confirmation code.
func (s *State) notePrev(index uint64, cred [32]byte, prev ballot.ConfirmationCode) {
	if prev == (ballot.ConfirmationCode{}) {
		return
	}
	k := prevKey{cred, prev}
	if _, ok := s.prevRefs[k]; !ok {
		s.prevRefs[k] = index
	}
}

// positions returns the ciphertexts of a ballot of v's style at the
// tally's positions, every option of every contest in manifest order, with
// the trivial encryption of 0 (crypto.NewCiphertext) at the options of the
// contests not on its ballot (docs/spec/tally.md §2), and the encodings to
// store: those (the ballot's as parsed, so that none is encoded again),
// then the write-in text ciphertexts of every contest with a write-in in
// manifest order (writeInTexts), trivial ones for a contest not on it.
func (s *State) positions(v ballot.Voter, b *ballot.EncryptedBallot) ([]*crypto.Ciphertext, [][]byte, error) {
	m := s.manifest
	if len(b.Contests) != len(v.Contests) {
		return nil, nil, reject(bulletin.CodeMalformed, "the ballot has %d contests, the voter's ballot (style %q) %d", len(b.Contests), v.Style, len(v.Contests))
	}
	encs := b.EncodedCiphertexts()
	cts := make([]*crypto.Ciphertext, 0, s.sums.Len())
	all := make([][]byte, 0, s.sums.Len())
	next, at := 0, 0 // the next contest of the ballot, and its first option's ciphertext
	for i, mc := range m.Contests {
		if next < len(v.Contests) && v.Contests[next] == i {
			bc := &b.Contests[next]
			if len(bc.Options) != len(mc.Options) {
				return nil, nil, reject(bulletin.CodeMalformed, "the ballot's contest %q does not have the %d options of the election's", mc.ID, len(mc.Options))
			}
			for _, o := range bc.Options {
				cts = append(cts, o.Ciphertext)
			}
			all = append(all, encs[at:at+len(bc.Options)]...)
			next, at = next+1, at+len(bc.Options)
			continue
		}
		for range mc.Options {
			cts = append(cts, crypto.NewCiphertext())
			all = append(all, zeroEncoding)
		}
	}
	next = 0
	for i, mc := range m.Contests {
		on := next < len(v.Contests) && v.Contests[next] == i
		if on {
			next++
		}
		if mc.WriteIn == nil {
			continue
		}
		if !on {
			for range mc.WriteIn.TextCiphertexts() {
				all = append(all, zeroEncoding)
			}
			continue
		}
		w := b.Contests[next-1].WriteIn
		if len(w) != mc.WriteIn.TextCiphertexts() { // the ballot's checks refused it already
			return nil, nil, reject(CodeBadWriteIn, "the ballot's contest %q does not carry the %d write-in text ciphertexts of the election's", mc.ID, mc.WriteIn.TextCiphertexts())
		}
		for _, t := range w {
			all = append(all, t.Ciphertext.Bytes())
		}
	}
	return cts, all, nil
}

// zeroEncoding is the encoding of crypto.NewCiphertext(), the trivial
// encryption of 0 at the positions of the contests not on a ballot.
var zeroEncoding = crypto.NewCiphertext().Bytes()

func (s *State) admitChallenge(index uint64, author []byte, t time.Time, c *ballot.ChallengedBallot) error {
	if err := s.requireVoter(author, c.Ballot.Credential, t, "a challenged ballot"); err != nil {
		return err
	}
	if c.Ballot.Election != s.election.BaseHash {
		return reject(bulletin.CodeMalformed, "the challenged ballot is for another election")
	}
	code := c.Ballot.ConfirmationCode()
	if use, ok := s.codes.find(code, s.slotIndex); ok {
		if use.challenged {
			return reject(bulletin.CodeDuplicate, "this ballot was already challenged in record %d", use.index)
		}
		return reject(bulletin.CodeDuplicate, "this ballot was cast as record %d; revealing it would expose a counted vote", use.index)
	}
	encs := c.Ballot.EncodedCiphertexts()
	nonces := make([]nonce, len(encs))
	for i, enc := range encs {
		nonces[i] = nonceOf(enc)
	}
	at, found, err := s.castWithNonce(nonces)
	if err != nil {
		return err
	}
	if found {
		return reject(bulletin.CodeDuplicate, "a ciphertext of this ballot is also in the ballot cast as record %d; revealing it would expose a cast vote", at)
	}
	for _, n := range nonces {
		if _, ok := s.openNonces[n]; !ok {
			s.openNonces[n] = index
		}
	}
	s.codes.addChallenged(code, index)
	s.notePrev(index, [32]byte(author), c.Ballot.Prev)
	s.challenged++
	return nil
}

// castWithNonce returns the first cast ballot, counted or superseded, with
// a ciphertext whose nonce fingerprint is one of ns.
func (s *State) castWithNonce(ns []nonce) (index uint64, found bool, err error) {
	for _, slot := range s.castNonces.candidates(ns) {
		encs, err := s.ciphertexts.get(slot)
		if err != nil {
			return 0, false, err
		}
		for _, enc := range encs {
			if slices.Contains(ns, nonceOf(enc)) {
				return s.slotIndex[slot], true, nil
			}
		}
	}
	return 0, false, nil
}

func (s *State) admitPartial(author []byte, p *PartialRecord) error {
	if err := s.requirePhase(Closed, "a partial decryption"); err != nil {
		return err
	}
	if p.Election != hexHash(s.election.BaseHash) {
		return reject(bulletin.CodeMalformed, "partial decryption is for another election")
	}
	if err := s.checkClose(p.Close, "partial decryption", "decrypts the sums"); err != nil {
		return err
	}
	if err := s.checkPrivacyFloor(); err != nil {
		return err
	}
	if err := s.requireTrustee(author, p.Partial.Trustee, s.manifestHash[:]); err != nil {
		return err
	}
	if _, ok := s.partials[p.Partial.Trustee]; ok {
		return reject(bulletin.CodeDuplicate, "trustee %d has already posted its partial decryption", p.Partial.Trustee)
	}
	s.partials[p.Partial.Trustee] = p.Partial
	s.partialList = append(s.partialList, p.Partial)
	return nil
}

// checkClose checks that a record (what: a partial decryption or a mix,
// which does something to another history's ballots if it names another
// closing record) names this board's closing record (CloseHash, in hex).
// The caller holds s.mu.
func (s *State) checkClose(named, what, does string) error {
	if want := hex.EncodeToString(s.closed.hash[:]); named != want {
		return reject(CodeStale, "the %s names the closing record %.16s…, but this board was closed by record %d (%.16s…): it %s of another history", what, named, s.closed.index, want, does)
	}
	return nil
}

// checkPrivacyFloor refuses to decrypt a tally of fewer ballots than the
// definition's min_counted, so that no tally reveals a handful of votes.
// The caller holds s.mu.
func (s *State) checkPrivacyFloor() error {
	if n, floor := int64(s.nCounted), s.manifest.PrivacyFloor(s.roll.Size()); n < floor {
		return reject(CodeWrongPhase, "only %d ballots are counted, fewer than the %d the definition requires before anyone decrypts the tally (min_counted, the privacy floor)", n, floor)
	}
	return s.contestFloors()
}

func (s *State) admitResult(author []byte, r *ResultRecord) error {
	if err := s.requirePhase(Closed, "the result"); err != nil {
		return err
	}
	if err := s.requireOfficial(author, "the result"); err != nil {
		return err
	}
	if r.Election != hexHash(s.election.BaseHash) {
		return reject(bulletin.CodeMalformed, "result is for another election")
	}
	m := s.manifest
	if len(s.partials) < m.Threshold {
		return reject(CodeWrongPhase, "the result needs %d partial decryptions; %d are on the board", m.Threshold, len(s.partials))
	}
	if err := s.checkResultCounts(r); err != nil {
		return err
	}
	if err := tally.VerifyResult(s.election.BaseHash[:], m.Threshold, s.sums.Sums(), s.vks, s.partialList, r.Tally); err != nil {
		return reject(CodeBadProof, "the result does not follow from the board: %v", err)
	}
	s.result = r.Tally
	s.phase = Tallied
	return nil
}

// VerifyProofs checks the proofs in a record's payload v against the
// election context fixed by earlier records: ceremony proofs, ballot range
// proofs, challenged ballots and partial decryptions. It is safe for
// concurrent use. Records without proofs pass.
func (s *State) VerifyProofs(typ string, author []byte, v any) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := s.manifest
	switch v := v.(type) {
	case *ceremony.Commitments:
		if m == nil {
			return reject(CodeWrongPhase, "no election is defined yet")
		}
		if err := ceremony.VerifyCommitments(s.manifestHash[:], m.Threshold, len(m.Trustees), v); err != nil {
			return reject(CodeBadProof, "%v", err)
		}
	case *ceremony.Shares:
		if m == nil {
			return reject(CodeWrongPhase, "no election is defined yet")
		}
		if err := ceremony.VerifyShares(s.manifestHash[:], len(m.Trustees), v); err != nil {
			return reject(CodeBadProof, "%v", err)
		}
	case *ballot.EncryptedBallot:
		if err := s.checkVoter(author); err != nil {
			return err
		}
		if err := ballot.VerifyBallot(s.election, v, author); err != nil {
			return rejectBallot(err)
		}
	case *ballot.ChallengedBallot:
		if err := s.checkVoter(author); err != nil {
			return err
		}
		if err := ballot.VerifyChallenge(s.election, v); err != nil {
			return rejectBallot(err)
		}
	case *PartialRecord:
		if s.phase < Closed {
			return reject(CodeWrongPhase, "partial decryptions are accepted only after voting closes; the election is %s", s.phase)
		}
		vk, ok := s.vks[v.Partial.Trustee]
		if !ok {
			return reject(CodeUnauthorized, "no trustee %d in this election", v.Partial.Trustee)
		}
		if err := tally.VerifyPartial(s.election.BaseHash[:], vk, s.sums.Sums(), v.Partial); err != nil {
			return reject(CodeBadProof, "%v", err)
		}
	case *MixRecord:
		if s.election == nil {
			return reject(CodeWrongPhase, "ballots are mixed only after voting closes; the election is %s", s.phase)
		}
		return s.verifyMix(author, v)
	case *MixDecryptionRecord:
		if s.election == nil {
			return reject(CodeWrongPhase, "mixed ballots are decrypted only after voting closes; the election is %s", s.phase)
		}
		return s.verifyMixDecryption(author, v)
	}
	return nil
}

// Summary is a snapshot of an election's public state.
type Summary struct {
	Phase        string `json:"phase"`
	Title        string `json:"title,omitempty"`
	ManifestHash string `json:"manifest_hash,omitempty"`
	BaseHash     string `json:"base_hash,omitempty"`
	Registrar    string `json:"registrar,omitempty"` // base64 key
	Voters       int64  `json:"voters"`              // roll entries so far
	RollClosed   bool   `json:"roll_closed"`
	Ballots      int    `json:"ballots"`    // ballot records accepted
	Counted      int    `json:"counted"`    // ballots that count (the last of each voter)
	Superseded   int    `json:"superseded"` // ballots replaced by a later one of the same voter
	Challenged   int    `json:"challenged"`
	Partials     int    `json:"partial_decryptions"`
}

// Summary returns a snapshot of the state.
func (s *State) Summary() Summary {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sum := Summary{
		Phase:      s.phase.String(),
		Ballots:    s.ballots,
		Counted:    s.nCounted,
		Superseded: len(s.superseded),
		Challenged: s.challenged,
		Partials:   len(s.partials),
	}
	if s.manifest != nil {
		sum.Title = s.manifest.Title
		sum.ManifestHash = hexHash(s.manifestHash)
		sum.Registrar = base64.StdEncoding.EncodeToString(s.manifest.Registrar)
		sum.Voters, sum.RollClosed = s.rollSize(), s.roll != nil
	}
	if s.election != nil {
		sum.BaseHash = hexHash(s.election.BaseHash)
	}
	return sum
}

// rollSize returns the number of roll entries so far. The caller holds s.mu.
func (s *State) rollSize() int64 {
	if s.roll != nil {
		return s.roll.Size()
	}
	if s.rollBuilder != nil {
		return s.rollBuilder.Size()
	}
	return 0
}

// Roll returns the closed voter roll, or nil before the registrar closes it.
func (s *State) Roll() *ballot.Roll {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.roll
}

// RollCloseRecord returns the payload of the registrar's record that
// closes the roll as this state has it: its size and hash.
func (s *State) RollCloseRecord() (*ballot.RollClose, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch {
	case s.manifest == nil:
		return nil, errors.New("election: no election is defined yet")
	case s.roll != nil:
		return nil, fmt.Errorf("election: the voter roll is already closed, with %d voters", s.roll.Size())
	case s.rollBuilder.Size() == 0:
		return nil, errors.New("election: the voter roll is empty")
	}
	return &ballot.RollClose{Election: s.manifestHash, Size: s.rollBuilder.Size(), Hash: s.rollBuilder.Hash()}, nil
}

// RollEntry returns the roll entry of the credential key cred, and
// whether it is on the roll, closed or not.
func (s *State) RollEntry(cred ed25519.PublicKey) (int64, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch {
	case s.roll != nil:
		return s.roll.Entry(cred)
	case s.rollBuilder != nil:
		return s.rollBuilder.Entry(cred)
	}
	return 0, false
}

// RollStatus returns the number of roll entries posted so far and
// whether the roll is closed.
func (s *State) RollStatus() (entries int64, closed bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.rollSize(), s.roll != nil
}

// Phase returns the current phase.
func (s *State) Phase() Phase {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.phase
}

// Manifest returns the election definition, or nil before it is posted.
func (s *State) Manifest() *ballot.Manifest {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.manifest
}

// ManifestHash returns the hash of the posted definition.
func (s *State) ManifestHash() [32]byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.manifestHash
}

// Election returns the election context (definition, base hash, joint
// key), or nil before the joint key is posted.
func (s *State) Election() *ballot.Election {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.election
}

// Ceremony returns the ceremony messages posted so far, each indexed by
// trustee index − 1 (nil where missing).
func (s *State) Ceremony() (commitments []*ceremony.Commitments, shares []*ceremony.Shares, verdicts []*ceremony.Verdict) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]*ceremony.Commitments(nil), s.commitments...),
		append([]*ceremony.Shares(nil), s.shares...),
		append([]*ceremony.Verdict(nil), s.verdicts...)
}

// CeremonyFailure returns the complaints that stopped the ceremony, or nil.
func (s *State) CeremonyFailure() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.complaints
}

// JointKey returns the posted joint key record, or nil.
func (s *State) JointKey() *ceremony.JointKey {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.joint
}

// Sums returns copies of the per-option encrypted sums of the counted
// ballots, contest by contest, option by option, or nil before the
// election is defined.
func (s *State) Sums() []*crypto.Ciphertext {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.sums == nil {
		return nil
	}
	return s.sums.Sums()
}

// Partials returns the partial decryptions posted so far, in board order.
func (s *State) Partials() []*tally.PartialDecryption {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]*tally.PartialDecryption(nil), s.partialList...)
}

// VerificationKeys returns the trustees' public verification keys, by index.
func (s *State) VerificationKeys() map[uint32]*crypto.Element {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.vks
}

// Superseded returns, for every ballot replaced by a later one of the same
// voter, the index of the replacing ballot.
func (s *State) Superseded() map[uint64]uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[uint64]uint64, len(s.superseded))
	for k, v := range s.superseded {
		out[k] = v.index
	}
	return out
}

// BallotStatus says what became of a ballot record: it counts, or a later
// ballot of the same credential replaced it.
type BallotStatus struct {
	// Counted reports whether the ballot is its credential's counted one.
	Counted bool
	// ReplacedBy and ReplacedAt name the ballot that replaced it, and its
	// board time, if it no longer counts.
	ReplacedBy uint64
	ReplacedAt time.Time
	// Current is the index of the credential's ballot that counts now.
	Current uint64
}

// BallotStatus returns the status of the ballot record rec, which the
// state has taken in; ok is false if rec is not an admitted ballot.
func (s *State) BallotStatus(rec *bulletin.Record) (st BallotStatus, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if rec.Type != TypeBallot || len(rec.Author) != ed25519.PublicKeySize {
		return st, false
	}
	cur, ok := s.countedBallot(rec.Author)
	if !ok {
		return st, false
	}
	st.Current = cur.index
	if cur.index == rec.Index {
		st.Counted = true
		return st, true
	}
	r, ok := s.superseded[rec.Index]
	if !ok {
		return st, false
	}
	st.ReplacedBy, st.ReplacedAt = r.index, r.time
	return st, true
}

// Notice says what admitting the record at index changed, for the board to
// tell its poster: for a ballot that replaced the voter's earlier one, which
// record no longer counts. Other records get "".
func (s *State) Notice(index uint64) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if old, ok := s.supersedes[index]; ok {
		return fmt.Sprintf("this ballot replaces the voter's earlier ballot, record %d, which no longer counts", old)
	}
	return ""
}

// CountedBallots returns the number of ballots that count.
func (s *State) CountedBallots() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.nCounted
}

// CheckPrivacyFloor returns nil if enough ballots count for their tally
// to be decrypted: at least the definition's min_counted for the closed
// roll (ballot.Manifest.PrivacyFloor). Otherwise it returns the refusal
// (code CodeWrongPhase) that a partial decryption would meet on the board.
func (s *State) CheckPrivacyFloor() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.roll == nil {
		return reject(CodeWrongPhase, "the voter roll is not closed; no tally can be decrypted before it is")
	}
	return s.checkPrivacyFloor()
}

// Closing returns the hash (CloseHash) of the official's closing record,
// by which partial decryptions name it, and its index; ok is false before
// voting closes.
func (s *State) Closing() (hash [32]byte, index uint64, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed == nil {
		return hash, 0, false
	}
	return s.closed.hash, s.closed.index, true
}

// Result returns the posted result, or nil.
func (s *State) Result() *tally.Result {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.result
}

// ClientHashes returns the published voter client builds.
func (s *State) ClientHashes() []ClientHash {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var hashes []ClientHash
	for _, p := range s.clients {
		hashes = append(hashes, p.ClientHash)
	}
	return hashes
}

// CastBallot returns the index of the ballot that currently counts for the
// credential, if it has cast one.
func (s *State) CastBallot(cred ed25519.PublicKey) (uint64, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.countedBallot(cred)
	return b.index, ok
}

// countedBallot returns the counted ballot of the credential cred, if it
// has one. The caller holds s.mu.
func (s *State) countedBallot(cred []byte) (countedBallot, bool) {
	if s.counted == nil {
		return countedBallot{}, false
	}
	entry, ok := s.roll.Entry(cred)
	if !ok || s.counted[entry].index == 0 {
		return countedBallot{}, false
	}
	return s.counted[entry], true
}
