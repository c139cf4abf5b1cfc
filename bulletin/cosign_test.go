package bulletin_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"filippo.io/torchwood"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
)

// TestCosignPolicy checks a checkpoint's witness cosignatures
// (c2sp.org/tlog-cosignature, made here by torchwood's signer): a quorum
// passes and names its cosigners; fewer fail, naming who is missing; a
// cosignature line that claims a witness's key but does not verify fails;
// signatures of other keys count for nothing.
func TestCosignPolicy(t *testing.T) {
	skey, _, err := note.GenerateKey(rand.Reader, "policy.example/board")
	if err != nil {
		t.Fatal(err)
	}
	board, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	var witnesses []*torchwood.CosignatureSigner
	var policy bulletin.CosignPolicy
	for _, name := range []string{"w1.example", "w2.example", "w3.example", "stranger.example"} {
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		w, err := torchwood.NewCosignatureSigner(name, priv)
		if err != nil {
			t.Fatal(err)
		}
		witnesses = append(witnesses, w)
		if name != "stranger.example" {
			policy.Cosigners = append(policy.Cosigners, w.Verifier())
		}
	}
	policy.Quorum = 2
	text := bulletin.Checkpoint{Origin: "policy.example/board", Size: 7, Hash: [32]byte{1}}.Text()
	sign := func(signers ...note.Signer) []byte {
		n, err := note.Sign(&note.Note{Text: string(text)}, append([]note.Signer{board}, signers...)...)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	names, err := policy.Check(sign(witnesses[0], witnesses[2], witnesses[3]))
	if err != nil || strings.Join(names, ",") != "w1.example,w3.example" {
		t.Errorf("Check(w1, w3, stranger) = %v, %v", names, err)
	}
	if _, err := policy.Check(sign(witnesses[1], witnesses[3])); !errors.Is(err, bulletin.ErrNoQuorum) ||
		!strings.Contains(err.Error(), "1 of the 2") || !strings.Contains(err.Error(), "missing: w1.example, w3.example") {
		t.Errorf("Check(w2, stranger) = %v, want no quorum naming w1 and w3", err)
	}
	if _, err := policy.Check(sign()); !errors.Is(err, bulletin.ErrNoQuorum) {
		t.Errorf("Check(board only) = %v, want no quorum", err)
	}
	// A cosignature of another checkpoint, pasted under this one.
	other := bulletin.Checkpoint{Origin: "policy.example/board", Size: 8, Hash: [32]byte{2}}.Text()
	n, err := note.Sign(&note.Note{Text: string(other)}, witnesses[0])
	if err != nil {
		t.Fatal(err)
	}
	pasted := append(sign(witnesses[1]), n[len(other)+1:]...)
	if _, err := policy.Check(pasted); err == nil || errors.Is(err, bulletin.ErrNoQuorum) {
		t.Errorf("Check(a pasted cosignature) = %v, want a signature error", err)
	}
	if _, err := (bulletin.CosignPolicy{}).Check(sign()); err != nil {
		t.Errorf("the zero policy refused: %v", err)
	}

	// An ML-DSA-44 witness (tlog-cosignature type 0x06) counts like the
	// Ed25519 ones, with the verifier an election definition's key makes.
	mskey, mvkey, err := fnote.GenerateMLDSAKey("pq.example")
	if err != nil {
		t.Fatal(err)
	}
	pq, err := fnote.NewMLDSASigner(mskey)
	if err != nil {
		t.Fatal(err)
	}
	pqVerifier, err := (&ballot.Witness{Name: "pq.example", Key: mvkey}).Verifier()
	if err != nil {
		t.Fatal(err)
	}
	policy.Cosigners = append(policy.Cosigners, pqVerifier)
	names, err = policy.Check(sign(pq, witnesses[1]))
	if err != nil || strings.Join(names, ",") != "pq.example,w2.example" && strings.Join(names, ",") != "w2.example,pq.example" {
		t.Errorf("Check(ML-DSA-44 witness, w2) = %v, %v", names, err)
	}
	if _, err := policy.Check(sign(pq)); !errors.Is(err, bulletin.ErrNoQuorum) {
		t.Errorf("Check(ML-DSA-44 witness alone) = %v, want no quorum", err)
	}
}
