package ballot

import (
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

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

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

// newTestElection builds an election for m with random trustee
// polynomials (the key ceremony is not needed to test ballots).
func newTestElection(t testing.TB, m *Manifest) *Election {
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
	e, err := NewElection(m, pk, commitments)
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
		out[i] = &Credential{Election: "test", Public: pub, Private: priv}
	}
	return out
}

// manifestKofN returns a validated manifest with one contest of n options,
// option_max 1, choose between 0 and k, and the given voters.
func manifestKofN(t testing.TB, n, k int, vs []*Credential) *Manifest {
	t.Helper()
	off, _ := testKey("official")
	m := &Manifest{
		Version:  Version,
		ID:       "test",
		Title:    "Test election",
		Official: off,
		Opens:    time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC),
		Closes:   time.Date(2026, 5, 1, 20, 0, 0, 0, time.UTC),
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
		ek, _ := testKey(fmt.Sprintf("trustee enc %d", i))
		m.Trustees = append(m.Trustees, Trustee{Name: fmt.Sprintf("Trustee %d", i), SignKey: sk, EncKey: ek})
	}
	for _, v := range vs {
		m.Voters = append(m.Voters, v.Public)
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

// withVoters replaces m's roll by the keys of vs, with the default
// min_counted for the new roll, and revalidates m.
func withVoters(t testing.TB, m *Manifest, vs []*Credential) *Manifest {
	t.Helper()
	m.Voters, m.MinCounted = nil, 0
	for _, v := range vs {
		m.Voters = append(m.Voters, v.Public)
	}
	return revalidate(t, m)
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
