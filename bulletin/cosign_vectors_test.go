package bulletin_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"testing"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin"
)

// cosignature returns the c2sp.org/tlog-cosignature line (Ed25519, type
// 0x04) of witness name with seed over checkpoint text at time ts, built
// from the spec's definition so that the vector does not depend on any
// implementation's clock.
func cosignature(name string, seed []byte, text []byte, ts uint64) (line, vkey string) {
	priv := ed25519.NewKeyFromSeed(seed)
	pub := append([]byte{0x04}, priv.Public().(ed25519.PublicKey)...)
	h := sha256Sum(append([]byte(name+"\n"), pub...))
	keyHash := binary.BigEndian.Uint32(h[:4])
	msg := fmt.Appendf(nil, "cosignature/v1\ntime %d\n%s", ts, text)
	sig := binary.BigEndian.AppendUint32(nil, keyHash)
	sig = binary.BigEndian.AppendUint64(sig, ts)
	sig = append(sig, ed25519.Sign(priv, msg)...)
	return fmt.Sprintf("— %s %s\n", name, base64.StdEncoding.EncodeToString(sig)),
		fmt.Sprintf("%s+%08x+%s", name, keyHash, base64.StdEncoding.EncodeToString(pub))
}

// TestCosignedCheckpointVector writes and checks
// testdata/cosigned-checkpoint.vec (docs/spec/bulletin.md §5.1): a
// checkpoint signed by a board and cosigned by two of three witnesses, the
// witnesses' verifier keys and the quorum. The cosignatures verify with
// transparency-dev/formats and the policy holds; without one of them it
// fails.
func TestCosignedCheckpointVector(t *testing.T) {
	boardSeed := bytes.Repeat([]byte{0x11}, 32)
	skey, vkey := mustKey(t, "vote.example.org/2026-municipal", boardSeed)
	board, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := tlog.TreeHash(0, nil)
	root[0] ^= 0xff // any root: the vector is about signatures
	cp := bulletin.Checkpoint{Origin: "vote.example.org/2026-municipal", Size: 1234, Hash: root}
	signed, err := bulletin.SignCheckpoint(cp, board)
	if err != nil {
		t.Fatal(err)
	}
	var vkeys []string
	cosigned := bytes.Clone(signed)
	for i, name := range []string{"w1.example.net", "w2.example.org", "w3.example.com"} {
		line, wk := cosignature(name, bytes.Repeat([]byte{byte(0x21 + i)}, 32), cp.Text(), 1764590000+uint64(i))
		vkeys = append(vkeys, wk)
		if i != 1 { // witness 2 did not cosign
			cosigned = append(cosigned, line...)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# evote/v1 cosigned checkpoint vector (docs/spec/bulletin.md §5.1); regenerate with go test -run TestCosignedCheckpointVector -update\n")
	fmt.Fprintf(&b, "board-seed: %x\nboard-vkey: %s\n", boardSeed, vkey)
	for i, k := range vkeys {
		fmt.Fprintf(&b, "witness-%d-vkey: %s\n", i+1, k)
	}
	fmt.Fprintf(&b, "quorum: 2\n\n%s", cosigned)
	const file = "testdata/cosigned-checkpoint.vec"
	if *update {
		if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != b.String() {
		t.Fatalf("%s is out of date; regenerate with -update", file)
	}

	// Check the vector from the file alone.
	_, note1, _ := bytes.Cut(got, []byte("\n\n"))
	policy := bulletin.CosignPolicy{Quorum: 2}
	for _, k := range vkeys {
		v, err := fnote.NewVerifierForCosignatureV1(k)
		if err != nil {
			t.Fatal(err)
		}
		policy.Cosigners = append(policy.Cosigners, v)
	}
	if _, _, err := bulletin.VerifyCheckpoint(vkey, note1); err != nil {
		t.Fatalf("the board's signature: %v", err)
	}
	names, err := policy.Check(note1)
	if err != nil || strings.Join(names, ",") != "w1.example.net,w3.example.com" {
		t.Fatalf("Check = %v, %v", names, err)
	}
	if _, err := policy.Check(note1[:bytes.LastIndex(note1[:len(note1)-1], []byte("\n"))+1]); err == nil {
		t.Error("one cosignature short of the quorum was accepted")
	}
}

func mustKey(t *testing.T, name string, seed []byte) (skey, vkey string) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(bytes.NewReader(seed), name)
	if err != nil {
		t.Fatal(err)
	}
	return skey, vkey
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }
