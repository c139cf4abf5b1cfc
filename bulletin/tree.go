package bulletin

import (
	"encoding/binary"
	"fmt"
	"io"

	"golang.org/x/mod/sumdb/tlog"
)

// CompactTree is the right edge of a log's RFC 6962 Merkle tree: the roots
// of its largest complete subtrees, one per set bit of the tree's size.
// That is all it takes to append a leaf and to compute the root hash of the
// whole tree, so a CompactTree follows a log of any length in O(log n)
// memory. The hashing is tlog's (StoredHashesForRecordHash, TreeHash);
// CompactTree only keeps the stored hashes those functions read.
//
// The zero value is the empty tree. A CompactTree is not safe for
// concurrent use.
type CompactTree struct {
	size int64
	edge []edgeNode // largest subtree first
}

type edgeNode struct {
	index int64 // stored hash index (tlog.StoredHashIndex)
	hash  tlog.Hash
}

// Size returns the number of leaves appended.
func (t *CompactTree) Size() int64 { return t.size }

// ReadHashes implements tlog.HashReader over the right edge: it serves the
// stored hashes that appending the next leaf and hashing the whole tree
// need, and fails for any other.
func (t *CompactTree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
next:
	for i, x := range idx {
		for _, n := range t.edge {
			if n.index == x {
				out[i] = n.hash
				continue next
			}
		}
		return nil, fmt.Errorf("bulletin: stored hash %d is not on the right edge of a tree of size %d", x, t.size)
	}
	return out, nil
}

// Append adds the leaf hash of the next record (Record.LeafHash).
func (t *CompactTree) Append(leaf tlog.Hash) error {
	hs, err := tlog.StoredHashesForRecordHash(t.size, leaf, t)
	if err != nil {
		return fmt.Errorf("bulletin: appending leaf %d: %w", t.size, err)
	}
	// The new leaf merged with the len(hs)-1 smallest subtrees into one of
	// level len(hs)-1; the larger subtrees stay as they were.
	level := len(hs) - 1
	keep := len(t.edge) - level
	n := t.size + 1
	t.edge = append(t.edge[:keep], edgeNode{index: tlog.StoredHashIndex(level, n>>level-1), hash: hs[level]})
	t.size = n
	return nil
}

// Root returns the root hash of the tree (RFC 6962's MTH of its leaves).
func (t *CompactTree) Root() tlog.Hash {
	h, err := tlog.TreeHash(t.size, t)
	if err != nil {
		// The edge holds exactly the hashes TreeHash reads.
		panic("bulletin: internal error: " + err.Error())
	}
	return h
}

// AppendBinary appends the tree's encoding to b, for a policy that saves
// its state (Snapshotter): the size (8 bytes, big-endian), then each node
// of the right edge, largest subtree first: its stored hash index (8
// bytes) and hash.
func (t *CompactTree) AppendBinary(b []byte) ([]byte, error) {
	b = binary.BigEndian.AppendUint64(b, uint64(t.size))
	for _, n := range t.edge {
		b = binary.BigEndian.AppendUint64(b, uint64(n.index))
		b = append(b, n.hash[:]...)
	}
	return b, nil
}

// ReadCompactTree reads a tree encoded by AppendBinary from r. The size
// says how many edge nodes follow (one per set bit), and their indexes
// must be the ones a tree of that size has.
func ReadCompactTree(r io.Reader) (CompactTree, error) {
	var head [8]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return CompactTree{}, fmt.Errorf("bulletin: reading a tree: %w", err)
	}
	t := CompactTree{size: int64(binary.BigEndian.Uint64(head[:]))}
	if t.size < 0 {
		return CompactTree{}, fmt.Errorf("bulletin: reading a tree of size %d", t.size)
	}
	var node [8 + tlog.HashSize]byte
	covered := int64(0)
	for level := 62; level >= 0; level-- {
		if t.size&(1<<level) == 0 {
			continue
		}
		if _, err := io.ReadFull(r, node[:]); err != nil {
			return CompactTree{}, fmt.Errorf("bulletin: reading a tree: %w", err)
		}
		covered += 1 << level
		n := edgeNode{index: int64(binary.BigEndian.Uint64(node[:8])), hash: tlog.Hash(node[8:])}
		if want := tlog.StoredHashIndex(level, covered>>level-1); n.index != want {
			return CompactTree{}, fmt.Errorf("bulletin: reading a tree of size %d: edge node %d where %d belongs", t.size, n.index, want)
		}
		t.edge = append(t.edge, n)
	}
	return t, nil
}
