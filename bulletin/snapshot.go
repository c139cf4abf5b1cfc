package bulletin

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin/store"
)

// Snapshotter is an optional interface of a Policy whose state can be
// saved and restored, so that a log opening with LogOptions.Snapshot need
// not replay every stored record through a fresh policy: it restores the
// state saved after the first records and replays only the ones after them
// (docs/spec/bulletin.md §10).
type Snapshotter interface {
	// Snapshot writes the policy's state, as of the records admitted so
	// far, to w. It returns an error wrapping ErrNoSnapshot if the state
	// cannot be saved yet (the log then replays from the start when it
	// next opens). It is not called concurrently with Admit.
	Snapshot(w io.Writer) error
	// Restore sets the state of a fresh policy, which has admitted
	// nothing, from what Snapshot wrote after the records of tree, reading
	// from r exactly what Snapshot wrote. record returns the stored record
	// with a given index below tree.N, for a policy that saved where its
	// records are rather than what they hold. On error, the policy must
	// not be used.
	Restore(r io.Reader, tree tlog.Tree, record func(index int64) (*Record, error)) error
}

// ErrNoSnapshot is wrapped by Snapshotter.Snapshot's error when the
// policy's state cannot be saved yet.
var ErrNoSnapshot = errors.New("bulletin: the policy's state cannot be saved at this point")

// snapshotMagic opens a state file: the format and its version.
const snapshotMagic = "evote board state v1\n"

// snapshotFile is the state file of a log: its path, and the size of the
// log it was last written at.
type snapshotFile struct {
	path  string
	every int64 // write one each time the log has grown by this much
	size  int64 // the log size of the last one written or restored
}

