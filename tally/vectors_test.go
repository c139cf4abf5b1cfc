package tally_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/evote/evote/crypto"
	"github.com/evote/evote/crypto/cryptotest"
	"github.com/evote/evote/internal/specvectors"
	"github.com/evote/evote/tally"
	"github.com/evote/evote/tally/tallytest"
)

var _ = flag.Bool("update", false, "rewrite the vector files of docs/spec/vectors")

// tallyVector is the election of the tally vectors: its context,
// threshold, verification keys, sums and partial decryptions in board
// order.
type tallyVector struct {
	ctx      []byte
	t        int
	vks      map[uint32]*crypto.Element
	sums     []*crypto.Ciphertext
	partials []*tally.PartialDecryption
	counts   []uint64
}

// newTallyVector builds the election of the vectors from its seed: 5
// trustees, t = 3, 7 ballots of 3 positions with values in [0, 2]. The
// partials are, in order: 4, 2 with share 1 replaced by G, 1, 1 relabelled
// as 9, 4 again, 3. Trustee 5 is absent.
func newTallyVector(t *testing.T, seed string) *tallyVector {
	const n, th, l, nb = 5, 3, 3, 7
	rd := cryptotest.NewReader([]byte(seed))
	v := &tallyVector{ctx: []byte("evote/v1 tally test vector base hash"), t: th, vks: map[uint32]*crypto.Element{}, counts: make([]uint64, l)}
	coeffs := make([]*crypto.Scalar, th)
	for i := range coeffs {
		coeffs[i] = cryptotest.Scalar(rd)
	}
	f := func(j uint32) *crypto.Scalar {
		x := crypto.NewScalar().SetUint64(uint64(j))
		s := crypto.NewScalar()
		for i := th - 1; i >= 0; i-- {
			s.MultiplyAdd(s, x, coeffs[i])
		}
		return s
	}
	shares := map[uint32]*crypto.Scalar{}
	for j := uint32(1); j <= n; j++ {
		shares[j] = f(j)
		v.vks[j] = crypto.NewElement().ScalarBaseMult(shares[j])
	}
	pk, err := crypto.PublicKeyFromElement(crypto.NewElement().ScalarBaseMult(f(0)))
	if err != nil {
		t.Fatal(err)
	}
	acc := tally.NewAccumulator(l)
	for b := range nb {
		ballot := make([]*crypto.Ciphertext, l)
		for k := range ballot {
			x := uint64((b*b + 2*k + b*k) % 3)
			v.counts[k] += x
			ballot[k], _ = cryptotest.Encrypt(pk, x, rd)
		}
		if err := acc.Add(ballot, 1); err != nil {
			t.Fatal(err)
		}
	}
	v.sums = acc.Sums()
	honest := map[uint32]*tally.PartialDecryption{}
	for _, j := range []uint32{4, 2, 1, 3} {
		p, err := tallytest.NewPartialDecryption(v.ctx, j, shares[j], v.sums, rd)
		if err != nil {
			t.Fatal(err)
		}
		honest[j] = p
	}
	bad := clonePartial(honest[2])
	bad.Shares[1] = crypto.NewGeneratorElement()
	relabelled := clonePartial(honest[1])
	relabelled.Trustee = 9
	v.partials = []*tally.PartialDecryption{honest[4], bad, honest[1], relabelled, honest[4], honest[3]}
	return v
}

// write writes the inputs that readTallyVector reads, with the partials
// given.
func (v *tallyVector) write(t *testing.T, w *specvectors.Writer, partials []*tally.PartialDecryption) {
	w.Input("ctx", v.ctx)
	w.Input("t", v.t)
	for j := uint32(1); j <= uint32(len(v.vks)); j++ {
		w.Input("vk", fmt.Sprintf("%d %x", j, v.vks[j].Bytes()))
	}
	for _, c := range v.sums {
		w.Input("sum", c.Bytes())
	}
	for _, p := range partials {
		enc, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		w.Input("partial", string(enc))
	}
}

