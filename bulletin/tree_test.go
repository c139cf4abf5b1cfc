package bulletin_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin"
)

// TestCompactTree checks the compact tree's root against tlog's full tree
// for every size up to 300 and a few larger ones.
func TestCompactTree(t *testing.T) {
	var full []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = full[x]
		}
		return out, nil
	})
	var ct bulletin.CompactTree
	if got, _ := tlog.TreeHash(0, reader); ct.Root() != got {
		t.Fatalf("empty root = %v, want %v", ct.Root(), got)
	}
	for n := int64(0); n < 1100; n++ {
		leaf := tlog.Hash(sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(n))))
		hs, err := tlog.StoredHashesForRecordHash(n, leaf, reader)
		if err != nil {
			t.Fatal(err)
		}
		full = append(full, hs...)
		if err := ct.Append(leaf); err != nil {
			t.Fatalf("Append(%d): %v", n, err)
		}
		if n > 300 && n%97 != 0 && n != 1023 {
			continue
		}
		want, err := tlog.TreeHash(n+1, reader)
		if err != nil {
			t.Fatal(err)
		}
		if got := ct.Root(); got != want || ct.Size() != n+1 {
			t.Fatalf("size %d: root %v, want %v", n+1, got, want)
		}
	}
}

// TestVerifierKey: the verifier key derived from a signing key is the one
// note.GenerateKey made with it, whatever characters its base64 holds.
func TestVerifierKey(t *testing.T) {
	for i := range 200 {
		skey, vkey, err := note.GenerateKey(rand.Reader, fmt.Sprintf("board-%d.example/x", i))
		if err != nil {
			t.Fatal(err)
		}
		got, err := bulletin.VerifierKey(skey)
		if err != nil || got != vkey {
			t.Fatalf("VerifierKey(%q) = %q, %v; want %q", skey, got, err, vkey)
		}
	}
	if _, err := bulletin.VerifierKey("PRIVATE+KEY+name+12345678+AQ=="); err == nil {
		t.Error("VerifierKey accepted a short key")
	}
}
