package ceremony

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/evote/evote/crypto"
)

// ErrIncomplete is wrapped when a function that needs one message from each
// of the n trustees is given fewer, duplicates, or indices outside 1..n.
var ErrIncomplete = errors.New("incomplete set of ceremony messages")

// coefficientsLabel is the domain-separation label of the Schnorr proof
// context of the commitments (spec section 5.1).
const coefficientsLabel = "evote/v1/ceremony/coefficients"

// coefficientsContext returns the context passed to
// crypto.Polynomial.ProveCoefficients by trustee i:
//
//	u32be(len(label)) || label || u32be(len(ctx)) || ctx
//	|| u32be(t) || u32be(n) || u32be(i)
//
// with label = "evote/v1/ceremony/coefficients". It binds the proofs to the
// election, the ceremony parameters and the dealer, so that no trustee can
// replay another's commitments as its own.
func coefficientsContext(ctx []byte, t, n int, i uint32) []byte {
	b := make([]byte, 0, 4+len(coefficientsLabel)+4+len(ctx)+12)
	b = appendLP(b, []byte(coefficientsLabel))
	b = appendLP(b, ctx)
	b = binary.BigEndian.AppendUint32(b, uint32(t))
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	return binary.BigEndian.AppendUint32(b, i)
}

// checkParams checks 1 ≤ t ≤ n ≤ MaxTrustees and the ctx length.
func checkParams(ctx []byte, t, n int) error {
	if len(ctx) < 1 || len(ctx) > MaxContextSize {
		return fmt.Errorf("ctx must be 1 to %d bytes, got %d", MaxContextSize, len(ctx))
	}
	if n < 1 || n > MaxTrustees {
		return fmt.Errorf("number of trustees %d out of range 1 to %d", n, MaxTrustees)
	}
	if t < 1 || t > n {
		return fmt.Errorf("threshold %d out of range 1 to %d", t, n)
	}
	return nil
}

func checkIndex(i uint32, n int) error {
	if i < 1 || uint64(i) > uint64(n) {
		return fmt.Errorf("trustee index %d out of range 1 to %d", i, n)
	}
	return nil
}

// DealerSecret is what a trustee keeps between Deal and Receive: the
// ceremony parameters and its own share f_i(i). Deal discards the rest of
// the polynomial. Store it only inside a keystore (see TrusteeState).
type DealerSecret struct {
	ctx   []byte
	index uint32
	t, n  int
	own   crypto.Scalar
}

// String returns a description without the secret, so that printing a
// DealerSecret by mistake does not leak it.
func (d *DealerSecret) String() string {
	return fmt.Sprintf("ceremony.DealerSecret{trustee %d, %d of %d, secret redacted}", d.index, d.t, d.n)
}

// GoString is like String.
func (d *DealerSecret) GoString() string { return d.String() }

// Index returns the dealer's trustee index.
func (d *DealerSecret) Index() uint32 { return d.index }

// Ctx returns a copy of the ceremony context.
func (d *DealerSecret) Ctx() []byte { return bytes.Clone(d.ctx) }

// Deal is step 2 of the ceremony (spec section 6): trustee myIndex draws a
// random polynomial f of degree t−1 and returns its Commitments message
// (commitments to the coefficients with Schnorr proofs), its Shares message
// (f(j) sealed with HPKE to trustees[j−1].EncKey for every j ≠ myIndex), and
// the secret to keep for Receive.
//
// trustees lists the n trustees' public keys in index order, as in the
// election definition; the entry of myIndex is not used and may be nil.
// ctx is the election manifest hash, 1 to MaxContextSize bytes.
func Deal(ctx []byte, myIndex uint32, t, n int, trustees []*TrusteePublicKey) (*Commitments, *Shares, *DealerSecret, error) {
	if err := checkParams(ctx, t, n); err != nil {
		return nil, nil, nil, fmt.Errorf("ceremony: deal: %w", err)
	}
	if err := checkIndex(myIndex, n); err != nil {
		return nil, nil, nil, fmt.Errorf("ceremony: deal: %w", err)
	}
	if len(trustees) != n {
		return nil, nil, nil, fmt.Errorf("ceremony: deal: %d trustee keys for %d trustees", len(trustees), n)
	}
	for j, pk := range trustees {
		if uint32(j+1) == myIndex {
			continue
		}
		if pk == nil {
			return nil, nil, nil, fmt.Errorf("ceremony: deal: missing public key of trustee %d", j+1)
		}
		if err := checkEncKey(pk.EncKey); err != nil {
			return nil, nil, nil, fmt.Errorf("ceremony: deal: enc_key of trustee %d: %w", j+1, err)
		}
	}
	f := crypto.NewRandomPolynomial(t)
	cm := &Commitments{
		Ctx:          bytes.Clone(ctx),
		Trustee:      myIndex,
		Coefficients: f.Commitments(),
		Proofs:       f.ProveCoefficients(coefficientsContext(ctx, t, n, myIndex)),
	}
	sh := &Shares{Ctx: bytes.Clone(ctx), Trustee: myIndex, Shares: make([]EncryptedShare, 0, n-1)}
	for j := uint32(1); j <= uint32(n); j++ {
		if j == myIndex {
			continue
		}
		es, err := sealShare(ctx, myIndex, j, trustees[j-1].EncKey, f.Share(j))
		if err != nil {
			return nil, nil, nil, fmt.Errorf("ceremony: deal: %w", err)
		}
		sh.Shares = append(sh.Shares, es)
	}
	d := &DealerSecret{ctx: bytes.Clone(ctx), index: myIndex, t: t, n: n}
	d.own.Set(f.Share(myIndex))
	return cm, sh, d, nil
}