// readTallyVector reads the inputs of a combine or verify-result vector.
func readTallyVector(t *testing.T, v *specvectors.Vector) *tallyVector {
	tv := &tallyVector{ctx: v.Hex("ctx"), t: int(v.Uint("t")), vks: map[uint32]*crypto.Element{}}
	for _, s := range v.Strings("vk") {
		var j uint32
		var h string
		if _, err := fmt.Sscanf(s, "%d %s", &j, &h); err != nil {
			t.Fatalf("vk %q: %v", s, err)
		}
		e, err := crypto.NewElement().SetCanonicalBytes(hexOf(t, h))
		if err != nil {
			t.Fatalf("vk %q: %v", s, err)
		}
		tv.vks[j] = e
	}
	for _, s := range v.Strings("sum") {
		c, err := crypto.NewCiphertext().SetBytes(hexOf(t, s))
		if err != nil {
			t.Fatalf("sum: %v", err)
		}
		tv.sums = append(tv.sums, c)
	}
	for _, s := range v.Strings("partial") {
		p, err := tally.ParsePartialDecryption([]byte(s))
		if err != nil {
			t.Fatalf("partial: %v", err)
		}
		tv.partials = append(tv.partials, p)
	}
	return tv
}

func hexOf(t *testing.T, s string) []byte {
	t.Helper()
	b, err := specvectors.DecodeHex(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tallyOutcome is the outcome of Combine or VerifyResult.
func tallyOutcome(err error) []string {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, tally.ErrNotEnoughPartials):
		return []string{"not-enough-partials"}
	case errors.Is(err, tally.ErrResultMismatch):
		return []string{"mismatch"}
	case errors.Is(err, tally.ErrInvalidEncoding):
		return []string{"malformed"}
	}
	return []string{err.Error()}
}

// combine runs Combine with a solver bounded by the number of ballots ×
// the largest value (7 × 2) of the vectors.
func (v *tallyVector) combine() (*tally.Result, error) {
	return tally.Combine(v.ctx, v.t, v.sums, v.vks, v.partials, crypto.NewDlogSolver(14))
}

// combineOutputs lists the outputs of a combination.
func combineOutputs(t testing.TB, e specvectors.Expecter, sums []*crypto.Ciphertext, r *tally.Result) {
	t.Helper()
	enc, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	h := tally.SumsHash(sums)
	e.Expect("sums-hash", h[:])
	e.Expect("result", string(enc))
	e.Expect("counts", strings.Trim(fmt.Sprint(r.Counts), "[]"))
}

// aggregate sums the ballots given as "weight ciphertext…" (hex) lines, then
// takes the superseded ones back out (docs/spec/tally.md §2).
func aggregate(t testing.TB, positions uint64, ballots, superseded []string) ([]*crypto.Ciphertext, error) {
	acc := tally.NewAccumulator(int(positions))
	for i, lines := range [][]string{ballots, superseded} {
		for _, line := range lines {
			f := strings.Fields(line)
			w, err := strconv.ParseUint(f[0], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			cts := make([]*crypto.Ciphertext, len(f)-1)
			for k, h := range f[1:] {
				b, err := hex.DecodeString(h)
				if err != nil {
					t.Fatal(err)
				}
				if cts[k], err = crypto.NewCiphertext().SetBytes(b); err != nil {
					t.Fatal(err)
				}
			}
			op := acc.Add
			if i == 1 {
				op = acc.Subtract
			}
			if err := op(cts, w); err != nil {
				return nil, fmt.Errorf("%w: %w", tally.ErrInvalidEncoding, err)
			}
		}
	}
	return acc.Sums(), nil
}

// aggregateOutputs lists the outputs of an aggregate vector.
func aggregateOutputs(e specvectors.Expecter, sums []*crypto.Ciphertext) {
	var hs []string
	for _, c := range sums {
		hs = append(hs, hex.EncodeToString(c.Bytes()))
	}
	e.Expect("sums", strings.Join(hs, " "))
	h := tally.SumsHash(sums)
	e.Expect("sums-hash", h[:])
}

// TestTallyVectors runs docs/spec/vectors/tally.txt (docs/spec/tally.md):
// the decryption share contexts, sums hash, selection, combination and
// result of a small election, and results that do not verify.
func TestTallyVectors(t *testing.T) {
	specvectors.Generated(t, "tally.txt", generateTallyVectors(t))
	specvectors.Run(t, "tally.txt", func(t *testing.T, v *specvectors.Vector) {
		switch op := v.String("op"); op {
		case "share-ctx":
			ctx, j, k := v.Hex("ctx"), v.Uint("trustee"), v.Uint("position")
			want := append([]byte("evote/v1/tally/decryption-share\x00"), binary.BigEndian.AppendUint64(nil, uint64(len(ctx)))...)
			want = binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(append(want, ctx...), uint32(j)), uint32(k))
			got := tally.ShareContext(ctx, uint32(j), int(k))
			if !bytes.Equal(got, want) {
				t.Errorf("ShareContext = %x, its definition gives %x", got, want)
			}
			v.Expect("context", got)
		case "combine":
			tv := readTallyVector(t, v)
			r, err := tv.combine()
			if !v.Outcome(tallyOutcome(err)...) {
				return
			}
			want, err := tally.ParseResult([]byte(v.Peek("result")))
			if err != nil {
				t.Fatal(err)
			}
			if err := tally.VerifyResult(tv.ctx, tv.t, tv.sums, tv.vks, tv.partials, want); err != nil {
				t.Errorf("VerifyResult(the expected result) = %v", err)
			}
			combineOutputs(t, v, tv.sums, r)
		case "verify-result":
			tv := readTallyVector(t, v)
			r, err := tally.ParseResult([]byte(v.String("result")))
			if err == nil {
				err = tally.VerifyResult(tv.ctx, tv.t, tv.sums, tv.vks, tv.partials, r)
			}
			v.Outcome(tallyOutcome(err)...)
		case "aggregate":
			sums, err := aggregate(t, v.Uint("positions"), v.Strings("ballot"), v.Strings("superseded"))
			if v.Outcome(tallyOutcome(err)...) {
				aggregateOutputs(v, sums)
			}
		case "parse-partial":
			p, err := tally.ParsePartialDecryption([]byte(v.String("partial")))
			if v.Outcome(tallyOutcome(err)...) {
				v.Expect("trustee", p.Trustee)
			}
		default:
			t.Fatalf("unknown op %q", op)
		}
	})
}

