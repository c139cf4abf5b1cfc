package bulletin

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// TestCompactTreeEncoding: a tree read back from its encoding has the same
// root and goes on growing as the original, at every size up to 70; an
// encoding whose edge does not fit its size is refused.
func TestCompactTreeEncoding(t *testing.T) {
	var tree CompactTree
	for n := range 70 {
		data, err := tree.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ReadCompactTree(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("size %d: %v", n, err)
		}
		if back.Size() != tree.Size() || back.Root() != tree.Root() {
			t.Fatalf("size %d: read back size %d root %x, want %d %x", n, back.Size(), back.Root(), tree.Size(), tree.Root())
		}
		leaf := tlog.Hash(sha256.Sum256([]byte{byte(n)}))
		if err := tree.Append(leaf); err != nil {
			t.Fatal(err)
		}
		if err := back.Append(leaf); err != nil {
			t.Fatal(err)
		}
		if back.Root() != tree.Root() {
			t.Fatalf("size %d: the tree read back grows to another root", n+1)
		}
	}
	data, _ := tree.AppendBinary(nil) // size 70: edge nodes of levels 6, 2 and 1
	if _, err := ReadCompactTree(bytes.NewReader(data[:len(data)-1])); err == nil {
		t.Error("a cut encoding was read")
	}
	wrongSize := bytes.Clone(data)
	binary.BigEndian.PutUint64(wrongSize, 69)
	if _, err := ReadCompactTree(bytes.NewReader(wrongSize)); err == nil || !strings.Contains(err.Error(), "where") {
		t.Errorf("an edge of size 70 read as size 69: %v", err)
	}
}