// VerifyCommitments checks a Commitments message of a ceremony with
// threshold t among n trustees: its ctx, its trustee index, that it holds t
// coefficients, and every Schnorr proof. Proof failures wrap
// crypto.ErrInvalidProof. The board runs it before appending the message.
func VerifyCommitments(ctx []byte, t, n int, m *Commitments) error {
	if err := verifyCommitments(ctx, t, n, m); err != nil {
		if m != nil {
			return fmt.Errorf("ceremony: commitments of trustee %d: %w", m.Trustee, err)
		}
		return fmt.Errorf("ceremony: commitments: %w", err)
	}
	return nil
}

// checkBinding checks that a message is bound to this ceremony's ctx and
// comes from a trustee index among n.
func checkBinding(ctx, msgCtx []byte, trustee uint32, n int) error {
	if !bytes.Equal(msgCtx, ctx) {
		return errors.New("ctx is not this election's")
	}
	return checkIndex(trustee, n)
}

func verifyCommitments(ctx []byte, t, n int, m *Commitments) error {
	if err := checkParams(ctx, t, n); err != nil {
		return err
	}
	if m == nil {
		return errors.New("missing message")
	}
	if err := m.check(); err != nil {
		return err
	}
	if err := checkBinding(ctx, m.Ctx, m.Trustee, n); err != nil {
		return err
	}
	if len(m.Coefficients) != t {
		return fmt.Errorf("%d coefficients, want t = %d", len(m.Coefficients), t)
	}
	return crypto.VerifyCoefficients(coefficientsContext(ctx, t, n, m.Trustee), m.Coefficients, m.Proofs)
}

// VerifyShares checks what anyone can check of a Shares message of a
// ceremony among n trustees: its ctx, its trustee index, and that it holds
// exactly one sealed share for every other trustee, in index order. Only the
// recipient can check the share itself (Receive). The board runs it before
// appending the message.
func VerifyShares(ctx []byte, n int, m *Shares) error {
	if err := verifyShares(ctx, n, m); err != nil {
		if m != nil {
			return fmt.Errorf("ceremony: shares of trustee %d: %w", m.Trustee, err)
		}
		return fmt.Errorf("ceremony: shares: %w", err)
	}
	return nil
}

func verifyShares(ctx []byte, n int, m *Shares) error {
	if err := checkParams(ctx, 1, n); err != nil {
		return err
	}
	if m == nil {
		return errors.New("missing message")
	}
	if err := m.check(); err != nil {
		return err
	}
	if err := checkBinding(ctx, m.Ctx, m.Trustee, n); err != nil {
		return err
	}
	// check ensures strictly increasing recipients other than the sender,
	// so n−1 of them, all ≤ n, are exactly the other trustees.
	if len(m.Shares) != n-1 {
		return fmt.Errorf("%d shares, want n−1 = %d", len(m.Shares), n-1)
	}
	if n > 1 {
		if last := m.Shares[n-2].To; uint64(last) > uint64(n) {
			return fmt.Errorf("share for trustee %d, beyond n = %d", last, n)
		}
	}
	return nil
}