func generateTallyVectors(t *testing.T) []byte {
	w := specvectors.NewWriter(`Tally: decryption share contexts, sums, selection, combination and
result (docs/spec/tally.md). Format: docs/spec/vectors.md.
Runner: TestTallyVectors (tally); regenerate with
  go test ./tally -run TestTallyVectors -update
The election of combine and verify-result: 5 trustees, t = 3, 7 ballots of
3 positions with values in [0, 2]; its secrets come from
cryptotest.NewReader("tally 0") = SHAKE128, 64 bytes a scalar: the t
coefficients of the sharing polynomial F, then each ballot value's
encryption randomness, then the proof nonces of each honest partial
decryption in the order listed. The partials are, in board order: trustee
4; trustee 2 with share 1 replaced by G (invalid proof at position 1);
trustee 1; trustee 1's partial relabelled 9 (unknown trustee); trustee 4
again (duplicate); trustee 3. Trustee 5 is absent.

The ballots of aggregate are encryptions under the key x·G, x the first
scalar of cryptotest.NewReader("aggregate"), with randomness from the
scalars that follow, ballot by ballot, in the order of the vectors.

Inputs:
  op:        share-ctx | aggregate | combine | verify-result | parse-partial
  positions: (aggregate) the number of positions L
  ballot:    (aggregate, repeated) a counted ballot: its voter's weight, then
             its L ciphertexts A || B, hex, separated by spaces
  superseded: (aggregate, repeated) a ballot added before and superseded:
             taken back out with its weight
  ctx:       the election context (the base hash in an election), hex
  trustee, position: (share-ctx) j and k
  t:         the threshold
  vk:        (repeated) a trustee index, a space, VK_j = F(j)·G
  sum:       (repeated, in position order) the aggregated ciphertext A || B
  partial:   (repeated, in board order) a partial decryption, canonical JSON (§4)
  result:    (verify-result) a result to check
Outputs:
  context:   (share-ctx) ctx_{j,k} of §3
  sums:      (aggregate) the L sums of §2, weights applied, hex, separated
             by spaces
  sums-hash: SumsHash of the sums (§2)
  result:    the canonical result (§6) of the combination
  counts:    its counts, separated by spaces
  trustee:   (parse-partial) the partial's trustee index
Rejections:
  not-enough-partials: fewer than t partials are accepted (§5)
  mismatch:            (verify-result) the result is not the one of §5–§6
  malformed:           not the canonical encoding (§4, §6); (aggregate) a
                       ballot of weight 0 or of another length than L`)
	for _, tc := range []struct {
		ctx  string
		j, k uint32
		name string
	}{
		{"evote/v1 tally test vector base hash", 1, 0, "share-ctx-1-0"},
		{"evote/v1 tally test vector base hash", 4, 2, "share-ctx-4-2"},
		{"another election", 4, 2, "share-ctx-other-election"},
	} {
		w.Vector(tc.name)
		w.Input("op", "share-ctx")
		w.Input("ctx", []byte(tc.ctx))
		w.Input("trustee", tc.j)
		w.Input("position", tc.k)
		w.Expect("context", tally.ShareContext([]byte(tc.ctx), tc.j, int(tc.k)))
	}

	tv := newTallyVector(t, "tally 0")
	generateAggregateVectors(t, w)
	r, err := tv.combine()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Counts, tv.counts) {
		t.Fatalf("vector counts %v, want %v", r.Counts, tv.counts)
	}
	enc, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	w.Vector("tally-0")
	w.Input("op", "combine")
	tv.write(t, w, tv.partials)
	combineOutputs(t, w, tv.sums, r)

	w.Vector("tally-0-two-valid")
	w.Input("op", "combine")
	tv.write(t, w, tv.partials[:4])
	w.Comment("the first four partials of tally-0: trustees 4 and 1 only are accepted")
	w.Reject("not-enough-partials")

	for _, tc := range []struct {
		name, comment, old, new string
	}{
		{"result-count-changed", "the result of tally-0 with counts 4 12 5 changed to 5 12 5", `"counts":[4,`, `"counts":[5,`},
		{"result-trustees-changed", "the result of tally-0 naming trustees 1 3 4 as 1 2 4", `"trustees":[1,3,4]`, `"trustees":[1,2,4]`},
		{"result-rejection-dropped", "the result of tally-0 without the rejection of trustee 9", `{"trustee":9,"reason":"unknown trustee"},`, ``},
	} {
		if !strings.Contains(string(enc), tc.old) {
			t.Fatalf("vector %s: %q is not in %s", tc.name, tc.old, enc)
		}
		w.Vector(tc.name)
		w.Input("op", "verify-result")
		tv.write(t, w, tv.partials)
		w.Input("result", strings.Replace(string(enc), tc.old, tc.new, 1))
		w.Comment(tc.comment)
		w.Reject("mismatch")
	}

	p4, err := tv.partials[0].Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, comment, data, reason string
	}{
		{"parse-partial-4", "trustee 4's partial of tally-0", string(p4), ""},
		{"parse-partial-space", "a space after a colon", strings.Replace(string(p4), `"trustee":`, `"trustee": `, 1), "malformed"},
		{"parse-partial-reordered", "shares after proofs", reorderPartial(t, string(p4)), "malformed"},
		{"parse-partial-trustee-zero", "trustee 0", strings.Replace(string(p4), `"trustee":4`, `"trustee":0`, 1), "malformed"},
		{"parse-partial-one-proof-short", "three shares and two proofs", dropLastProof(t, string(p4)), "malformed"},
	} {
		w.Vector(tc.name)
		w.Input("op", "parse-partial")
		w.Input("partial", tc.data)
		w.Comment(tc.comment)
		p, err := tally.ParsePartialDecryption([]byte(tc.data))
		if got := strings.Join(tallyOutcome(err), ""); got != tc.reason {
			t.Fatalf("vector %s: the code gives %q, the generator says %q", tc.name, got, tc.reason)
		}
		if tc.reason != "" {
			w.Reject(tc.reason)
		} else {
			w.Expect("trustee", p.Trustee)
		}
	}
	return w.Bytes()
}

