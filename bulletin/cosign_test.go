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
// cosignature line that claims a witness's key but does not verify counts
// for nothing and is named (Faulty), beside a quorum or not; a note that is
// not well formed fails; signatures of other keys count for nothing.
func TestCosignPolicy(t *testing.T) {
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
	text, sign := boardSigner(t)
	c, err := policy.Check(sign(witnesses[0], witnesses[2], witnesses[3]))
	if err != nil || strings.Join(c.Names, ",") != "w1.example,w3.example" || c.Faulty != nil {
		t.Errorf("Check(w1, w3, stranger) = %+v, %v", c, err)
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
	pastedLine := n[len(other)+1:]
	pasted := append(sign(witnesses[1]), pastedLine...)
	if c, err := policy.Check(pasted); !errors.Is(err, bulletin.ErrNoQuorum) || strings.Join(c.Faulty, ",") != "w1.example" ||
		!strings.Contains(err.Error(), "the cosignatures of w1.example do not verify") || strings.Join(c.Names, ",") != "w2.example" {
		t.Errorf("Check(w2, a pasted cosignature of w1) = %+v, %v; want no quorum, w1 named faulty", c, err)
	}
	// A quorum without the faulty line still passes, naming it.
	pasted = append(sign(witnesses[1], witnesses[2]), pastedLine...)
	if c, err := policy.Check(pasted); err != nil || strings.Join(c.Faulty, ",") != "w1.example" || strings.Join(c.Names, ",") != "w2.example,w3.example" {
		t.Errorf("Check(w2, w3, a pasted cosignature of w1) = %+v, %v; want the quorum of w2, w3 and w1 named faulty", c, err)
	}
	for _, bad := range [][]byte{[]byte(text), sign()[:len(text)+3], append(sign(), "— w1.example\n"...)} {
		if _, err := policy.Check(bad); err == nil || errors.Is(err, bulletin.ErrNoQuorum) {
			t.Errorf("Check(%q) = %v, want a malformed note", bad, err)
		}
	}
	if _, err := (bulletin.CosignPolicy{}).Check([]byte("not a note")); err != nil {
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
	c, err = policy.Check(sign(pq, witnesses[1]))
	if err != nil || strings.Join(c.Names, ",") != "pq.example,w2.example" && strings.Join(c.Names, ",") != "w2.example,pq.example" {
		t.Errorf("Check(ML-DSA-44 witness, w2) = %+v, %v", c, err)
	}
	if _, err := policy.Check(sign(pq)); !errors.Is(err, bulletin.ErrNoQuorum) {
		t.Errorf("Check(ML-DSA-44 witness alone) = %v, want no quorum", err)
	}
}

// TestTrustPolicy: a checkpoint needs every group's quorum; the error
// names each group that lacks its own, and a cosigner of one group does not
// count for another.
func TestTrustPolicy(t *testing.T) {
	var signers []note.Signer
	group := func(role string, quorum int, names ...string) bulletin.CosignPolicy {
		p := bulletin.CosignPolicy{Role: role, Quorum: quorum}
		for _, name := range names {
			_, priv, _ := ed25519.GenerateKey(rand.Reader)
			s, err := torchwood.NewCosignatureSigner(name, priv)
			if err != nil {
				t.Fatal(err)
			}
			signers = append(signers, s)
			p.Cosigners = append(p.Cosigners, s.Verifier())
		}
		return p
	}
	policy := bulletin.TrustPolicy{group("witnesses", 1, "w1.example", "w2.example"), group("operators", 3, "op1", "op2", "op3", "op4")}
	w1, w2, op1, op2, op3 := signers[0], signers[1], signers[2], signers[3], signers[4]
	_, sign := boardSigner(t)
	if c, err := policy.Check(sign(w2, op1, op2, op3)); err != nil || strings.Join(c.Names, ",") != "w2.example,op1,op2,op3" {
		t.Errorf("Check(w2, op1, op2, op3) = %+v, %v", c, err)
	}
	if _, err := policy.Check(sign(op1, op2, op3)); !errors.Is(err, bulletin.ErrNoQuorum) || !strings.Contains(err.Error(), "0 of the 1 required cosignatures of the witnesses") {
		t.Errorf("Check(operators only) = %v, want the witnesses' quorum missing", err)
	}
	if _, err := policy.Check(sign(w1, w2, op1, op2)); !errors.Is(err, bulletin.ErrNoQuorum) ||
		!strings.Contains(err.Error(), "2 of the 3 required cosignatures of the operators (missing: op3, op4)") {
		t.Errorf("Check(two operators) = %v, want the operators' quorum missing, naming op3 and op4", err)
	}
	if _, err := policy.Check(sign()); !errors.Is(err, bulletin.ErrNoQuorum) ||
		!strings.Contains(err.Error(), "of the witnesses") || !strings.Contains(err.Error(), "of the operators") {
		t.Errorf("Check(board only) = %v, want both quorums missing", err)
	}
	if _, err := (bulletin.TrustPolicy{}).Check(sign()); err != nil {
		t.Errorf("the empty policy refused: %v", err)
	}
}

// boardSigner returns the text of a checkpoint and a function that signs
// it with a board key and the given cosigners.
func boardSigner(t *testing.T) ([]byte, func(signers ...note.Signer) []byte) {
	skey, _, err := note.GenerateKey(rand.Reader, "policy.example/board")
	if err != nil {
		t.Fatal(err)
	}
	board, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	text := bulletin.Checkpoint{Origin: "policy.example/board", Size: 7, Hash: [32]byte{1}}.Text()
	return text, func(signers ...note.Signer) []byte {
		n, err := note.Sign(&note.Note{Text: string(text)}, append([]note.Signer{board}, signers...)...)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
}
