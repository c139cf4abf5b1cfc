package ballot

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/evote/evote/crypto"
)

var _ = flag.Bool("update", false, "rewrite the vector files of docs/spec/vectors")

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sampleManifest(t testing.TB) *Manifest {
	t.Helper()
	m, err := ParseManifest(readFile(t, "testdata/manifest-sample.json"))
	if err != nil {
		t.Fatalf("ParseManifest(sample) = %v", err)
	}
	return m
}

// testKey returns a deterministic Ed25519 key pair.
func testKey(name string) (ed25519.PublicKey, ed25519.PrivateKey) {
	seed := sha256.Sum256([]byte("evote test " + name))
	priv := ed25519.NewKeyFromSeed(seed[:])
	return priv.Public().(ed25519.PublicKey), priv
}

// testX25519Key returns a deterministic HPKE X25519 public key.
func testX25519Key(name string) []byte {
	seed := sha256.Sum256([]byte("evote test " + name))
	k, err := ecdh.X25519().NewPrivateKey(seed[:])
	if err != nil {
		panic(err)
	}
	return k.PublicKey().Bytes()
}

// newTestElection builds an election for m with the voters vs on its roll
// and random trustee polynomials (the key ceremony is not needed to test
// ballots).
func newTestElection(t testing.TB, m *Manifest, vs []*Credential) *Election {
	t.Helper()
	mh, err := m.Hash()
	if err != nil {
		t.Fatal(err)
	}
	entries := make([]RollEntry, len(vs))
	for i, v := range vs {
		entries[i] = v.Entry()
	}
	roll, err := RollOf(mh, entries)
	if err != nil {
		t.Fatal(err)
	}
	return electionOfRoll(t, m, roll)
}

// electionOfRoll builds an election for m and roll with random trustee
// polynomials.
func electionOfRoll(t testing.TB, m *Manifest, roll *Roll) *Election {
	t.Helper()
	commitments := make([][]*crypto.Element, len(m.Trustees))
	joint := crypto.NewElement()
	for i := range commitments {
		for k := 0; k < m.Threshold; k++ {
			c := crypto.NewElement().ScalarBaseMult(crypto.RandomScalar())
			commitments[i] = append(commitments[i], c)
		}
		joint.Add(joint, commitments[i][0])
	}
	pk, err := crypto.PublicKeyFromElement(joint)
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewElection(m, roll, pk, commitments)
	if err != nil {
		t.Fatalf("NewElection = %v", err)
	}
	return e
}

// voters returns n deterministic voter credentials.
func voters(n int) []*Credential {
	out := make([]*Credential, n)
	for i := range out {
		pub, priv := testKey(fmt.Sprintf("voter %d", i))
		out[i] = &Credential{Election: "test", Voter: fmt.Sprintf("voter-%d", i), Public: pub, Private: priv}
	}
	return out
}

// manifestKofN returns a validated manifest with one contest of n options,
// option_max 1, choose between 0 and k.
func manifestKofN(t testing.TB, n, k int) *Manifest {
	t.Helper()
	off, _ := testKey("official")
	reg, _ := testKey("registrar")
	m := &Manifest{
		Version:   Version,
		ID:        "test",
		Title:     "Test election",
		Official:  off,
		Registrar: reg,
		Opens:     time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC),
		Closes:    time.Date(2026, 5, 1, 20, 0, 0, 0, time.UTC),
		Contests: []Contest{{
			ID: "council", Title: "Council", Kind: KindKOfN,
			MinSelections: 0, MaxSelections: k, OptionMax: 1,
		}},
		Threshold: 2,
	}
	for i := 0; i < n; i++ {
		m.Contests[0].Options = append(m.Contests[0].Options, Option{ID: fmt.Sprintf("o%d", i), Title: fmt.Sprintf("Option %d", i)})
	}
	for i := 0; i < 3; i++ {
		sk, _ := testKey(fmt.Sprintf("trustee sign %d", i))
		ek := testX25519Key(fmt.Sprintf("trustee enc %d", i))
		m.Trustees = append(m.Trustees, Trustee{Name: fmt.Sprintf("Trustee %d", i), SignKey: sk, EncKey: ek})
	}
	return revalidate(t, m)
}

// revalidate passes m through its canonical encoding and ParseManifest.
func revalidate(t testing.TB, m *Manifest) *Manifest {
	t.Helper()
	c, err := m.MarshalCanonical()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := ParseCanonicalManifest(c)
	if err != nil {
		t.Fatalf("test manifest invalid: %v", err)
	}
	return m2
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// mutateJSON decodes data into generic JSON, applies f and re-encodes it.
func mutateJSON(t testing.TB, data []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