// generateAggregateVectors writes the aggregate vectors: weighted ballots
// of 3 positions, a re-vote, a ballot of a style without the last
// position's contest (the trivial encryption of 0 there), and refusals.
func generateAggregateVectors(t *testing.T, w *specvectors.Writer) {
	rd := cryptotest.NewReader([]byte("aggregate"))
	sk, err := crypto.NewPrivateKey(cryptotest.Scalar(rd))
	if err != nil {
		t.Fatal(err)
	}
	pk := sk.PublicKey()
	solver := crypto.NewDlogSolver(2_000_000)
	ballot := func(weight uint64, values ...uint64) string {
		line := strconv.FormatUint(weight, 10)
		for _, x := range values {
			ct, _ := cryptotest.Encrypt(pk, x, rd)
			line += " " + hex.EncodeToString(ct.Bytes())
		}
		return line
	}
	b1, b2, b3 := ballot(1, 1, 0, 2), ballot(7, 0, 1, 1), ballot(1000000, 1, 1, 0)
	noLast := strings.Fields(ballot(3, 1, 1, 0))
	noLast[3] = hex.EncodeToString(crypto.NewCiphertext().Bytes())
	for _, tc := range []struct {
		name, comment       string
		ballots, superseded []string
		reason              string
		totals              []uint64
	}{
		{"aggregate-weighted", "1 0 2 of weight 1, 0 1 1 of weight 7, 1 1 0 of weight 1000000: the sums encrypt 1000001 1000007 9", []string{b1, b2, b3}, nil, "", []uint64{1000001, 1000007, 9}},
		{"aggregate-revote", "the ballot of weight 1000000 superseded by its voter's 0 0 1: the sums encrypt 1 7 1000009", []string{b1, b2, b3, ballot(1000000, 0, 0, 1)}, []string{b3}, "", []uint64{1, 7, 1000009}},
		{"aggregate-styled", "1 1 of weight 3, of a style without the last position's contest: (O, O) there; the sums encrypt 4 3 2", []string{b1, strings.Join(noLast, " ")}, nil, "", []uint64{4, 3, 2}},
		{"aggregate-weight-0", "", []string{b1, "0" + b2[1:]}, nil, "malformed", nil},
		{"aggregate-short", "a ballot of 2 positions", []string{b1, b2[:strings.LastIndexByte(b2, ' ')]}, nil, "malformed", nil},
	} {
		w.Vector(tc.name)
		w.Input("op", "aggregate")
		w.Input("positions", 3)
		for _, b := range tc.ballots {
			w.Input("ballot", b)
		}
		for _, b := range tc.superseded {
			w.Input("superseded", b)
		}
		if tc.comment != "" {
			w.Comment(tc.comment)
		}
		sums, err := aggregate(t, 3, tc.ballots, tc.superseded)
		if got := strings.Join(tallyOutcome(err), ""); got != tc.reason {
			t.Fatalf("vector %s: the code gives %q, the generator says %q", tc.name, got, tc.reason)
		}
		if tc.reason != "" {
			w.Reject(tc.reason)
			continue
		}
		for k, c := range sums {
			if v, err := solver.Solve(sk.Decrypt(c)); err != nil || v != tc.totals[k] {
				t.Fatalf("vector %s: sum %d decrypts to %d, %v, want %d", tc.name, k, v, err, tc.totals[k])
			}
		}
		aggregateOutputs(w, sums)
	}
}

