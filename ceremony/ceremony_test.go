package ceremony_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/evote/evote/ceremony"
	"github.com/evote/evote/crypto"
)

func TestMain(m *testing.M) {
	// Cheap Argon2id parameters; TestKeystoreDefaultParameters restores
	// the production ones.
	ceremony.SetKDF(1, 64, 1)
	os.Exit(m.Run())
}

var testCtx = func() []byte { h := sha256.Sum256([]byte("test manifest")); return h[:] }()

// run is one ceremony: the trustees' keys and the messages as read back from
// the board.
type run struct {
	ctx     []byte
	t, n    int
	keys    []*ceremony.TrusteeKeys
	pubs    []*ceremony.TrusteePublicKey
	cms     []*ceremony.Commitments
	shs     []*ceremony.Shares
	dealers []*ceremony.DealerSecret
}

// newRun generates keys and runs Deal for every trustee, passing each message
// through its encoding, as the board would.
func newRun(tb testing.TB, t, n int) *run {
	tb.Helper()
	r := &run{ctx: testCtx, t: t, n: n}
	for range n {
		k, err := ceremony.GenerateTrusteeKeys()
		if err != nil {
			tb.Fatal(err)
		}
		r.keys = append(r.keys, k)
		pb, err := k.Public().Marshal()
		if err != nil {
			tb.Fatal(err)
		}
		pub, err := ceremony.ParseTrusteePublicKey(pb)
		if err != nil {
			tb.Fatal(err)
		}
		r.pubs = append(r.pubs, pub)
	}
	for i := 1; i <= n; i++ {
		cm, sh, d, err := ceremony.Deal(r.ctx, uint32(i), t, n, r.pubs)
		if err != nil {
			tb.Fatal(err)
		}
		if err := ceremony.VerifyCommitments(r.ctx, t, n, cm); err != nil {
			tb.Fatalf("VerifyCommitments(trustee %d) = %v", i, err)
		}
		if err := ceremony.VerifyShares(r.ctx, n, sh); err != nil {
			tb.Fatalf("VerifyShares(trustee %d) = %v", i, err)
		}
		r.cms = append(r.cms, roundTrip(tb, cm, ceremony.ParseCommitments))
		r.shs = append(r.shs, roundTrip(tb, sh, ceremony.ParseShares))
		r.dealers = append(r.dealers, d)
	}
	return r
}

func (r *run) receive(tb testing.TB, j uint32) (*ceremony.TrusteeShare, *ceremony.Verdict) {
	tb.Helper()
	s, v, err := ceremony.Receive(r.ctx, r.keys[j-1], r.dealers[j-1], r.cms, r.shs)
	if err != nil {
		tb.Fatalf("Receive(trustee %d) = %v", j, err)
	}
	if (s != nil) != v.Accept {
		tb.Fatalf("Receive(trustee %d): share returned = %v, accept = %v", j, s != nil, v.Accept)
	}
	return s, roundTrip(tb, v, ceremony.ParseVerdict)
}

type marshaler interface{ Marshal() ([]byte, error) }

// roundTrip marshals m, parses it back and checks that the result marshals
// to the same bytes.
func roundTrip[M marshaler](tb testing.TB, m M, parse func([]byte) (M, error)) M {
	tb.Helper()
	b, err := m.Marshal()
	if err != nil {
		tb.Fatalf("Marshal: %v", err)
	}
	m2, err := parse(b)
	if err != nil {
		tb.Fatalf("Parse(%s) = %v", b, err)
	}
	b2, err := m2.Marshal()
	if err != nil {
		tb.Fatalf("Marshal after Parse: %v", err)
	}
	if !bytes.Equal(b, b2) {
		tb.Fatalf("Marshal(Parse(%s)) = %s", b, b2)
	}
	return m2
}

// subsets returns every k-subset of 1..n.
func subsets(n, k int) [][]uint32 {
	if k == 0 {
		return [][]uint32{{}}
	}
	var out [][]uint32
	for last := k; last <= n; last++ {
		for _, s := range subsets(last-1, k-1) {
			out = append(out, append(slices.Clone(s), uint32(last)))
		}
	}
	return out
}

