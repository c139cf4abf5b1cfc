package ballot

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/evote/evote/crypto"
	"github.com/evote/evote/internal/strictjson"
)

const (
	proofCtxLbl     = "evote/v1/ballot/proof-ctx\x00"
	confirmationLbl = "evote/v1/ballot/confirmation\x00"
	blobHeaderSize  = 8
)

// SumOption is the option index that names a contest's sum proof in
// errors and ProofRef.
const SumOption = -1

const sumOption = SumOption

// EncryptedBallot is a voter's encrypted ballot (docs/spec/ballot.md §4).
// The board record carrying it is signed by Credential, so the ballot has no
// signature of its own.
type EncryptedBallot struct {
	Version    string            // Version
	Election   [32]byte          // the election base hash
	Credential ed25519.PublicKey // the voter's credential, which signs the record
	Prev       ConfirmationCode  // the device's previous confirmation code, zero for the first
	// Style is the ballot style (§1.6) the voter's roll entry gives, ""
	// if the definition has none; Contests are that style's, in manifest
	// order.
	Style    string
	Contests []EncryptedContest
}

// EncryptedContest holds one contest's encrypted options and the proof that
// their sum lies in [min_selections, max_selections], and for a contest
// with a write-in the encrypted text.
type EncryptedContest struct {
	Options  []EncryptedOption
	SumProof *crypto.RangeProof
	// WriteIn is the write-in text of a contest that has one
	// (docs/spec/ballot.md §4.1 write_ins), m ciphertexts; nil otherwise.
	WriteIn []EncryptedText
}

// EncryptedText is one ciphertext of a write-in text, (r·G, M + r·K) of an
// element M of the text's encoding (docs/spec/ranked.md §8), with the
// Schnorr proof of knowledge of r for r·G (§8.4).
type EncryptedText struct {
	Ciphertext *crypto.Ciphertext
	Proof      *crypto.SchnorrProof
}

// EncryptedOption is the encryption of one option's count with a proof that
// it lies in [0, option_max].
type EncryptedOption struct {
	Ciphertext *crypto.Ciphertext
	Proof      *crypto.RangeProof

	// encoded is the canonical encoding of parsed, the ciphertext as
	// parsed, kept so that neither EncodedCiphertexts nor batch
	// verification encode it again; nil for a built option.
	encoded []byte
	parsed  *crypto.Ciphertext
}

// encoding returns the parsed encoding of o's ciphertext, or nil if o was
// built rather than parsed or its Ciphertext was replaced since.
func (o *EncryptedOption) encoding() []byte {
	if o.parsed != o.Ciphertext {
		return nil
	}
	return o.encoded
}

// EncodedCiphertexts returns the canonical encodings of the ballot's
// ciphertexts, contest by contest, option by option. For a ballot from
// ParseEncryptedBallot they are the parsed bytes (so changing a parsed
// ballot's Ciphertext fields does not change them); otherwise they are
// encoded now.
func (b *EncryptedBallot) EncodedCiphertexts() [][]byte {
	var out [][]byte
	for _, c := range b.Contests {
		for k := range c.Options {
			if enc := c.Options[k].encoding(); enc != nil {
				out = append(out, enc)
			} else {
				out = append(out, c.Options[k].Ciphertext.Bytes())
			}
		}
	}
	return out
}

// BallotSecrets is what the encrypting device knows about a ballot: the
// choices and the randomness of every option ciphertext. It is secret
// unless the voter challenges the ballot (see Challenge).
type BallotSecrets struct {
	Choices    Choices
	Randomness [][]*crypto.Scalar
	// WriteIns are the write-in texts, one per manifest contest ("" for
	// none), nil if the voter wrote none in; WriteInRandomness the
	// randomness of every text ciphertext, per manifest contest (nil for a
	// contest without a write-in or not on the ballot).
	WriteIns          WriteIns
	WriteInRandomness [][]*crypto.Scalar
}

// Sum returns the encrypted sum of the contest's options (the statement of
// SumProof).
func (c *EncryptedContest) Sum() *crypto.Ciphertext {
	s := crypto.NewCiphertext()
	for _, o := range c.Options {
		s.Add(s, o.Ciphertext)
	}
	return s
}

