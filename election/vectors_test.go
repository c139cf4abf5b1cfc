package election

import (
	"bufio"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/crypto"
)

var update = flag.Bool("update", false, "regenerate testdata/vectors.txt")

const vectorsFile = "testdata/vectors.txt"

const vectorsHeader = `# Election-rule test vectors for docs/spec/election.md §2.2, §2.3, §4 and
# docs/spec/ballot.md §4.2. Blocks of "key: value" lines separated by blank
# lines; one runner, TestVectors in vectors_test.go; regenerate with -update.
# Every input is derived from a label by SHA-256 so that anyone can rebuild
# it. Kinds:
#   proof-ctx: base hash, credential, prev (hex), contest, option (-1: the
#              sum proof) → ballot.ProofContext
#   nonce:     a ciphertext A || B (hex) → the 8-byte nonce fingerprint
#   close:     manifest hash, tree size, root and sums hash (hex) → the
#              closing record's canonical payload and its CloseHash
`

// label returns SHA-256(s), the vectors' way of deriving an input.
func label(s string) [32]byte { return sha256.Sum256([]byte(s)) }

func vectorBlocks(t *testing.T) []string {
	var blocks []string
	cred := ed25519.NewKeyFromSeed(func() []byte { l := label("vector credential"); return l[:] }()).Public().(ed25519.PublicKey)
	base, prev := label("vector base hash"), ballot.ConfirmationCode(label("vector prev"))
	for _, co := range [][2]int{{0, 0}, {2, 7}, {1, ballot.SumOption}} {
		for _, p := range []ballot.ConfirmationCode{{}, prev} {
			ctx := ballot.ProofContext(base, cred, p, co[0], co[1])
			blocks = append(blocks, fmt.Sprintf("kind: proof-ctx\nbase: %x\ncredential: %x\nprev: %x\ncontest: %d\noption: %d\ncontext: %x\n",
				base, cred, p[:], co[0], co[1], ctx))
		}
	}
	pk, err := crypto.PublicKeyFromElement(crypto.NewElement().ScalarBaseMult(scalarOf(t, "vector election key")))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []uint64{0, 1} {
		ct := pk.EncryptWithRandomness(v, scalarOf(t, fmt.Sprintf("vector randomness %d", v)))
		n := nonceOf(ct.Bytes())
		blocks = append(blocks, fmt.Sprintf("kind: nonce\nciphertext: %x\nfingerprint: %016x\n", ct.Bytes(), uint64(n)))
	}
	mh, root, sums := label("vector manifest"), label("vector root"), label("vector sums")
	p := &PhaseChange{Election: hex.EncodeToString(mh[:]), Phase: PhaseClosed, Size: 1234, Root: hex.EncodeToString(root[:]), Sums: hex.EncodeToString(sums[:])}
	payload, err := Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	blocks = append(blocks, fmt.Sprintf("kind: close\nmanifest: %x\nsize: %d\nroot: %x\nsums: %x\npayload: %s\nclose-hash: %x\n",
		mh, p.Size, root, sums, payload, CloseHash(payload)))
	return blocks
}

// scalarOf derives a scalar from a label (64 bytes of SHA-512 reduced).
func scalarOf(t *testing.T, s string) *crypto.Scalar {
	a, b := label(s+" 0"), label(s+" 1")
	x, err := crypto.NewScalar().SetUniformBytes(append(a[:], b[:]...))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestVectors(t *testing.T) {
	want := vectorsHeader + "\n" + strings.Join(vectorBlocks(t), "\n")
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
	// Check every block from the file alone, as an independent implementer.
	for i, block := range strings.Split(string(got), "\n\n")[1:] {
		t.Run(strconv.Itoa(i), func(t *testing.T) { checkVectorBlock(t, block) })
	}
}

func checkVectorBlock(t *testing.T, block string) {
	kv := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(block))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ": ")
		if !ok {
			t.Fatalf("bad line %q", sc.Text())
		}
		kv[k] = v
	}
	unhex := func(k string) []byte {
		b, err := hex.DecodeString(kv[k])
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		return b
	}
	switch kv["kind"] {
	case "proof-ctx":
		contest, _ := strconv.Atoi(kv["contest"])
		option, _ := strconv.Atoi(kv["option"])
		if got := hex.EncodeToString(ballot.ProofContext([32]byte(unhex("base")), unhex("credential"), ballot.ConfirmationCode(unhex("prev")), contest, option)); got != kv["context"] {
			t.Errorf("ProofContext = %s, want %s", got, kv["context"])
		}
	case "nonce":
		if got := fmt.Sprintf("%016x", uint64(nonceOf(unhex("ciphertext")))); got != kv["fingerprint"] {
			t.Errorf("nonce fingerprint = %s, want %s", got, kv["fingerprint"])
		}
	case "close":
		v, err := Decode(TypePhase, []byte(kv["payload"]))
		if err != nil {
			t.Fatal(err)
		}
		p := v.(*PhaseChange)
		if p.Election != kv["manifest"] || strconv.FormatInt(p.Size, 10) != kv["size"] || p.Root != kv["root"] || p.Sums != kv["sums"] {
			t.Errorf("closing payload %s does not carry the block's fields", kv["payload"])
		}
		if got := CloseHash([]byte(kv["payload"])); hex.EncodeToString(got[:]) != kv["close-hash"] {
			t.Errorf("CloseHash = %x, want %s", got, kv["close-hash"])
		}
	default:
		t.Fatalf("unknown kind %q", kv["kind"])
	}
}