// Receive is step 3 of the ceremony (spec section 6), run by the trustee of
// own.Index() once all n Commitments and all n Shares messages are on the
// board. It opens the share each other trustee sealed for it and checks it
// against that trustee's commitments.
//
// If everything checks, it returns the trustee's secret share
// s_j = Σ_i f_i(j) (its own f_j(j) included) with the public keys, and an
// accepting Verdict. Otherwise it returns a nil share and a Verdict naming
// every sender at fault; the ceremony must then stop.
//
// keys must be the keys whose public part the election definition lists for
// own.Index(); with other keys, no share opens and the Verdict accuses every
// other trustee.
//
// An error (rather than a complaint) means the inputs are not a complete
// set of messages of this ceremony (ErrIncomplete), or that the trustee's
// own messages or state are inconsistent.
func Receive(ctx []byte, keys *TrusteeKeys, own *DealerSecret, commitments []*Commitments, shares []*Shares) (*TrusteeShare, *Verdict, error) {
	if keys == nil || own == nil {
		return nil, nil, errors.New("ceremony: receive: missing keys or dealer secret")
	}
	if !bytes.Equal(ctx, own.ctx) {
		return nil, nil, errors.New("ceremony: receive: dealer secret is for another ceremony")
	}
	t, n, me := own.t, own.n, own.index
	cms, err := indexCommitments(n, commitments)
	if err != nil {
		return nil, nil, fmt.Errorf("ceremony: receive: %w", err)
	}
	shs, err := indexShares(n, shares)
	if err != nil {
		return nil, nil, fmt.Errorf("ceremony: receive: %w", err)
	}
	if err := VerifyCommitments(ctx, t, n, cms[me-1]); err != nil {
		return nil, nil, fmt.Errorf("ceremony: receive: own message: %w", err)
	}
	if err := crypto.VerifyShare(cms[me-1].Coefficients, me, &own.own); err != nil {
		return nil, nil, fmt.Errorf("ceremony: receive: dealer secret does not match own commitments on the board: %w", err)
	}

	v := &Verdict{Ctx: bytes.Clone(ctx), Trustee: me, Accept: true}
	sum := crypto.NewScalar().Set(&own.own)
	for i := uint32(1); i <= uint32(n); i++ {
		if i == me {
			continue
		}
		s, reason := receiveOne(ctx, t, n, me, keys, cms[i-1], shs[i-1])
		if reason != "" {
			v.Accept = false
			v.Complaints = append(v.Complaints, Complaint{Against: i, Reason: reason})
			continue
		}
		sum.Add(sum, s)
	}
	if !v.Accept {
		return nil, v, nil
	}

	jk, err := jointKey(ctx, cms)
	if err != nil {
		return nil, nil, fmt.Errorf("ceremony: receive: %w", err)
	}
	if crypto.NewElement().ScalarBaseMult(sum).Equal(jk.VerificationKeys[me-1]) != 1 {
		// Every share was checked, so this cannot happen.
		return nil, nil, errors.New("ceremony: receive: internal error: share does not match verification key")
	}
	ts := &TrusteeShare{index: me, t: t, joint: jk}
	ts.secret.Set(sum)
	return ts, v, nil
}

// receiveOne opens and checks the share of sender i for me, and returns it
// or the reason to complain.
func receiveOne(ctx []byte, t, n int, me uint32, keys *TrusteeKeys, cm *Commitments, sh *Shares) (*crypto.Scalar, Reason) {
	if VerifyCommitments(ctx, t, n, cm) != nil {
		return nil, ReasonCommitments
	}
	if VerifyShares(ctx, n, sh) != nil {
		return nil, ReasonShares
	}
	k, ok := slices.BinarySearchFunc(sh.Shares, me, func(e EncryptedShare, to uint32) int {
		return int(int64(e.To) - int64(to))
	})
	if !ok {
		return nil, ReasonShares // unreachable after VerifyShares
	}
	s, err := openShare(ctx, sh.Trustee, keys, sh.Shares[k])
	if err != nil {
		return nil, ReasonDecrypt
	}
	if crypto.VerifyShare(cm.Coefficients, me, s) != nil {
		return nil, ReasonShare
	}
	return s, ""
}

// indexCommitments returns the messages in trustee order, requiring
// exactly one per trustee 1..n.
func indexCommitments(n int, ms []*Commitments) ([]*Commitments, error) {
	return indexByTrustee(n, ms, func(m *Commitments) uint32 { return m.Trustee }, "commitments message", "commitments messages", "commitments")
}