// reorderPartial moves the shares member of a partial's encoding after its
// proofs.
func reorderPartial(t *testing.T, p string) string {
	i, j := strings.Index(p, `,"shares":`), strings.Index(p, `,"proofs":`)
	if i < 0 || j < i {
		t.Fatalf("unexpected partial %s", p)
	}
	return p[:i] + p[j:len(p)-1] + p[i:j] + "}"
}

// dropLastProof removes the last proof of a partial's encoding.
func dropLastProof(t *testing.T, p string) string {
	i := strings.LastIndex(p, `,"`)
	if i < strings.Index(p, `"proofs":`) {
		t.Fatalf("unexpected partial %s", p)
	}
	return p[:i] + "]}"
}

func TestTallytestTwin(t *testing.T) {
	e := newTestElection(t, 2, 3)
	acc, _ := e.testBallots(t, 4, 3, 4, 1)
	sums := acc.Sums()
	orig := e.partials(t, sums, 2)[0]
	twin, err := tallytest.NewPartialDecryption(e.ctx, 2, e.shares[2], sums, cryptotest.NewReader([]byte("twin")))
	if err != nil {
		t.Fatal(err)
	}
	if err := tally.VerifyPartial(e.ctx, e.vks[2], sums, twin); err != nil {
		t.Errorf("VerifyPartial(twin) = %v", err)
	}
	for k := range sums {
		if twin.Shares[k].Equal(orig.Shares[k]) != 1 {
			t.Errorf("twin share %d differs from NewPartialDecryption's", k)
		}
	}
	again, _ := tallytest.NewPartialDecryption(e.ctx, 2, e.shares[2], sums, cryptotest.NewReader([]byte("twin")))
	a, _ := again.Marshal()
	b, _ := twin.Marshal()
	if !bytes.Equal(a, b) {
		t.Error("twin is not deterministic")
	}
}