func TestCeremony(t *testing.T) {
	const th, n = 3, 5
	r := newRun(t, th, n)

	var shares []*ceremony.TrusteeShare
	var verdicts []*ceremony.Verdict
	for j := uint32(1); j <= n; j++ {
		s, v := r.receive(t, j)
		if !v.Accept || len(v.Complaints) != 0 {
			t.Fatalf("trustee %d rejects: %+v", j, v.Complaints)
		}
		shares = append(shares, s)
		verdicts = append(verdicts, v)
	}
	if err := ceremony.CheckVerdicts(r.ctx, n, verdicts); err != nil {
		t.Fatalf("CheckVerdicts = %v", err)
	}

	// The joint key is the sum of the constant-term commitments.
	sum := crypto.NewElement()
	for _, cm := range r.cms {
		sum.Add(sum, cm.Coefficients[0])
	}
	jk, err := ceremony.ComputeJointKey(r.ctx, th, n, r.cms)
	if err != nil {
		t.Fatal(err)
	}
	jk = roundTrip(t, jk, ceremony.ParseJointKey)
	pk := jk.PublicKey
	if pk.Element().Equal(sum) != 1 {
		t.Fatalf("ComputeJointKey public key = %x, want Σ C_i0 = %x", pk.Bytes(), sum.Bytes())
	}
	if err := ceremony.VerifyJointKey(r.ctx, th, n, r.cms, jk); err != nil {
		t.Fatalf("VerifyJointKey = %v", err)
	}

	// Every trustee's share times G is the verification key anyone computes,
	// computed here also the long way, Σ_i CommitmentEval(C_i, j).
	for _, s := range shares {
		j := s.Index()
		long := crypto.NewElement()
		for _, cm := range r.cms {
			long.Add(long, crypto.CommitmentEval(cm.Coefficients, j))
		}
		sG := crypto.NewElement().ScalarBaseMult(s.Secret())
		if sG.Equal(long) != 1 || sG.Equal(jk.VerificationKeys[j-1]) != 1 {
			t.Errorf("trustee %d: s_j·G = %x, Σ CommitmentEval = %x, joint key record = %x",
				j, sG.Bytes(), long.Bytes(), jk.VerificationKeys[j-1].Bytes())
		}
		desc := fmt.Sprintf("ceremony.TrusteeShare{trustee %d, %d of %d, secret redacted}", j, th, n)
		if s.String() != desc || fmt.Sprintf("%#v", s) != desc || !bytes.Equal(s.Ctx(), r.ctx) {
			t.Errorf("trustee %d: share has wrong public parameters: %v", j, s)
		}
		mine, err := s.JointKey().Marshal()
		if err != nil {
			t.Fatal(err)
		}
		want, _ := jk.Marshal()
		if !bytes.Equal(mine, want) {
			t.Errorf("trustee %d: own joint key record differs from ComputeJointKey", j)
		}
	}

	// Any t shares decrypt; t−1 do not.
	const v = 42
	ct, _ := pk.Encrypt(v)
	vG := crypto.NewElement().ScalarBaseMult(crypto.NewScalar().SetUint64(v))
	decrypt := func(set []uint32) *crypto.Element {
		partials := make([]*crypto.Element, len(set))
		for k, j := range set {
			partials[k] = crypto.NewElement().ScalarMult(shares[j-1].Secret(), &ct.A)
		}
		xA, err := crypto.CombinePartials(set, partials)
		if err != nil {
			t.Fatal(err)
		}
		return crypto.NewElement().Subtract(&ct.B, xA)
	}
	for _, set := range subsets(n, th) {
		if got := decrypt(set); got.Equal(vG) != 1 {
			t.Errorf("trustees %v: decryption = %x, want %d·G", set, got.Bytes(), v)
		}
	}
	for _, set := range subsets(n, th-1) {
		if got := decrypt(set); got.Equal(vG) == 1 {
			t.Errorf("trustees %v (fewer than t) decrypt", set)
		}
	}
	for _, set := range subsets(n, n) {
		if got := decrypt(set); got.Equal(vG) != 1 {
			t.Errorf("all trustees %v: decryption wrong", set)
		}
	}
}