// ProofContext returns the context bytes that the proof at (contest,
// option) of a ballot with credential and prev binds to; option is
// SumOption for the sum proof (docs/spec/ballot.md §4.2):
//
//	SHA-256("evote/v1/ballot/proof-ctx\x00" || baseHash || credential ||
//	        prev || u32be(contest) || tag || u32be(option))
//
// with tag 0x00 and the option index for an option proof, tag 0x01 and 0
// for the sum proof. Binding prev means a ballot's ciphertexts and proofs
// cannot be posted again under another device chain.
func ProofContext(baseHash [32]byte, credential ed25519.PublicKey, prev ConfirmationCode, contest, option int) []byte {
	if option == SumOption {
		return proofContext(baseHash, credential, prev, contest, 1, 0)
	}
	return proofContext(baseHash, credential, prev, contest, 0, option)
}

// WriteInContext returns the context that the proof of knowledge of the
// write-in text ciphertext i of the contest (its manifest index) binds to:
// the ProofContext with tag 0x02 and u32be(i) (docs/spec/ballot.md §4.2,
// ranked.md §8.4).
func WriteInContext(baseHash [32]byte, credential ed25519.PublicKey, prev ConfirmationCode, contest, i int) []byte {
	return proofContext(baseHash, credential, prev, contest, 2, i)
}

