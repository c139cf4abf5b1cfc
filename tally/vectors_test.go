package tally_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/evote/evote/crypto"
	"github.com/evote/evote/crypto/cryptotest"
	"github.com/evote/evote/tally"
	"github.com/evote/evote/tally/tallytest"
)

var update = flag.Bool("update", false, "regenerate testdata/vectors.txt")

const vectorsFile = "testdata/vectors.txt"

const vectorsHeader = `# Tally test vectors for docs/spec/tally.md.
#
# Blocks of "key: value" lines separated by blank lines; one runner,
# TestVectors in vectors_test.go; regenerate with -update. Randomness comes
# from cryptotest.NewReader(seed) = SHAKE128(seed), 64 bytes per scalar:
# the t coefficients of the sharing polynomial F, then each ballot value's
# encryption randomness (ballot by ballot, position by position), then the
# proof nonces of each honest partial decryption in the order listed.
# Keys:
#   seed:     the random stream
#   ctx:      hex context (the election base hash)
#   t, n:     threshold and number of trustees
#   vk:       trustee index, then VK_j = F(j)·G in hex
#   sum:      position, then the aggregated ciphertext A || B in hex
#   sums-hash: SumsHash (§2) of the sums, in hex
#   partial:  a partial decryption in canonical JSON (§4), in the order given
#             to Combine; some are deliberately invalid
#   result:   the canonical JSON result (§6) of Combine
#   counts:   the plaintext sums, for reference
`

// vectorBlock builds the one vector block from its seed: 5 trustees, t = 3,
// 7 ballots of 3 positions with values in [0, 2]. The partials are, in
// order: 4, 2 with share 1 replaced by G, 1, 1 relabelled as 9, 4 again, 3.
// Trustee 5 is absent.
func vectorBlock(t *testing.T, seed string) string {
	const n, th, l, nb = 5, 3, 3, 7
	rd := cryptotest.NewReader([]byte(seed))
	ctx := []byte("evote/v1 tally test vector base hash")
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
	vks := map[uint32]*crypto.Element{}
	for j := uint32(1); j <= n; j++ {
		shares[j] = f(j)
		vks[j] = crypto.NewElement().ScalarBaseMult(shares[j])
	}
	pk, err := crypto.PublicKeyFromElement(crypto.NewElement().ScalarBaseMult(f(0)))
	if err != nil {
		t.Fatal(err)
	}
	acc := tally.NewAccumulator(l)
	counts := make([]uint64, l)
	for b := range nb {
		ballot := make([]*crypto.Ciphertext, l)
		for k := range ballot {
			v := uint64((b*b + 2*k + b*k) % 3)
			counts[k] += v
			ballot[k], _ = cryptotest.Encrypt(pk, v, rd)
		}
		if err := acc.Add(ballot); err != nil {
			t.Fatal(err)
		}
	}
	sums := acc.Sums()
	honest := map[uint32]*tally.PartialDecryption{}
	for _, j := range []uint32{4, 2, 1, 3} {
		p, err := tallytest.NewPartialDecryption(ctx, j, shares[j], sums, rd)
		if err != nil {
			t.Fatal(err)
		}
		honest[j] = p
	}
	bad := clonePartial(honest[2])
	bad.Shares[1] = crypto.NewGeneratorElement()
	relabelled := clonePartial(honest[1])
	relabelled.Trustee = 9
	partials := []*tally.PartialDecryption{honest[4], bad, honest[1], relabelled, honest[4], honest[3]}
	r, err := tally.Combine(ctx, th, sums, vks, partials, crypto.NewDlogSolver(nb*2))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Counts, counts) {
		t.Fatalf("vector counts %v, want %v", r.Counts, counts)
	}

	var b strings.Builder
	fmt.Fprintf(&b, "seed: %s\nctx: %x\nt: %d\nn: %d\n", seed, ctx, th, n)
	for j := uint32(1); j <= n; j++ {
		fmt.Fprintf(&b, "vk: %d %x\n", j, vks[j].Bytes())
	}
	for k, c := range sums {
		fmt.Fprintf(&b, "sum: %d %x\n", k, c.Bytes())
	}
	fmt.Fprintf(&b, "sums-hash: %x\n", tally.SumsHash(sums))
	for _, p := range partials {
		enc, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "partial: %s\n", enc)
	}
	enc, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "result: %s\ncounts: %s\n", enc, strings.Trim(fmt.Sprint(counts), "[]"))
	return b.String()
}

func TestVectors(t *testing.T) {
	want := vectorsHeader + "\n" + vectorBlock(t, "tally 0")
	if *update {
		if err := os.WriteFile(vectorsFile, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s is out of date with the code; regenerate with -update and review the diff", vectorsFile)
	}

	// Check every block from the file alone, as an independent verifier.
	for i, block := range strings.Split(string(got), "\n\n")[1:] {
		t.Run(strconv.Itoa(i), func(t *testing.T) { checkVectorBlock(t, block) })
	}
}

func checkVectorBlock(t *testing.T, block string) {
	var (
		ctx      []byte
		th       int
		vks      = map[uint32]*crypto.Element{}
		sums     []*crypto.Ciphertext
		partials []*tally.PartialDecryption
		result   []byte
		sumsHash string
	)
	sc := bufio.NewScanner(strings.NewReader(block))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ": ")
		if !ok {
			t.Fatalf("bad line %q", sc.Text())
		}
		var err error
		switch key {
		case "ctx":
			ctx, err = hex.DecodeString(val)
		case "t":
			th, err = strconv.Atoi(val)
		case "vk":
			var j uint32
			var h string
			if _, err = fmt.Sscanf(val, "%d %s", &j, &h); err == nil {
				var b []byte
				if b, err = hex.DecodeString(h); err == nil {
					vks[j], err = crypto.NewElement().SetCanonicalBytes(b)
				}
			}
		case "sum":
			var k int
			var h string
			if _, err = fmt.Sscanf(val, "%d %s", &k, &h); err == nil && k == len(sums) {
				var b []byte
				if b, err = hex.DecodeString(h); err == nil {
					var c *crypto.Ciphertext
					c, err = crypto.NewCiphertext().SetBytes(b)
					sums = append(sums, c)
				}
			}
		case "partial":
			var p *tally.PartialDecryption
			p, err = tally.ParsePartialDecryption([]byte(val))
			partials = append(partials, p)
		case "sums-hash":
			sumsHash = val
		case "result":
			result = []byte(val)
		}
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
	}
	if got := hex.EncodeToString(func() []byte { h := tally.SumsHash(sums); return h[:] }()); got != sumsHash {
		t.Errorf("SumsHash = %s, want %s", got, sumsHash)
	}
	var maxCount uint64
	if r, err := tally.ParseResult(result); err != nil {
		t.Fatal(err)
	} else {
		maxCount = slices.Max(r.Counts)
		if err := tally.VerifyResult(ctx, th, sums, vks, partials, r); err != nil {
			t.Errorf("VerifyResult: %v", err)
		}
	}
	r, err := tally.Combine(ctx, th, sums, vks, partials, crypto.NewDlogSolver(maxCount))
	if err != nil {
		t.Fatal(err)
	}
	enc, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(enc, result) {
		t.Errorf("Combine = %s, want %s", enc, result)
	}
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