// TestCeremonySizes runs small and edge-case ceremonies end to end.
func TestCeremonySizes(t *testing.T) {
	for _, c := range []struct{ t, n int }{{1, 1}, {1, 2}, {2, 2}, {3, 3}, {3, 4}} {
		t.Run(fmt.Sprintf("%d-of-%d", c.t, c.n), func(t *testing.T) {
			r := newRun(t, c.t, c.n)
			jk, err := ceremony.ComputeJointKey(r.ctx, c.t, c.n, r.cms)
			if err != nil {
				t.Fatal(err)
			}
			var secrets []*crypto.Scalar
			for j := uint32(1); j <= uint32(c.n); j++ {
				s, v := r.receive(t, j)
				if !v.Accept {
					t.Fatalf("trustee %d rejects: %+v", j, v.Complaints)
				}
				secrets = append(secrets, s.Secret())
			}
			// Interpolate the joint secret at 0 from the first t shares.
			set := make([]uint32, c.t)
			x := crypto.NewScalar()
			for k := range set {
				set[k] = uint32(k + 1)
			}
			for _, j := range set {
				l, err := crypto.LagrangeCoefficient(j, set)
				if err != nil {
					t.Fatal(err)
				}
				x.MultiplyAdd(l, secrets[j-1], x)
			}
			if crypto.NewElement().ScalarBaseMult(x).Equal(jk.PublicKey.Element()) != 1 {
				t.Errorf("interpolated secret does not match the joint key")
			}
		})
	}
}

// verdictsOf runs Receive for every trustee and returns the verdicts.
func verdictsOf(t *testing.T, r *run) []*ceremony.Verdict {
	var vs []*ceremony.Verdict
	for j := uint32(1); j <= uint32(r.n); j++ {
		_, v := r.receive(t, j)
		vs = append(vs, v)
	}
	return vs
}

func wantComplaints(t *testing.T, r *run, want map[uint32][]ceremony.Complaint) {
	t.Helper()
	vs := verdictsOf(t, r)
	var acc []ceremony.Accusation
	for j, v := range vs {
		by := uint32(j + 1)
		if !slices.Equal(v.Complaints, want[by]) {
			t.Errorf("trustee %d complaints = %+v, want %+v", by, v.Complaints, want[by])
		}
		for _, c := range want[by] {
			acc = append(acc, ceremony.Accusation{By: by, Against: c.Against, Reason: c.Reason})
		}
	}
	err := ceremony.CheckVerdicts(r.ctx, r.n, vs)
	var ce *ceremony.ComplaintError
	if len(acc) == 0 {
		if err != nil {
			t.Errorf("CheckVerdicts = %v, want nil", err)
		}
		return
	}
	if !errors.As(err, &ce) {
		t.Fatalf("CheckVerdicts = %v, want *ComplaintError", err)
	}
	if !slices.Equal(ce.Complaints, acc) {
		t.Errorf("CheckVerdicts complaints = %+v, want %+v", ce.Complaints, acc)
	}
}

// entry returns the index in sh.Shares of the share addressed to j.
func entry(t *testing.T, sh *ceremony.Shares, j uint32) int {
	t.Helper()
	for k, e := range sh.Shares {
		if e.To == j {
			return k
		}
	}
	t.Fatalf("trustee %d's shares have no entry for %d", sh.Trustee, j)
	return -1
}

