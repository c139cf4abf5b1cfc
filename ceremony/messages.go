package ceremony

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/evote/evote/crypto"
)

// Limits on message contents (spec sections 1 and 3).
const (
	// MaxTrustees is the largest number of trustees n.
	MaxTrustees = 256
	// MaxContextSize is the largest ctx, the election manifest hash.
	MaxContextSize = 64
	// MaxMessageSize bounds the input of every Parse function.
	MaxMessageSize = 1 << 20
)

// Message type labels: the first field of every message (spec section 5).
const (
	typeCommitments  = "evote/v1/ceremony/commitments"
	typeShares       = "evote/v1/ceremony/shares"
	typeVerdict      = "evote/v1/ceremony/verdict"
	typeJointKey     = "evote/v1/ceremony/joint-key"
	typeTrusteeState = "evote/v1/ceremony/trustee-state"
)

// ErrMalformed is wrapped by every error of a Parse function and of Marshal
// for an ill-formed message: wrong type label, unknown or missing field,
// wrong length, invalid or non-canonical encoding.
var ErrMalformed = errors.New("malformed message")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// Commitments is a trustee's first message: the Feldman commitments
// C_k = a_k·G to the coefficients of its secret polynomial f of degree t−1,
// and a Schnorr proof of knowledge of each a_k (spec section 5.1).
type Commitments struct {
	// Ctx is the election manifest hash the ceremony is bound to.
	Ctx []byte
	// Trustee is the dealer's index, 1..n.
	Trustee uint32
	// Coefficients are C_0..C_{t−1}; C_0 is the dealer's part of the
	// joint key.
	Coefficients []*crypto.Element
	// Proofs are the Schnorr proofs for Coefficients, in the same order.
	Proofs []*crypto.SchnorrProof
}

type commitmentsJSON struct {
	Type         string   `json:"type"`
	Ctx          []byte   `json:"ctx"`
	Trustee      uint32   `json:"trustee"`
	Coefficients [][]byte `json:"coefficients"`
	Proofs       [][]byte `json:"proofs"`
}

func (m *Commitments) check() error {
	if err := checkCtxIndex(m.Ctx, m.Trustee); err != nil {
		return err
	}
	if len(m.Coefficients) < 1 || len(m.Coefficients) > MaxTrustees {
		return malformed("%d coefficients, want 1 to %d", len(m.Coefficients), MaxTrustees)
	}
	if len(m.Proofs) != len(m.Coefficients) {
		return malformed("%d proofs for %d coefficients", len(m.Proofs), len(m.Coefficients))
	}
	for k := range m.Coefficients {
		if m.Coefficients[k] == nil || m.Proofs[k] == nil {
			return malformed("missing coefficient or proof %d", k)
		}
	}
	return nil
}

// Marshal returns the canonical JSON encoding of m.
func (m *Commitments) Marshal() ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("ceremony: commitments: %w", err)
	}
	w := commitmentsJSON{Type: typeCommitments, Ctx: m.Ctx, Trustee: m.Trustee,
		Coefficients: make([][]byte, len(m.Coefficients)), Proofs: make([][]byte, len(m.Proofs))}
	for k := range m.Coefficients {
		w.Coefficients[k] = m.Coefficients[k].Bytes()
		w.Proofs[k] = m.Proofs[k].Bytes()
	}
	return marshalJSON(w)
}

// ParseCommitments parses the canonical encoding of a Commitments message.
// It checks encodings only; VerifyCommitments checks the proofs.
func ParseCommitments(b []byte) (*Commitments, error) {
	return parse(b, "commitments", typeCommitments, func(w *commitmentsJSON) (*Commitments, string, error) {
		m := &Commitments{Ctx: w.Ctx, Trustee: w.Trustee,
			Coefficients: make([]*crypto.Element, len(w.Coefficients)),
			Proofs:       make([]*crypto.SchnorrProof, len(w.Proofs))}
		for k, c := range w.Coefficients {
			e, err := crypto.NewElement().SetCanonicalBytes(c)
			if err != nil {
				return nil, "", malformed("coefficient %d: %w", k, err)
			}
			m.Coefficients[k] = e
		}
		for k, p := range w.Proofs {
			pr, err := new(crypto.SchnorrProof).SetBytes(p)
			if err != nil {
				return nil, "", malformed("proof %d: %w", k, err)
			}
			m.Proofs[k] = pr
		}
		return m, w.Type, nil
	})
}