func indexShares(n int, ms []*Shares) ([]*Shares, error) {
	return indexByTrustee(n, ms, func(m *Shares) uint32 { return m.Trustee }, "shares message", "shares messages", "shares")
}

func indexVerdicts(n int, ms []*Verdict) ([]*Verdict, error) {
	return indexByTrustee(n, ms, func(m *Verdict) uint32 { return m.Trustee }, "verdict", "verdicts", "verdict")
}

// indexByTrustee returns ms in trustee order, requiring exactly one message
// per trustee 1..n; one, many and none name the message in the errors.
func indexByTrustee[T any](n int, ms []*T, trustee func(*T) uint32, one, many, none string) ([]*T, error) {
	out := make([]*T, n)
	for _, m := range ms {
		if m == nil {
			return nil, fmt.Errorf("%w: nil %s", ErrIncomplete, one)
		}
		i := trustee(m)
		if err := checkIndex(i, n); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrIncomplete, none, err)
		}
		if out[i-1] != nil {
			return nil, fmt.Errorf("%w: two %s from trustee %d", ErrIncomplete, many, i)
		}
		out[i-1] = m
	}
	if missing := missingIndices(out); missing != "" {
		return nil, fmt.Errorf("%w: no %s from trustee %s", ErrIncomplete, none, missing)
	}
	return out, nil
}

// missingIndices lists the 1-based positions of nil entries, or "".
func missingIndices[T any](s []*T) string {
	var out []string
	for i, m := range s {
		if m == nil {
			out = append(out, fmt.Sprint(i+1))
		}
	}
	return strings.Join(out, ", ")
}

// aggregate returns A_k = Σ_i C_{i,k}: the commitments of the sum of the
// polynomials, so that Σ_i CommitmentEval(C_i, j) = CommitmentEval(A, j).
func aggregate(cms []*Commitments) []*crypto.Element {
	A := make([]*crypto.Element, len(cms[0].Coefficients))
	for k := range A {
		A[k] = crypto.NewElement()
		for _, m := range cms {
			A[k].Add(A[k], m.Coefficients[k])
		}
	}
	return A
}

// jointKey computes the JointKey of structurally checked commitments in
// trustee order.
func jointKey(ctx []byte, cms []*Commitments) (*JointKey, error) {
	A := aggregate(cms)
	pk, err := crypto.PublicKeyFromElement(A[0])
	if err != nil {
		return nil, fmt.Errorf("joint public key: %w", err)
	}
	jk := &JointKey{Ctx: bytes.Clone(ctx), PublicKey: pk, VerificationKeys: make([]*crypto.Element, len(cms))}
	for j := range cms {
		jk.VerificationKeys[j] = crypto.CommitmentEval(A, uint32(j+1))
	}
	return jk, nil
}

// ComputeJointKey is step 4 of the ceremony (spec section 6): it verifies
// the Commitments messages of all n trustees and returns the joint key.
// Anyone can run it; the board runs it to check the JointKey record, which
// may be posted only once CheckVerdicts returns nil.
func ComputeJointKey(ctx []byte, t, n int, commitments []*Commitments) (*JointKey, error) {
	if err := checkParams(ctx, t, n); err != nil {
		return nil, fmt.Errorf("ceremony: joint key: %w", err)
	}
	cms, err := indexCommitments(n, commitments)
	if err != nil {
		return nil, fmt.Errorf("ceremony: joint key: %w", err)
	}
	for _, m := range cms {
		if err := VerifyCommitments(ctx, t, n, m); err != nil {
			return nil, fmt.Errorf("ceremony: joint key: %w", err)
		}
	}
	jk, err := jointKey(ctx, cms)
	if err != nil {
		return nil, fmt.Errorf("ceremony: %w", err)
	}
	return jk, nil
}

// VerifyJointKey checks that jk is the joint key of the given commitments.
func VerifyJointKey(ctx []byte, t, n int, commitments []*Commitments, jk *JointKey) error {
	want, err := ComputeJointKey(ctx, t, n, commitments)
	if err != nil {
		return err
	}
	if jk == nil {
		return errors.New("ceremony: joint key: missing")
	}
	got, err := jk.Marshal()
	if err != nil {
		return err
	}
	wantb, err := want.Marshal()
	if err != nil {
		return err
	}
	if !bytes.Equal(got, wantb) {
		return errors.New("ceremony: joint key does not match the commitments")
	}
	return nil
}

// Accusation is one complaint as reported by CheckVerdicts.
type Accusation struct {
	// By is the complaining trustee.
	By uint32
	// Against is the accused trustee.
	Against uint32
	// Reason is the complaint's reason.
	Reason Reason
}