func TestWrongShare(t *testing.T) {
	r := newRun(t, 3, 5)
	// Trustee 1 sends trustee 2 the share f_1(2)+1, correctly sealed.
	k := entry(t, r.shs[0], 2)
	s, err := ceremony.OpenShare(r.ctx, 1, r.keys[1], r.shs[0].Shares[k])
	if err != nil {
		t.Fatal(err)
	}
	s.Add(s, crypto.NewScalar().SetUint64(1))
	if r.shs[0].Shares[k], err = ceremony.SealShare(r.ctx, 1, 2, r.pubs[1].EncKey, s); err != nil {
		t.Fatal(err)
	}
	r.shs[0] = roundTrip(t, r.shs[0], ceremony.ParseShares)
	wantComplaints(t, r, map[uint32][]ceremony.Complaint{2: {{Against: 1, Reason: ceremony.ReasonShare}}})

	var ce *ceremony.ComplaintError
	if err := ceremony.CheckVerdicts(r.ctx, r.n, verdictsOf(t, r)); !errors.As(err, &ce) || !slices.Equal(ce.Accused(), []uint32{1}) {
		t.Errorf("CheckVerdicts = %v, want trustee 1 accused", err)
	}
}

func TestMisdeliveredShare(t *testing.T) {
	tests := []struct {
		name   string
		mangle func(t *testing.T, r *run)
		want   map[uint32][]ceremony.Complaint
	}{
		{"sealed for 2, in 3's slot", func(t *testing.T, r *run) {
			e := r.shs[0].Shares[entry(t, r.shs[0], 2)]
			e.To = 3
			r.shs[0].Shares[entry(t, r.shs[0], 3)] = e
		}, map[uint32][]ceremony.Complaint{3: {{Against: 1, Reason: ceremony.ReasonDecrypt}}}},
		{"to 3's key but bound to slot 2", func(t *testing.T, r *run) {
			s, err := ceremony.OpenShare(r.ctx, 1, r.keys[2], r.shs[0].Shares[entry(t, r.shs[0], 3)])
			if err != nil {
				t.Fatal(err)
			}
			e, err := ceremony.SealShare(r.ctx, 1, 2, r.pubs[2].EncKey, s)
			if err != nil {
				t.Fatal(err)
			}
			e.To = 3
			r.shs[0].Shares[entry(t, r.shs[0], 3)] = e
		}, map[uint32][]ceremony.Complaint{3: {{Against: 1, Reason: ceremony.ReasonDecrypt}}}},
		{"bound to another sender", func(t *testing.T, r *run) {
			// Trustee 4 forwards trustee 1's share for 3 as its own.
			r.shs[3].Shares[entry(t, r.shs[3], 3)] = r.shs[0].Shares[entry(t, r.shs[0], 3)]
		}, map[uint32][]ceremony.Complaint{3: {{Against: 4, Reason: ceremony.ReasonDecrypt}}}},
		{"bound to another election", func(t *testing.T, r *run) {
			s, err := ceremony.OpenShare(r.ctx, 1, r.keys[2], r.shs[0].Shares[entry(t, r.shs[0], 3)])
			if err != nil {
				t.Fatal(err)
			}
			e, err := ceremony.SealShare([]byte("another election"), 1, 3, r.pubs[2].EncKey, s)
			if err != nil {
				t.Fatal(err)
			}
			r.shs[0].Shares[entry(t, r.shs[0], 3)] = e
		}, map[uint32][]ceremony.Complaint{3: {{Against: 1, Reason: ceremony.ReasonDecrypt}}}},
		{"tampered ciphertext", func(t *testing.T, r *run) {
			r.shs[1].Shares[entry(t, r.shs[1], 5)].Ct[0] ^= 1
		}, map[uint32][]ceremony.Complaint{5: {{Against: 2, Reason: ceremony.ReasonDecrypt}}}},
		{"two bad senders", func(t *testing.T, r *run) {
			r.shs[1].Shares[entry(t, r.shs[1], 5)].Ct[47] ^= 1
			r.shs[3].Shares[entry(t, r.shs[3], 5)] = r.shs[2].Shares[entry(t, r.shs[2], 5)]
		}, map[uint32][]ceremony.Complaint{5: {{Against: 2, Reason: ceremony.ReasonDecrypt}, {Against: 4, Reason: ceremony.ReasonDecrypt}}}},
		{"shares message missing a slot", func(t *testing.T, r *run) {
			r.shs[4].Shares = slices.Delete(r.shs[4].Shares, 0, 1) // drops the entry for 1
		}, map[uint32][]ceremony.Complaint{
			1: {{Against: 5, Reason: ceremony.ReasonShares}}, 2: {{Against: 5, Reason: ceremony.ReasonShares}},
			3: {{Against: 5, Reason: ceremony.ReasonShares}}, 4: {{Against: 5, Reason: ceremony.ReasonShares}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRun(t, 3, 5)
			tt.mangle(t, r)
			wantComplaints(t, r, tt.want)
		})
	}
}

// TestBadCommitmentsComplaint: every other trustee names the dealer of a
// commitments message with a bad proof; the dealer itself gets an error.
func TestBadCommitmentsComplaint(t *testing.T) {
	r := newRun(t, 3, 5)
	r.cms[2].Proofs[0], r.cms[2].Proofs[1] = r.cms[2].Proofs[1], r.cms[2].Proofs[0]
	for j := uint32(1); j <= 5; j++ {
		if j == 3 {
			if _, _, err := ceremony.Receive(r.ctx, r.keys[2], r.dealers[2], r.cms, r.shs); !errors.Is(err, crypto.ErrInvalidProof) {
				t.Errorf("Receive(trustee 3) = %v, want ErrInvalidProof", err)
			}
			continue
		}
		_, v := r.receive(t, j)
		want := []ceremony.Complaint{{Against: 3, Reason: ceremony.ReasonCommitments}}
		if !slices.Equal(v.Complaints, want) {
			t.Errorf("trustee %d complaints = %+v, want %+v", j, v.Complaints, want)
		}
	}
}

func TestVerifyCommitments(t *testing.T) {
	r := newRun(t, 3, 5)
	other := newRun(t, 3, 5)
	clone := func(m *ceremony.Commitments) *ceremony.Commitments {
		return &ceremony.Commitments{Ctx: bytes.Clone(m.Ctx), Trustee: m.Trustee,
			Coefficients: slices.Clone(m.Coefficients), Proofs: slices.Clone(m.Proofs)}
	}
	tests := []struct {
		name      string
		mangle    func(m *ceremony.Commitments)
		ctx       []byte
		t, n      int
		wantProof bool // the error must wrap crypto.ErrInvalidProof
	}{
		{"swapped proofs", func(m *ceremony.Commitments) { m.Proofs[0], m.Proofs[1] = m.Proofs[1], m.Proofs[0] }, testCtx, 3, 5, true},
		{"proof of another dealer", func(m *ceremony.Commitments) { m.Proofs[2] = r.cms[3].Proofs[2] }, testCtx, 3, 5, true},
		{"coefficient of another dealer", func(m *ceremony.Commitments) { m.Coefficients[0] = other.cms[0].Coefficients[0] }, testCtx, 3, 5, true},
		{"another dealer's whole message", func(m *ceremony.Commitments) { m.Coefficients, m.Proofs = r.cms[1].Coefficients, r.cms[1].Proofs }, testCtx, 3, 5, true},
		{"another election's message", func(m *ceremony.Commitments) {
			m.Coefficients, m.Proofs = other.cms[0].Coefficients, other.cms[0].Proofs
			m.Ctx = []byte("another election")
		}, testCtx, 3, 5, false},
		{"replayed into another election", func(m *ceremony.Commitments) { m.Ctx = []byte("another election") }, []byte("another election"), 3, 5, true},
		{"claimed under another n", func(*ceremony.Commitments) {}, testCtx, 3, 6, true},
		{"wrong t", func(*ceremony.Commitments) {}, testCtx, 2, 5, false},
		{"index beyond n", func(*ceremony.Commitments) {}, testCtx, 3, 0, false},
		{"identity coefficient", func(m *ceremony.Commitments) { m.Coefficients[1] = crypto.NewElement() }, testCtx, 3, 5, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := clone(r.cms[0])
			tt.mangle(m)
			err := ceremony.VerifyCommitments(tt.ctx, tt.t, tt.n, m)
			if err == nil {
				t.Fatal("VerifyCommitments = nil, want error")
			}
			if tt.wantProof && !errors.Is(err, crypto.ErrInvalidProof) {
				t.Errorf("VerifyCommitments = %v, want ErrInvalidProof", err)
			}
		})
	}
	// A bad proof in the joint key computation is caught too.
	bad := slices.Clone(r.cms)
	bad[4] = clone(bad[4])
	bad[4].Proofs[0] = bad[4].Proofs[1]
	if _, err := ceremony.ComputeJointKey(testCtx, 3, 5, bad); !errors.Is(err, crypto.ErrInvalidProof) {
		t.Errorf("ComputeJointKey with a bad proof = %v, want ErrInvalidProof", err)
	}
	// A wrong joint key record is caught.
	jk, err := ceremony.ComputeJointKey(testCtx, 3, 5, r.cms)
	if err != nil {
		t.Fatal(err)
	}
	jk.VerificationKeys[1], jk.VerificationKeys[2] = jk.VerificationKeys[2], jk.VerificationKeys[1]
	if err := ceremony.VerifyJointKey(testCtx, 3, 5, r.cms, jk); err == nil {
		t.Error("VerifyJointKey accepts swapped verification keys")
	}
}