// Shares is a trustee's second message: its share f(j) for every other
// trustee j, each sealed with HPKE to j's encryption key (spec section 5.2).
type Shares struct {
	// Ctx is the election manifest hash the ceremony is bound to.
	Ctx []byte
	// Trustee is the sender's index, 1..n.
	Trustee uint32
	// Shares holds one entry per other trustee, in increasing order of To.
	Shares []EncryptedShare
}

// EncryptedShare is one sealed share f_sender(To).
type EncryptedShare struct {
	// To is the recipient's index.
	To uint32
	// Enc is the HPKE encapsulated key, EncSize bytes.
	Enc []byte
	// Ct is the HPKE ciphertext of the 32-byte scalar, SealedShareSize bytes.
	Ct []byte
}

type sharesJSON struct {
	Type    string             `json:"type"`
	Ctx     []byte             `json:"ctx"`
	Trustee uint32             `json:"trustee"`
	Shares  []encryptedShareJS `json:"shares"`
}

type encryptedShareJS struct {
	To  uint32 `json:"to"`
	Enc []byte `json:"enc"`
	Ct  []byte `json:"ct"`
}

func (m *Shares) check() error {
	if err := checkCtxIndex(m.Ctx, m.Trustee); err != nil {
		return err
	}
	if len(m.Shares) > MaxTrustees-1 {
		return malformed("%d shares, want at most %d", len(m.Shares), MaxTrustees-1)
	}
	var prev uint32
	for k, s := range m.Shares {
		if s.To <= prev || s.To > MaxTrustees {
			return malformed("share %d: recipients must increase strictly within 1 to %d", k, MaxTrustees)
		}
		prev = s.To
		if s.To == m.Trustee {
			return malformed("share %d: addressed to the sender", k)
		}
		if err := checkEncKey(s.Enc); err != nil {
			return malformed("share %d: enc: %w", k, err)
		}
		if len(s.Ct) != SealedShareSize {
			return malformed("share %d: ct must be %d bytes, got %d", k, SealedShareSize, len(s.Ct))
		}
	}
	return nil
}

// Marshal returns the canonical JSON encoding of m.
func (m *Shares) Marshal() ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("ceremony: shares: %w", err)
	}
	w := sharesJSON{Type: typeShares, Ctx: m.Ctx, Trustee: m.Trustee,
		Shares: make([]encryptedShareJS, len(m.Shares))}
	for k, s := range m.Shares {
		w.Shares[k] = encryptedShareJS(s)
	}
	return marshalJSON(w)
}

// ParseShares parses the canonical encoding of a Shares message. It checks
// encodings only; VerifyShares checks the recipients against n.
func ParseShares(b []byte) (*Shares, error) {
	return parse(b, "shares", typeShares, func(w *sharesJSON) (*Shares, string, error) {
		m := &Shares{Ctx: w.Ctx, Trustee: w.Trustee, Shares: make([]EncryptedShare, len(w.Shares))}
		for k, s := range w.Shares {
			m.Shares[k] = EncryptedShare(s)
		}
		return m, w.Type, nil
	})
}

// Reason says why a trustee complains against another (spec section 5.3).
type Reason string