func proofContext(baseHash [32]byte, credential ed25519.PublicKey, prev ConfirmationCode, contest int, tag byte, index int) []byte {
	var buf [len(proofCtxLbl) + 32 + ed25519.PublicKeySize + len(prev) + 9]byte
	b := append(buf[:0], proofCtxLbl...)
	b = append(b, baseHash[:]...)
	b = append(b, credential...)
	b = append(b, prev[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(contest))
	b = append(b, tag)
	b = binary.BigEndian.AppendUint32(b, uint32(index))
	h := sha256.Sum256(b)
	return h[:]
}

// ErrNotEligible means the credential is not on the voter roll.
var ErrNotEligible = errors.New("credential is not on the voter roll")

// Encrypt encrypts choices for the voter with credential cred, chained to
// the device's previous confirmation code prev (zero for its first ballot).
// choices has one entry per contest of the manifest, nil for the contests
// not on the voter's ballot style. It refuses invalid choices (a
// *ChoiceError), choices for another style's contests (ErrStyle) and
// credentials not on the roll. Randomness comes from crypto/rand. The
// secrets let the voter challenge the ballot; they must be discarded if it
// is cast.
func Encrypt(e *Election, cred ed25519.PublicKey, choices Choices, prev ConfirmationCode) (*EncryptedBallot, *BallotSecrets, error) {
	return EncryptWriteIns(e, cred, choices, nil, prev)
}

// EncryptWriteIns is Encrypt with the write-in texts of the ballot
// (docs/spec/ranked.md §8): writeIns has one text per manifest contest, ""
// where the voter writes nothing in, or is nil for none. A contest with a
// write-in carries its text encrypted whether the voter wrote one or not
// (the empty text then), so the ballot does not tell. It refuses texts
// that ValidateWriteIns refuses.
func EncryptWriteIns(e *Election, cred ed25519.PublicKey, choices Choices, writeIns WriteIns, prev ConfirmationCode) (*EncryptedBallot, *BallotSecrets, error) {
	if err := ValidateChoices(e.Manifest, choices); err != nil {
		return nil, nil, fmt.Errorf("encrypt: %w", err)
	}
	if err := ValidateWriteIns(e.Manifest, choices, writeIns); err != nil {
		return nil, nil, fmt.Errorf("encrypt: %w", err)
	}
	v, ok := e.Voter(cred)
	if !ok {
		return nil, nil, fmt.Errorf("encrypt: %w", ErrNotEligible)
	}
	if err := checkChoicesStyle(e.Manifest, v, choices); err != nil {
		return nil, nil, fmt.Errorf("encrypt: %w", err)
	}
	pk := e.PublicKey
	b := &EncryptedBallot{
		Version:    Version,
		Election:   e.BaseHash,
		Credential: bytes.Clone(cred),
		Prev:       prev,
		Style:      v.Style,
		Contests:   make([]EncryptedContest, len(v.Contests)),
	}
	s := &BallotSecrets{Choices: make(Choices, len(choices)), Randomness: make([][]*crypto.Scalar, len(choices)), WriteInRandomness: make([][]*crypto.Scalar, len(choices))}
	for j, i := range v.Contests {
		mc := e.Manifest.Contests[i]
		s.Choices[i] = append([]uint64(nil), choices[i]...)
		s.Randomness[i] = make([]*crypto.Scalar, len(mc.Options))
		ec := EncryptedContest{Options: make([]EncryptedOption, len(mc.Options))}
		sumCt, sumR := crypto.NewCiphertext(), crypto.NewScalar()
		var sum uint64
		for k, v := range choices[i] {
			ct, r := pk.Encrypt(v)
			p, err := crypto.ProveRange(ProofContext(e.BaseHash, cred, prev, i, k), pk, ct, v, r, 0, uint64(mc.OptionMax))
			if err != nil {
				return nil, nil, fmt.Errorf("encrypt: %s%w", where(i, mc.ID, k, mc.Options[k].ID), err)
			}
			ec.Options[k] = EncryptedOption{Ciphertext: ct, Proof: p}
			s.Randomness[i][k] = r
			sumCt.Add(sumCt, ct)
			sumR.Add(sumR, r)
			sum += v
		}
		lo, hi := mc.SumRange()
		p, err := crypto.ProveRange(ProofContext(e.BaseHash, cred, prev, i, SumOption), pk, sumCt, sum, sumR, lo, hi)
		if err != nil {
			return nil, nil, fmt.Errorf("encrypt: %s%w", where(i, mc.ID, SumOption, ""), err)
		}
		ec.SumProof = p
		if mc.WriteIn != nil {
			var text string
			if writeIns != nil {
				text = writeIns[i]
			}
			if ec.WriteIn, s.WriteInRandomness[i], err = encryptText(e, cred, prev, i, mc.WriteIn, text); err != nil {
				return nil, nil, fmt.Errorf("encrypt: %s%w", where(i, mc.ID, wholeContest, ""), err)
			}
		}
		b.Contests[j] = ec
	}
	if writeIns != nil {
		s.WriteIns = slices.Clone(writeIns)
	}
	return b, s, nil
}

// encryptText encrypts text as the write-in of contest i
// (docs/spec/ranked.md §8): its m elements, each with a proof of knowledge
// of its randomness bound to the ballot; and returns that randomness.
func encryptText(e *Election, cred ed25519.PublicKey, prev ConfirmationCode, i int, w *WriteIn, text string) ([]EncryptedText, []*crypto.Scalar, error) {
	elems, err := crypto.EncodeText(text, w.TextCiphertexts())
	if err != nil {
		return nil, nil, err
	}
	out, rs := make([]EncryptedText, len(elems)), make([]*crypto.Scalar, len(elems))
	for k, m := range elems {
		ct, r := e.PublicKey.EncryptElement(m)
		out[k], rs[k] = EncryptedText{Ciphertext: ct, Proof: crypto.ProveSchnorr(WriteInContext(e.BaseHash, cred, prev, i, k), r, &ct.A)}, r
	}
	return out, rs, nil
}

// checkChoicesStyle checks that choices, valid for ValidateChoices, have
// choices for exactly the contests of v's ballot style.
func checkChoicesStyle(m *Manifest, v Voter, choices Choices) error {
	on := 0
	for i, c := range choices {
		if len(c) == 0 {
			continue
		}
		if on >= len(v.Contests) || v.Contests[on] != i {
			return fmt.Errorf("%s%w: the voter's ballot (style %q) does not have this contest", where(i, m.Contests[i].ID, wholeContest, ""), ErrStyle, v.Style)
		}
		on++
	}
	if on < len(v.Contests) {
		i := v.Contests[on]
		return fmt.Errorf("%s%w: no choices for this contest of the voter's ballot (style %q)", where(i, m.Contests[i].ID, wholeContest, ""), ErrStyle, v.Style)
	}
	return nil
}

// ballotJSON is the canonical JSON layout (docs/spec/ballot.md §4.1).
type ballotJSON struct {
	Version    string   `json:"version"`
	Election   []byte   `json:"election"`
	Credential []byte   `json:"credential"`
	Prev       []byte   `json:"prev"`
	Style      string   `json:"style,omitempty"`
	Contests   [][]byte `json:"contests"`
	WriteIns   [][]byte `json:"write_ins,omitempty"`
}

// Marshal returns the canonical JSON encoding of b (docs/spec/ballot.md
// §4.1): each contest is one base64 blob of the binary layout
//
//	u32be(n) || u32be(Lo) || n × (ciphertext[64] || proof[Lo]) || sumproof
//
// It panics if b has nil ciphertexts or proofs, which Encrypt and
// ParseEncryptedBallot never produce.
func (b *EncryptedBallot) Marshal() []byte {
	out, err := marshalCompact(b.toJSON())
	if err != nil {
		panic("ballot: marshal: " + err.Error())
	}
	return out
}

func (b *EncryptedBallot) toJSON() *ballotJSON {
	j := &ballotJSON{
		Version:    b.Version,
		Election:   b.Election[:],
		Credential: b.Credential,
		Prev:       b.Prev[:],
		Style:      b.Style,
		Contests:   make([][]byte, len(b.Contests)),
	}
	for i := range b.Contests {
		j.Contests[i] = b.Contests[i].appendBlob(nil)
		if w := b.Contests[i].WriteIn; w != nil {
			j.WriteIns = append(j.WriteIns, appendWriteInBlob(nil, i, w))
		}
	}
	return j
}

// appendWriteInBlob appends the write_ins blob of the contest at position
// j of a ballot (docs/spec/ballot.md §4.1):
//
//	u32be(j) || u32be(m) || m × (ciphertext[64] || proof[64])
func appendWriteInBlob(out []byte, j int, w []EncryptedText) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(j))
	out = binary.BigEndian.AppendUint32(out, uint32(len(w)))
	for _, t := range w {
		out = append(out, t.Ciphertext.Bytes()...)
		out = append(out, t.Proof.Bytes()...)
	}
	return out
}