func TestVerifyShares(t *testing.T) {
	r := newRun(t, 2, 4)
	if err := ceremony.VerifyShares(testCtx, 4, r.shs[1]); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		ctx  []byte
		n    int
		m    *ceremony.Shares
	}{
		{"wrong ctx", []byte("x"), 4, r.shs[1]},
		{"n too small", testCtx, 3, r.shs[1]},
		{"n too large", testCtx, 5, r.shs[1]},
		{"missing slot", testCtx, 4, &ceremony.Shares{Ctx: testCtx, Trustee: 2, Shares: r.shs[1].Shares[1:]}},
		{"nil", testCtx, 4, nil},
	} {
		if err := ceremony.VerifyShares(tt.ctx, tt.n, tt.m); err == nil {
			t.Errorf("%s: VerifyShares = nil, want error", tt.name)
		}
	}
	// A slot beyond n with the right count: trustee 4 of n = 4 addressing 1, 2, 5.
	m := &ceremony.Shares{Ctx: testCtx, Trustee: 4, Shares: slices.Clone(r.shs[3].Shares)}
	m.Shares[2].To = 5
	if err := ceremony.VerifyShares(testCtx, 4, m); err == nil {
		t.Error("VerifyShares accepts a share for trustee 5 of 4")
	}
}