// The reasons for a complaint.
const (
	// ReasonCommitments: the accused's Commitments message is invalid
	// (wrong ctx, wrong number of coefficients, or a proof fails).
	ReasonCommitments Reason = "commitments"
	// ReasonShares: the accused's Shares message is invalid or holds no
	// share for the accuser.
	ReasonShares Reason = "shares"
	// ReasonDecrypt: the share sealed for the accuser does not open with
	// the accuser's key, or does not hold a canonical scalar.
	ReasonDecrypt Reason = "decrypt"
	// ReasonShare: the decrypted share does not match the accused's
	// commitments.
	ReasonShare Reason = "share"
)

func (r Reason) valid() bool {
	switch r {
	case ReasonCommitments, ReasonShares, ReasonDecrypt, ReasonShare:
		return true
	}
	return false
}

// Verdict is a trustee's third message: it accepts the shares it received,
// or complains against each sender at fault (spec section 5.3).
type Verdict struct {
	// Ctx is the election manifest hash the ceremony is bound to.
	Ctx []byte
	// Trustee is the index of the trustee giving the verdict.
	Trustee uint32
	// Accept is true if and only if Complaints is empty.
	Accept bool
	// Complaints names each accused trustee once, in increasing order.
	Complaints []Complaint
}

// Complaint accuses one trustee.
type Complaint struct {
	// Against is the accused trustee's index.
	Against uint32
	// Reason is why.
	Reason Reason
}

type verdictJSON struct {
	Type       string          `json:"type"`
	Ctx        []byte          `json:"ctx"`
	Trustee    uint32          `json:"trustee"`
	Accept     bool            `json:"accept"`
	Complaints []complaintJSON `json:"complaints"`
}

type complaintJSON struct {
	Against uint32 `json:"against"`
	Reason  Reason `json:"reason"`
}

func (m *Verdict) check() error {
	if err := checkCtxIndex(m.Ctx, m.Trustee); err != nil {
		return err
	}
	if m.Accept != (len(m.Complaints) == 0) {
		return malformed("accept must be true exactly when there are no complaints")
	}
	if len(m.Complaints) > MaxTrustees-1 {
		return malformed("%d complaints, want at most %d", len(m.Complaints), MaxTrustees-1)
	}
	var prev uint32
	for k, c := range m.Complaints {
		if c.Against <= prev || c.Against > MaxTrustees {
			return malformed("complaint %d: accused trustees must increase strictly within 1 to %d", k, MaxTrustees)
		}
		prev = c.Against
		if c.Against == m.Trustee {
			return malformed("complaint %d: against the complainant", k)
		}
		if !c.Reason.valid() {
			return malformed("complaint %d: unknown reason %q", k, c.Reason)
		}
	}
	return nil
}

// Marshal returns the canonical JSON encoding of m.
func (m *Verdict) Marshal() ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("ceremony: verdict: %w", err)
	}
	w := verdictJSON{Type: typeVerdict, Ctx: m.Ctx, Trustee: m.Trustee, Accept: m.Accept,
		Complaints: make([]complaintJSON, len(m.Complaints))}
	for k, c := range m.Complaints {
		w.Complaints[k] = complaintJSON(c)
	}
	return marshalJSON(w)
}

// ParseVerdict parses the canonical encoding of a Verdict message.
func ParseVerdict(b []byte) (*Verdict, error) {
	return parse(b, "verdict", typeVerdict, func(w *verdictJSON) (*Verdict, string, error) {
		m := &Verdict{Ctx: w.Ctx, Trustee: w.Trustee, Accept: w.Accept}
		for _, c := range w.Complaints {
			m.Complaints = append(m.Complaints, Complaint(c))
		}
		return m, w.Type, nil
	})
}

// JointKey is the outcome of a successful ceremony, which anyone can compute
// from the n Commitments messages with ComputeJointKey (spec section 5.4).
type JointKey struct {
	// Ctx is the election manifest hash the ceremony is bound to.
	Ctx []byte
	// PublicKey is the election key K = Σ_i C_{i,0}.
	PublicKey *crypto.PublicKey
	// VerificationKeys holds, at position j−1, trustee j's verification
	// key s_j·G = Σ_i Σ_k C_{i,k}·j^k.
	VerificationKeys []*crypto.Element
}