// writeInBlobEntry is the size of one text ciphertext and its proof in a
// write_ins blob.
const writeInBlobEntry = crypto.CiphertextSize + crypto.SchnorrProofSize

// parseWriteInBlob parses a write_ins blob into the contest it names,
// among b's, after the blob of position prev (−1 for the first); its
// proofs only if proofs is set (ParseStoredBallot leaves them nil).
func (b *EncryptedBallot) parseWriteInBlob(blob []byte, prev int, proofs bool) (int, error) {
	if len(blob) < 8 {
		return 0, fmt.Errorf("blob is %d bytes, shorter than its header", len(blob))
	}
	j, m := int(binary.BigEndian.Uint32(blob)), binary.BigEndian.Uint32(blob[4:])
	if j <= prev || j >= len(b.Contests) {
		return 0, fmt.Errorf("names contest %d, want one of %d … %d (each once, in order)", j, prev+1, len(b.Contests)-1)
	}
	if m == 0 || m > crypto.MaxTextElements {
		return 0, fmt.Errorf("%d text ciphertexts, want 1 to %d", m, crypto.MaxTextElements)
	}
	if want := 8 + int(m)*writeInBlobEntry; len(blob) != want {
		return 0, fmt.Errorf("blob is %d bytes, %d text ciphertexts with proofs take %d", len(blob), m, want)
	}
	w := make([]EncryptedText, m)
	for k := range w {
		at := blob[8+k*writeInBlobEntry:]
		ct, err := new(crypto.Ciphertext).SetBytes(at[:crypto.CiphertextSize])
		if err != nil {
			return 0, fmt.Errorf("text ciphertext %d: %w", k, err)
		}
		w[k] = EncryptedText{Ciphertext: ct}
		if !proofs {
			continue
		}
		if w[k].Proof, err = new(crypto.SchnorrProof).SetBytes(at[crypto.CiphertextSize:writeInBlobEntry]); err != nil {
			return 0, fmt.Errorf("text ciphertext %d proof: %w", k, err)
		}
	}
	b.Contests[j].WriteIn = w
	return j, nil
}