func TestReceiveErrors(t *testing.T) {
	r := newRun(t, 2, 3)
	other := newRun(t, 2, 3)
	recv := func(ctx []byte, j int, d *ceremony.DealerSecret, cms []*ceremony.Commitments, shs []*ceremony.Shares) error {
		_, _, err := ceremony.Receive(ctx, r.keys[j], d, cms, shs)
		return err
	}
	for _, tt := range []struct {
		name       string
		err        error
		incomplete bool
	}{
		{"missing commitments", recv(testCtx, 0, r.dealers[0], r.cms[:2], r.shs), true},
		{"missing shares", recv(testCtx, 0, r.dealers[0], r.cms, r.shs[1:]), true},
		{"duplicate commitments", recv(testCtx, 0, r.dealers[0], append(slices.Clone(r.cms), r.cms[1]), r.shs), true},
		{"nil message", recv(testCtx, 0, r.dealers[0], []*ceremony.Commitments{r.cms[0], nil, r.cms[2]}, r.shs), true},
		{"dealer secret of another run", recv(testCtx, 0, other.dealers[0], r.cms, r.shs), false},
		{"another ctx", recv([]byte("x"), 0, r.dealers[0], r.cms, r.shs), false},
		{"own commitments replaced", recv(testCtx, 0, r.dealers[0], []*ceremony.Commitments{other.cms[0], r.cms[1], r.cms[2]}, r.shs), false},
		{"nil dealer", recv(testCtx, 0, nil, r.cms, r.shs), false},
	} {
		if tt.err == nil {
			t.Errorf("%s: Receive succeeded", tt.name)
		} else if errors.Is(tt.err, ceremony.ErrIncomplete) != tt.incomplete {
			t.Errorf("%s: Receive = %v, ErrIncomplete = %v", tt.name, tt.err, tt.incomplete)
		}
	}
	if err := ceremony.CheckVerdicts(testCtx, 3, verdictsOf(t, r)[:2]); !errors.Is(err, ceremony.ErrIncomplete) {
		t.Errorf("CheckVerdicts with 2 of 3 = %v, want ErrIncomplete", err)
	}
}