type jointKeyJSON struct {
	Type             string   `json:"type"`
	Ctx              []byte   `json:"ctx"`
	PublicKey        []byte   `json:"public_key"`
	VerificationKeys [][]byte `json:"verification_keys"`
}

func (m *JointKey) check() error {
	if err := checkCtx(m.Ctx); err != nil {
		return err
	}
	if m.PublicKey == nil {
		return malformed("missing public key")
	}
	if len(m.VerificationKeys) < 1 || len(m.VerificationKeys) > MaxTrustees {
		return malformed("%d verification keys, want 1 to %d", len(m.VerificationKeys), MaxTrustees)
	}
	for j, v := range m.VerificationKeys {
		if v == nil {
			return malformed("missing verification key %d", j+1)
		}
	}
	return nil
}

// Marshal returns the canonical JSON encoding of m.
func (m *JointKey) Marshal() ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("ceremony: joint key: %w", err)
	}
	w := jointKeyJSON{Type: typeJointKey, Ctx: m.Ctx, PublicKey: m.PublicKey.Bytes(),
		VerificationKeys: make([][]byte, len(m.VerificationKeys))}
	for j, v := range m.VerificationKeys {
		w.VerificationKeys[j] = v.Bytes()
	}
	return marshalJSON(w)
}

// ParseJointKey parses the canonical encoding of a JointKey. It checks
// encodings only; VerifyJointKey checks it against the commitments.
func ParseJointKey(b []byte) (*JointKey, error) {
	return parse(b, "joint key", typeJointKey, func(w *jointKeyJSON) (*JointKey, string, error) {
		m := &JointKey{Ctx: w.Ctx, VerificationKeys: make([]*crypto.Element, len(w.VerificationKeys))}
		if w.PublicKey != nil {
			pk, err := crypto.NewPublicKey(w.PublicKey)
			if err != nil {
				return nil, "", malformed("public_key: %w", err)
			}
			m.PublicKey = pk
		}
		for j, v := range w.VerificationKeys {
			e, err := crypto.NewElement().SetCanonicalBytes(v)
			if err != nil {
				return nil, "", malformed("verification key %d: %w", j+1, err)
			}
			m.VerificationKeys[j] = e
		}
		return m, w.Type, nil
	})
}

func checkCtx(ctx []byte) error {
	if len(ctx) < 1 || len(ctx) > MaxContextSize {
		return malformed("ctx must be 1 to %d bytes, got %d", MaxContextSize, len(ctx))
	}
	return nil
}

func checkCtxIndex(ctx []byte, trustee uint32) error {
	if err := checkCtx(ctx); err != nil {
		return err
	}
	if trustee < 1 || trustee > MaxTrustees {
		return malformed("trustee %d out of range 1 to %d", trustee, MaxTrustees)
	}
	return nil
}

// parse decodes b strictly into a wire struct W, converts it with conv,
// checks the type label, and requires b to be the canonical encoding of the
// result. Errors are prefixed with "ceremony: what: ".
func parse[W any, M interface{ Marshal() ([]byte, error) }](b []byte, what, label string, conv func(*W) (M, string, error)) (M, error) {
	var zero M
	w := new(W)
	if err := decodeStrict(b, w); err != nil {
		return zero, fmt.Errorf("ceremony: %s: %w", what, err)
	}
	m, typ, err := conv(w)
	if err != nil {
		return zero, fmt.Errorf("ceremony: %s: %w", what, err)
	}
	if typ != label {
		return zero, fmt.Errorf("ceremony: %s: %w", what, malformed("type %q, want %q", typ, label))
	}
	out, err := m.Marshal()
	if err != nil {
		return zero, err
	}
	if !bytes.Equal(out, b) {
		return zero, fmt.Errorf("ceremony: %s: %w", what, errNotCanonical)
	}
	return m, nil
}