// ComplaintError is returned by CheckVerdicts when some trustee rejected:
// the ceremony stops, and with it the election. The official should
// exclude or replace the accused (or, if the accusation is believed false,
// the accuser) and run a new election: a new definition, hence a new
// manifest hash and ctx, with fresh polynomials from every trustee (spec
// section 6, step 5; one ceremony per election, docs/spec/election.md §4).
type ComplaintError struct {
	// Complaints lists every complaint, by accuser then accused.
	Complaints []Accusation
}

// Error lists every accusation: who accused whom, and why.
func (e *ComplaintError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ceremony failed: %d complaint(s):", len(e.Complaints))
	for k, a := range e.Complaints {
		if k > 0 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " trustee %d accuses trustee %d (%s)", a.By, a.Against, a.Reason)
	}
	return b.String()
}

// Accused returns the accused trustees, in increasing order, each once.
func (e *ComplaintError) Accused() []uint32 {
	var out []uint32
	for _, a := range e.Complaints {
		out = append(out, a.Against)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// CheckVerdicts checks the Verdict messages of all n trustees. It returns
// nil if all accept, a *ComplaintError listing every complaint if any
// rejects, and another error if the set is incomplete (ErrIncomplete) or a
// verdict is malformed or for another ctx.
func CheckVerdicts(ctx []byte, n int, verdicts []*Verdict) error {
	if err := checkParams(ctx, 1, n); err != nil {
		return fmt.Errorf("ceremony: verdicts: %w", err)
	}
	vs, err := indexVerdicts(n, verdicts)
	if err != nil {
		return fmt.Errorf("ceremony: verdicts: %w", err)
	}
	var ce ComplaintError
	for _, v := range vs {
		if err := v.check(); err != nil {
			return fmt.Errorf("ceremony: verdict of trustee %d: %w", v.Trustee, err)
		}
		if !bytes.Equal(v.Ctx, ctx) {
			return fmt.Errorf("ceremony: verdict of trustee %d: ctx is not this election's", v.Trustee)
		}
		for _, c := range v.Complaints {
			if err := checkIndex(c.Against, n); err != nil {
				return fmt.Errorf("ceremony: verdict of trustee %d: complaint: %w", v.Trustee, err)
			}
			ce.Complaints = append(ce.Complaints, Accusation{By: v.Trustee, Against: c.Against, Reason: c.Reason})
		}
	}
	if len(ce.Complaints) > 0 {
		return &ce
	}
	return nil
}

// TrusteeShare is a trustee's outcome of a successful ceremony: its secret
// share s_j of the joint secret key, with the public joint key and every
// trustee's verification key. Store it only inside a keystore (see
// TrusteeState).
type TrusteeShare struct {
	index  uint32
	t      int
	secret crypto.Scalar
	joint  *JointKey
}

// String returns a description without the secret, so that printing a
// TrusteeShare by mistake does not leak it.
func (s *TrusteeShare) String() string {
	return fmt.Sprintf("ceremony.TrusteeShare{trustee %d, %d of %d, secret redacted}", s.index, s.t, len(s.joint.VerificationKeys))
}

// GoString is like String.
func (s *TrusteeShare) GoString() string { return s.String() }

// Index returns the trustee's index j.
func (s *TrusteeShare) Index() uint32 { return s.index }

// Ctx returns a copy of the ceremony context.
func (s *TrusteeShare) Ctx() []byte { return bytes.Clone(s.joint.Ctx) }

// Secret returns a copy of the secret share s_j. A partial decryption of
// (A, B) is s_j·A, proven with crypto.ProveDLEQ against the trustee's
// verification key s_j·G (JointKey().VerificationKeys[j−1]).
func (s *TrusteeShare) Secret() *crypto.Scalar { return crypto.NewScalar().Set(&s.secret) }

// JointKey returns a copy of the joint key record the trustee computed, to
// compare with the one posted on the board.
func (s *TrusteeShare) JointKey() *JointKey { return copyJointKey(s.joint) }

func copyJointKey(jk *JointKey) *JointKey {
	out := &JointKey{Ctx: bytes.Clone(jk.Ctx), PublicKey: jk.PublicKey,
		VerificationKeys: make([]*crypto.Element, len(jk.VerificationKeys))}
	for j, v := range jk.VerificationKeys {
		out.VerificationKeys[j] = crypto.NewElement().Set(v)
	}
	return out
}