func TestDealErrors(t *testing.T) {
	r := newRun(t, 2, 3)
	lowOrder := &ceremony.TrusteePublicKey{SignKey: r.pubs[1].SignKey, EncKey: make([]byte, 32)}
	for _, tt := range []struct {
		name string
		ctx  []byte
		i    uint32
		t, n int
		pubs []*ceremony.TrusteePublicKey
	}{
		{"t = 0", testCtx, 1, 0, 3, r.pubs},
		{"t > n", testCtx, 1, 4, 3, r.pubs},
		{"index 0", testCtx, 0, 2, 3, r.pubs},
		{"index > n", testCtx, 4, 2, 3, r.pubs},
		{"empty ctx", nil, 1, 2, 3, r.pubs},
		{"long ctx", make([]byte, 65), 1, 2, 3, r.pubs},
		{"too few keys", testCtx, 1, 2, 3, r.pubs[:2]},
		{"nil key", testCtx, 1, 2, 3, []*ceremony.TrusteePublicKey{r.pubs[0], nil, r.pubs[2]}},
		{"low-order key", testCtx, 1, 2, 3, []*ceremony.TrusteePublicKey{r.pubs[0], lowOrder, r.pubs[2]}},
		{"n too large", testCtx, 1, 2, ceremony.MaxTrustees + 1, r.pubs},
	} {
		if _, _, _, err := ceremony.Deal(tt.ctx, tt.i, tt.t, tt.n, tt.pubs); err == nil {
			t.Errorf("%s: Deal succeeded", tt.name)
		}
	}
	// The dealer's own entry may be nil.
	if _, _, _, err := ceremony.Deal(testCtx, 2, 2, 3, []*ceremony.TrusteePublicKey{r.pubs[0], nil, r.pubs[2]}); err != nil {
		t.Errorf("Deal with nil own key = %v", err)
	}
}

func TestSign(t *testing.T) {
	k, err := ceremony.GenerateTrusteeKeys()
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("evote/v1/record test")
	sig := k.Sign(msg)
	if !k.Public().Verify(msg, sig) {
		t.Fatal("signature does not verify")
	}
	sig[0] ^= 1
	if k.Public().Verify(msg, sig) {
		t.Fatal("mangled signature verifies")
	}
}

// TestRedacted checks that printing secret-holding values does not show the
// secrets, in any fmt verb.
func TestRedacted(t *testing.T) {
	r := newRun(t, 2, 2)
	share, _ := r.receive(t, 1)
	st := &ceremony.TrusteeState{Keys: r.keys[0], Dealer: r.dealers[0], Share: share}
	pt := mustMarshal(t, st)
	secrets := [][]byte{share.Secret().Bytes()}
	// Recover the private key bytes from the state encoding.
	for _, field := range []string{`"sign_seed":"`, `"enc_private":"`, `"own_share":"`} {
		i := bytes.Index(pt, []byte(field)) + len(field)
		raw, err := base64.StdEncoding.DecodeString(string(pt[i : i+44]))
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, raw)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x"} {
		for _, v := range []any{st, *st, r.keys[0], r.dealers[0], share} {
			out := fmt.Sprintf(verb, v)
			for _, s := range secrets {
				for _, enc := range []string{fmt.Sprintf("%x", s), fmt.Sprint(s), fmt.Sprintf("%v", s[:8]), base64.StdEncoding.EncodeToString(s)} {
					if strings.Contains(out, enc) {
						t.Errorf("fmt.Sprintf(%q, %T) shows a secret: %s", verb, v, out)
					}
				}
			}
		}
	}
}