func (c *EncryptedContest) appendBlob(out []byte) []byte {
	var lo int
	var optProofs [][]byte
	for k, o := range c.Options {
		p := o.Proof.Bytes()
		if k == 0 {
			lo = len(p)
		} else if len(p) != lo {
			// Only a hand-assembled ballot can get here; encode something
			// that fails to parse rather than something ambiguous.
			lo = -1
		}
		optProofs = append(optProofs, p)
	}
	sp := c.SumProof.Bytes()
	out = binary.BigEndian.AppendUint32(out, uint32(len(c.Options)))
	out = binary.BigEndian.AppendUint32(out, uint32(lo))
	for k, o := range c.Options {
		out = append(out, o.Ciphertext.Bytes()...)
		out = append(out, optProofs[k]...)
	}
	return append(out, sp...)
}

// ErrMalformed is wrapped by every parse error of a ballot or challenged
// ballot.
var ErrMalformed = errors.New("malformed")

// ParseEncryptedBallot parses the canonical JSON encoding of a ballot. It
// needs no manifest: it checks the encoding only (lengths, canonical group
// elements and proofs, canonical JSON); VerifyBallot checks the rest.
// Errors wrap ErrMalformed.
func ParseEncryptedBallot(data []byte) (*EncryptedBallot, error) {
	b, err := parseBallot(data, true)
	if err != nil {
		return nil, fmt.Errorf("ballot: %w: %w", ErrMalformed, err)
	}
	return b, nil
}

// ParseStoredBallot is ParseEncryptedBallot without decoding the range
// proofs, which stay nil: for a board
// replaying its own stored records, whose proofs it checked when it
// admitted them, and which the rules after that never read. Decoding the
// proofs' points is three quarters of the cost of decoding a ballot.
// VerifyBallot and VerifyBallots refuse a ballot parsed so.
func ParseStoredBallot(data []byte) (*EncryptedBallot, error) {
	b, err := parseBallot(data, false)
	if err != nil {
		return nil, fmt.Errorf("ballot: %w: %w", ErrMalformed, err)
	}
	return b, nil
}

func parseBallot(data []byte, proofs bool) (*EncryptedBallot, error) {
	var j ballotJSON
	canonical := parseBallotEnvelope(data, &j)
	if !canonical {
		if err := strictjson.Unmarshal(data, &j); err != nil {
			return nil, err
		}
	}
	if j.Version != Version {
		return nil, fmt.Errorf("version %q, want %q", j.Version, Version)
	}
	if len(j.Election) != 32 {
		return nil, fmt.Errorf("election base hash is %d bytes, want 32", len(j.Election))
	}
	if len(j.Credential) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("credential is %d bytes, want %d", len(j.Credential), ed25519.PublicKeySize)
	}
	if len(j.Prev) != 32 {
		return nil, fmt.Errorf("prev is %d bytes, want 32", len(j.Prev))
	}
	if len(j.Contests) == 0 || len(j.Contests) > MaxContests {
		return nil, fmt.Errorf("%d contests, want 1 to %d", len(j.Contests), MaxContests)
	}
	if j.Style != "" && !validID(j.Style) {
		return nil, fmt.Errorf("style %q is not a ballot style id", j.Style)
	}
	b := &EncryptedBallot{
		Version:    j.Version,
		Election:   [32]byte(j.Election),
		Credential: ed25519.PublicKey(j.Credential),
		Prev:       ConfirmationCode(j.Prev),
		Style:      j.Style,
		Contests:   make([]EncryptedContest, len(j.Contests)),
	}
	for i, blob := range j.Contests {
		if err := b.Contests[i].parseBlob(blob, proofs); err != nil {
			return nil, fmt.Errorf("contest %d: %w", i, err)
		}
	}
	if j.WriteIns != nil && len(j.WriteIns) == 0 {
		return nil, errors.New("write_ins is empty: leave it out")
	}
	prev := -1
	for k, blob := range j.WriteIns {
		var err error
		if prev, err = b.parseWriteInBlob(blob, prev, proofs); err != nil {
			return nil, fmt.Errorf("write-in %d: %w", k, err)
		}
	}
	// parseBlob accepts only the canonical binary layout (exact lengths,
	// canonical elements and scalars), so the envelope is all that is left
	// to check; re-encoding the ballot would cost a square root per point.
	if canonical {
		return b, nil
	}
	envelope, err := marshalCompact(&j)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(envelope, data) {
		return nil, errors.New("not in canonical form (docs/spec/ballot.md §4.1)")
	}
	return b, nil
}

