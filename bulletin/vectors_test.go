package bulletin_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin"
)

var update = flag.Bool("update", false, "rewrite testdata/ vectors")

// vectorRecords builds the two records of testdata/records.vec from fixed inputs.
func vectorRecords(t *testing.T) (seed []byte, recs []*bulletin.Record) {
	seed = bytes.Repeat([]byte{0x42}, 32)
	priv := ed25519.NewKeyFromSeed(seed)
	prev := make([]byte, 32)
	for i, p := range []string{`{"election":"demo","contests":1}`, `{"choice":"yes"}`} {
		typ := []string{"election", "ballot"}[i]
		s := bulletin.Sign(priv, typ, []byte(p))
		r := &bulletin.Record{
			Index:   uint64(i),
			Time:    time.Date(2025, 3, 1, 8, 0, 0, (123+i*1000)*int(time.Millisecond), time.UTC),
			Type:    s.Type,
			Payload: s.Payload,
			Author:  s.Author,
			Sig:     s.Sig,
			Prev:    prev,
		}
		h := r.LeafHash()
		prev = h[:]
		recs = append(recs, r)
	}
	return seed, recs
}

// TestVectors checks testdata/records.vec, the worked example of
// docs/spec/bulletin.md §9: every value in it is recomputed here.
func TestVectors(t *testing.T) {
	seed, recs := vectorRecords(t)
	var b strings.Builder
	fmt.Fprintf(&b, "# evote/v1 bulletin record vectors (docs/spec/bulletin.md §9); regenerate with go test -run TestVectors -update\n")
	fmt.Fprintf(&b, "author-seed: %x\n", seed)
	fmt.Fprintf(&b, "author: %x\n\n", recs[0].Author)
	var hashes []tlog.Hash
	for _, r := range recs {
		enc, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "index: %d\n", r.Index)
		fmt.Fprintf(&b, "time: %s (unix ms %d)\n", r.Time.Format("2006-01-02T15:04:05.000Z"), r.Time.UnixMilli())
		fmt.Fprintf(&b, "type: %s\n", r.Type)
		fmt.Fprintf(&b, "payload: %s\n", r.Payload)
		fmt.Fprintf(&b, "signing-message: %x\n", bulletin.SigningMessage(r.Type, r.Payload))
		fmt.Fprintf(&b, "sig: %x\n", r.Sig)
		fmt.Fprintf(&b, "prev: %x\n", r.Prev)
		fmt.Fprintf(&b, "leaf-data: %x\n", r.LeafData())
		lh := r.LeafHash()
		fmt.Fprintf(&b, "leaf-hash: %x\n", lh[:])
		fmt.Fprintf(&b, "record: %s\n\n", enc)
		hs, err := tlog.StoredHashesForRecordHash(int64(r.Index), lh, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(idx))
			for i, x := range idx {
				out[i] = hashes[x]
			}
			return out, nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, hs...)
	}
	root := tlog.NodeHash(recs[0].LeafHash(), recs[1].LeafHash())
	fmt.Fprintf(&b, "tree-size: 2\nroot-hash: %x\n", root[:])
	cp := bulletin.Checkpoint{Origin: "evote board", Size: 2, Hash: root}
	fmt.Fprintf(&b, "checkpoint-text:\n%s", cp.Text())
	got := b.String()

	// Cross-checks independent of the vector file.
	if th, _ := tlog.TreeHash(2, tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})); th != root {
		t.Fatalf("TreeHash(2) = %v, want NodeHash(leaf0, leaf1) = %v", th, root)
	}
	for _, r := range recs {
		if !r.VerifySignature() {
			t.Fatalf("vector record %d: signature does not verify", r.Index)
		}
	}

	const path = "testdata/records.vec"
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if got != string(want) {
		t.Fatalf("%s is stale or the encoding changed:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
	// Independently of the code above, recompute the file's hashes with
	// plain SHA-256 as the spec describes: leaf = H(0x00 || leaf-data),
	// root of two = H(0x01 || leaf0 || leaf1).
	var leafData, leafHash [][]byte
	for _, line := range strings.Split(string(want), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		switch k {
		case "leaf-data", "leaf-hash":
			x, err := hex.DecodeString(v)
			if err != nil {
				t.Fatalf("bad hex in %q", line)
			}
			if k == "leaf-data" {
				leafData = append(leafData, x)
			} else {
				leafHash = append(leafHash, x)
			}
		}
	}
	for i := range leafData {
		h := sha256.Sum256(append([]byte{0}, leafData[i]...))
		if !bytes.Equal(h[:], leafHash[i]) {
			t.Fatalf("record %d: SHA-256(0x00 || leaf-data) = %x, file says %x", i, h, leafHash[i])
		}
	}
	r := sha256.Sum256(append(append([]byte{1}, leafHash[0]...), leafHash[1]...))
	if !bytes.Equal(r[:], root[:]) {
		t.Fatalf("SHA-256(0x01 || leaf0 || leaf1) = %x, want %x", r, root)
	}
}