// write saves p's state after the first tree.N records to the state file:
// to a temporary file beside it, synced and renamed over it, so that a
// crash leaves either the old file or the new one. The file holds the
// magic, the tree's size and hash, what p's Snapshot writes, and the
// SHA-256 of all that.
func (f *snapshotFile) write(p Snapshotter, tree tlog.Tree) error {
	tmp, err := os.CreateTemp(filepath.Dir(f.path), filepath.Base(f.path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("bulletin: saving the board's state: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing to remove
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(tmp, h), 1<<20)
	bw.WriteString(snapshotMagic)
	var head [8]byte
	binary.BigEndian.PutUint64(head[:], uint64(tree.N))
	bw.Write(head[:])
	bw.Write(tree.Hash[:])
	err = p.Snapshot(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		_, err = tmp.Write(h.Sum(nil))
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), f.path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(f.path))
	}
	if err != nil {
		return fmt.Errorf("bulletin: saving the board's state after %d records: %w", tree.N, err)
	}
	f.size = tree.N
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// read restores p from the state file, which must have been written after
// the first records of a log of at least those records whose tree hash
// (read from hashes) is the one the file names. It returns the number of
// records the restored state has taken in; 0 and no error if there is no
// file.
func (f *snapshotFile) read(p Snapshotter, size int64, hashes tlog.HashReader, record func(int64) (*Record, error)) (int64, error) {
	file, err := os.Open(f.path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer file.Close()
	h := sha256.New()
	r := &hashingReader{r: bufio.NewReaderSize(file, 1<<20), h: h}
	head := make([]byte, len(snapshotMagic)+8+32)
	if _, err := io.ReadFull(r, head); err != nil {
		return 0, fmt.Errorf("reading its head: %w", err)
	}
	if string(head[:len(snapshotMagic)]) != snapshotMagic {
		return 0, errors.New("it is not an evote board state file of this version")
	}
	tree := tlog.Tree{N: int64(binary.BigEndian.Uint64(head[len(snapshotMagic):]))}
	copy(tree.Hash[:], head[len(snapshotMagic)+8:])
	if tree.N > size {
		return 0, fmt.Errorf("it was saved after %d records, but the log has %d", tree.N, size)
	}
	if tree.N == 0 {
		return 0, errors.New("it was saved before any record")
	}
	th, err := tlog.TreeHash(tree.N, hashes)
	if err != nil {
		return 0, fmt.Errorf("computing the log's tree hash of size %d: %w", tree.N, err)
	}
	if th != tree.Hash {
		return 0, fmt.Errorf("it was saved after %d records whose tree hash is %x…, but the log's first %d records hash to %x…", tree.N, tree.Hash[:8], tree.N, th[:8])
	}
	if err := p.Restore(r, tree, record); err != nil {
		return 0, err
	}
	sum := h.Sum(nil)
	var stored [sha256.Size]byte
	if _, err := io.ReadFull(r.r, stored[:]); err != nil {
		return 0, fmt.Errorf("reading its checksum: %w", err)
	}
	if !bytes.Equal(stored[:], sum) {
		return 0, errors.New("its checksum does not match its contents: it is damaged")
	}
	if _, err := r.r.ReadByte(); err != io.EOF {
		return 0, errors.New("it goes on after its checksum")
	}
	f.size = tree.N
	return tree.N, nil
}

// hashingReader hashes what is read through it.
type hashingReader struct {
	r *bufio.Reader
	h hash.Hash
}

func (r *hashingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.h.Write(p[:n])
	return n, err
}

// StateCheck is what CheckState found.
type StateCheck struct {
	// Records is the number of stored records replayed.
	Records int64
	// Saved is the number of records the state file was saved after; 0
	// if there is no state file.
	Saved int64
}

// CheckState replays every stored record of st through a fresh policy
// from newPolicy, as a log opening without a state file does, checking the
// hash chain and the policy's rules. If a state file is at path, it also
// checks that the file restores to exactly the state the replay reaches
// after the records the file was saved after: the policy's Snapshot writes
// the same bytes of both. progress, if not nil, is called with the
// records replayed so far and the total before each page of them.
func CheckState(ctx context.Context, st store.Store, newPolicy func() Policy, path string, progress func(done, total int64)) (StateCheck, error) {
	n, err := st.Size(ctx)
	if err != nil {
		return StateCheck{}, fmt.Errorf("bulletin: checking the board: %w", err)
	}
	check := StateCheck{Records: n}
	record := func(i int64) (*Record, error) { return readStored(ctx, st, i) }
	var saved []byte
	if path != "" {
		sp, ok := newPolicy().(Snapshotter)
		if !ok {
			return check, errors.New("bulletin: checking the board: its policy does not save its state")
		}
		f := &snapshotFile{path: path}
		if check.Saved, err = f.read(sp, n, st, record); err != nil {
			return check, fmt.Errorf("bulletin: the state file %s cannot be used: %w", path, err)
		}
		if check.Saved > 0 {
			if saved, err = snapshotDigest(sp); err != nil {
				return check, err
			}
		}
	}
	p := newPolicy()
	page := func(next int64) error {
		if progress != nil {
			progress(next, n)
		}
		return ctx.Err()
	}
	prev, last, err := replayStored(ctx, st, p, 0, check.Saved, tlog.Hash{}, time.Time{}, page)
	if err != nil {
		return check, err
	}
	if saved != nil {
		replayed, err := snapshotDigest(p.(Snapshotter))
		if err != nil {
			return check, err
		}
		if !bytes.Equal(replayed, saved) {
			return check, fmt.Errorf("bulletin: the state file %s differs from the state replayed from the first %d records: remove it, and the board replays every record when it next starts", path, check.Saved)
		}
	}
	if prev, _, err = replayStored(ctx, st, p, check.Saved, n, prev, last, page); err != nil {
		return check, err
	}
	if err := checkLastLeaf(st, n, prev); err != nil {
		return check, err
	}
	if progress != nil {
		progress(n, n)
	}
	return check, nil
}

// snapshotDigest returns the SHA-256 of what p's Snapshot writes.
func snapshotDigest(p Snapshotter) ([]byte, error) {
	h := sha256.New()
	bw := bufio.NewWriterSize(h, 1<<20)
	if err := p.Snapshot(bw); err != nil {
		return nil, fmt.Errorf("bulletin: checking the board's state: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}