// parseBallotEnvelope fills j from data and returns true if data is exactly
// marshalCompact(j) for a ballot of the current Version (docs/spec/ballot.md
// §4.1), without a generic JSON decoder; otherwise it returns false, valid
// or not, and parseBallot decodes data with strictjson.Unmarshal, which reports
// the error. Verifying an election parses every ballot, so this is hot.
func parseBallotEnvelope(data []byte, j *ballotJSON) bool {
	rest, ok := bytes.CutPrefix(data, []byte(`{"version":"`+Version+`","election":`))
	if !ok {
		return false
	}
	var out ballotJSON
	out.Version = Version
	if out.Election, rest, ok = cutBase64String(rest); !ok {
		return false
	}
	if rest, ok = bytes.CutPrefix(rest, []byte(`,"credential":`)); !ok {
		return false
	}
	if out.Credential, rest, ok = cutBase64String(rest); !ok {
		return false
	}
	if rest, ok = bytes.CutPrefix(rest, []byte(`,"prev":`)); !ok {
		return false
	}
	if out.Prev, rest, ok = cutBase64String(rest); !ok {
		return false
	}
	if after, ok := bytes.CutPrefix(rest, []byte(`,"style":"`)); ok {
		n := bytes.IndexByte(after, '"')
		if n < 0 || !validID(string(after[:n])) {
			return false
		}
		out.Style, rest = string(after[:n]), after[n+1:]
	}
	if rest, ok = bytes.CutPrefix(rest, []byte(`,"contests":[`)); !ok {
		return false
	}
	if out.Contests, rest, ok = cutBase64Strings(rest); !ok {
		return false
	}
	if after, ok := bytes.CutPrefix(rest, []byte(`,"write_ins":[`)); ok {
		if out.WriteIns, rest, ok = cutBase64Strings(after); !ok {
			return false
		}
	}
	if string(rest) != `}` {
		return false
	}
	*j = out
	return true
}

// cutBase64Strings decodes the JSON strings of cutBase64String, separated
// by commas, at the start of b, up to and including the closing bracket
// of their array: at least one.
func cutBase64Strings(b []byte) (vs [][]byte, rest []byte, ok bool) {
	for {
		var v []byte
		if v, b, ok = cutBase64String(b); !ok {
			return nil, nil, false
		}
		vs = append(vs, v)
		if len(b) == 0 || b[0] != ',' {
			break
		}
		b = b[1:]
	}
	if len(b) == 0 || b[0] != ']' {
		return nil, nil, false
	}
	return vs, b[1:], true
}

// cutBase64String decodes the JSON string at the start of b if it is the
// padded standard base64 encoding that encoding/json writes for a []byte.
func cutBase64String(b []byte) (v, rest []byte, ok bool) {
	if len(b) < 2 || b[0] != '"' {
		return nil, nil, false
	}
	n := bytes.IndexByte(b[1:], '"')
	if n < 0 {
		return nil, nil, false
	}
	enc := b[1 : 1+n]
	v = make([]byte, base64.StdEncoding.DecodedLen(len(enc)))
	m, err := base64.StdEncoding.Decode(v, enc)
	if err != nil {
		return nil, nil, false
	}
	v = v[:m:m]
	// Decode skips newlines and accepts non-zero padding bits, and a
	// JSON escape would have been taken as base64: compare re-encoded,
	// 384 bytes (512 characters, no padding but at the end) at a time.
	if base64.StdEncoding.EncodedLen(m) != len(enc) {
		return nil, nil, false
	}
	var buf [512]byte
	for off := 0; off < m; off += 384 {
		e := base64.StdEncoding.AppendEncode(buf[:0], v[off:min(off+384, m)])
		if !bytes.Equal(e, enc[off/3*4:off/3*4+len(e)]) {
			return nil, nil, false
		}
	}
	return v, b[1+n+1:], true
}

func (c *EncryptedContest) parseBlob(blob []byte, proofs bool) error {
	if len(blob) < blobHeaderSize {
		return fmt.Errorf("blob is %d bytes, shorter than its header", len(blob))
	}
	n := binary.BigEndian.Uint32(blob[0:])
	lo := uint64(binary.BigEndian.Uint32(blob[4:]))
	if n == 0 || n > MaxOptions {
		return fmt.Errorf("%d options, want 1 to %d", n, MaxOptions)
	}
	rest := blob[blobHeaderSize:]
	if want := uint64(n) * (crypto.CiphertextSize + lo); uint64(len(rest)) <= want {
		return fmt.Errorf("blob body is %d bytes, too short for %d options with %d-byte proofs and a sum proof", len(rest), n, lo)
	}
	c.Options = make([]EncryptedOption, n)
	for k := range c.Options {
		encoded := bytes.Clone(rest[:crypto.CiphertextSize])
		ct, err := new(crypto.Ciphertext).SetBytes(encoded)
		if err != nil {
			return fmt.Errorf("option %d: %w", k, err)
		}
		rest = rest[crypto.CiphertextSize:]
		var p *crypto.RangeProof
		if proofs {
			if p, err = new(crypto.RangeProof).SetBytes(rest[:lo]); err != nil {
				return fmt.Errorf("option %d proof: %w", k, err)
			}
		}
		rest = rest[lo:]
		c.Options[k] = EncryptedOption{Ciphertext: ct, Proof: p, encoded: encoded, parsed: ct}
	}
	if !proofs {
		return nil
	}
	p, err := new(crypto.RangeProof).SetBytes(rest)
	if err != nil {
		return fmt.Errorf("sum proof: %w", err)
	}
	c.SumProof = p
	return nil
}

// ConfirmationCode identifies a ballot (docs/spec/ballot.md §4.3): the
// voter sees it before casting and looks it up on the board afterwards.
// Each ballot includes the device's previous code, so a device's codes form
// a hash chain.
type ConfirmationCode [32]byte

// ConfirmationCode returns SHA-256("evote/v1/ballot/confirmation\x00" ||
// b.Marshal()).
func (b *EncryptedBallot) ConfirmationCode() ConfirmationCode {
	return ConfirmationCodeOf(b.Marshal())
}

// ConfirmationCodeOf returns the confirmation code of the ballot whose
// canonical encoding is canonical (a ballot record's payload), without
// decoding it.
func ConfirmationCodeOf(canonical []byte) ConfirmationCode {
	h := sha256.New()
	h.Write([]byte(confirmationLbl))
	h.Write(canonical)
	return ConfirmationCode(h.Sum(nil))
}

// String returns the full code in lowercase hexadecimal.
func (c ConfirmationCode) String() string { return hex.EncodeToString(c[:]) }

// Short returns the human-readable form: the first 10 bytes (80 bits) in
// RFC 4648 base32, as four groups of four characters, "ABCD-EFGH-IJKL-MNOP".
func (c ConfirmationCode) Short() string {
	s := base32.StdEncoding.EncodeToString(c[:10])
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

// MatchesShort reports whether s is c's short form as a person may type it:
// case, spaces and dashes are ignored, and 0, 1 and 8 are read as O, I and B.
func (c ConfirmationCode) MatchesShort(s string) bool {
	norm := strings.Map(func(r rune) rune {
		switch r {
		case '-', ' ', '\t':
			return -1
		case '0':
			return 'O'
		case '1':
			return 'I'
		case '8':
			return 'B'
		}
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
	return norm == strings.ReplaceAll(c.Short(), "-", "")
}
