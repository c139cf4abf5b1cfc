package election

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/ceremony"
	"github.com/evote/evote/crypto"
)

// A state's snapshot (docs/spec/bulletin.md §10) lets the board start in
// seconds rather than replay a million ballots. It holds what the ballots
// built, in binary, and where the other records are: on restore those few
// records (the definition, the ceremony, the phase changes, the tally) are
// read back from the board and admitted again through the same rules,
// which rebuild everything derived from them.

// snapshotTag opens the policy's part of a board state file.
const snapshotTag = "evote election state v2\n" // v2: the roll has styles and weights

// noteStructural remembers where a record that is not a ballot, a
// challenge or a piece of the roll was admitted, for snapshots.
func (s *State) noteStructural(index uint64, v any) {
	switch v.(type) {
	case *ballot.EncryptedBallot, *ballot.ChallengedBallot, *ballot.RollChunk, *ballot.RollClose:
		return
	}
	s.structural = append(s.structural, index)
}

// WriteSnapshot writes the state to w (bulletin.Snapshotter). Equal states
// write equal bytes. A state whose election key is not posted yet is not
// saved: the error wraps bulletin.ErrNoSnapshot.
func (s *State) WriteSnapshot(w io.Writer) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.election == nil || s.tree.Size() == 0 {
		return fmt.Errorf("election: the state is saved once the election key is posted: %w", bulletin.ErrNoSnapshot)
	}
	e := &snapWriter{w: w}
	e.bytes([]byte(snapshotTag))
	e.u64(uint64(s.phase))
	tree, _ := s.tree.AppendBinary(nil)
	e.bytes(tree)
	if e.err == nil {
		_, e.err = s.roll.WriteTo(w)
	}
	e.u64s(s.structural)

	// What the ballots built. nCounted and supersedes follow from counted
	// and superseded; the codes' map by prefix from the codes by slot.
	for _, c := range s.counted {
		e.u64(c.index)
		e.u64(uint64(c.slot))
	}
	e.u64(uint64(s.ciphertexts.n))
	if e.err == nil {
		e.err = s.ciphertexts.writeTo(w)
	}
	for _, code := range s.codes.bySlot {
		e.bytes(code[:])
	}
	others := slices.SortedFunc(maps.Keys(s.codes.others), func(a, b ballot.ConfirmationCode) int { return cmp.Compare(string(a[:]), string(b[:])) })
	e.u64(uint64(len(others)))
	for _, code := range others {
		use := s.codes.others[code]
		e.bytes(code[:])
		e.u64(use.index)
		e.bool(use.challenged)
	}
	e.u64s(s.castNonces.entries)
	e.u64(uint64(s.castNonces.sorted))
	e.u64s(s.slotIndex)
	prevs := slices.SortedFunc(maps.Keys(s.prevRefs), func(a, b prevKey) int {
		return cmp.Or(cmp.Compare(string(a.cred[:]), string(b.cred[:])), cmp.Compare(string(a.code[:]), string(b.code[:])))
	})
	e.u64(uint64(len(prevs)))
	for _, k := range prevs {
		e.bytes(k.cred[:])
		e.bytes(k.code[:])
		e.u64(s.prevRefs[k])
	}
	opens := slices.Sorted(maps.Keys(s.openNonces))
	e.u64(uint64(len(opens)))
	for _, n := range opens {
		e.u64(uint64(n))
		e.u64(s.openNonces[n])
	}
	for _, c := range s.sums.Sums() {
		e.bytes(c.Bytes())
	}
	replaced := slices.Sorted(maps.Keys(s.superseded))
	e.u64(uint64(len(replaced)))
	for _, i := range replaced {
		r := s.superseded[i]
		e.u64(i)
		e.u64(r.index)
		e.u64(uint64(r.time.UnixMilli()))
	}
	e.u64(uint64(s.challenged))
	e.u64(uint64(s.ballots))
	if e.err != nil {
		return fmt.Errorf("election: saving the state: %w", e.err)
	}
	return nil
}

// RestoreSnapshot sets a fresh state, which has taken in no record, from
// what WriteSnapshot wrote after the records of tree; record reads the
// board's records. The records that are not ballots are admitted again
// through the election rules, so that everything derived from them is
// rebuilt, not trusted.
func (s *State) RestoreSnapshot(r io.Reader, tree tlog.Tree, record func(index int64) (*bulletin.Record, error)) error {
	if err := s.restore(r, tree, record); err != nil {
		return fmt.Errorf("election: restoring the saved state: %w", err)
	}
	return nil
}

func (s *State) restore(r io.Reader, tree tlog.Tree, record func(index int64) (*bulletin.Record, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tree.Size() != 0 {
		return errors.New("the state has taken records in already")
	}
	d := &snapReader{r: r}
	if tag := d.bytes(len(snapshotTag)); d.err == nil && string(tag) != snapshotTag {
		return errors.New("not an election state of this version")
	}
	phase := Phase(d.u64())
	if d.err != nil {
		return d.err
	}
	t, err := bulletin.ReadCompactTree(r)
	if err != nil {
		return err
	}
	if t.Size() != tree.N || t.Root() != tree.Hash {
		root := t.Root()
		return fmt.Errorf("the state is of a tree of %d records hashing to %x…, saved as the state after %d records hashing to %x…", t.Size(), root[:8], tree.N, tree.Hash[:8])
	}
	roll, err := ballot.ReadRoll(r)
	if err != nil {
		return err
	}
	structural := d.u64s()
	if d.err != nil {
		return d.err
	}
	ballots := false
	for _, i := range structural {
		if i >= uint64(tree.N) {
			return fmt.Errorf("record %d is not among the %d saved", i, tree.N)
		}
		rec, err := record(int64(i))
		if err != nil {
			return err
		}
		v, err := Decode(rec.Type, rec.Payload)
		if err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
		if p, ok := v.(*PhaseChange); ok && p.Phase == PhaseClosed {
			// Its tree head is not rebuilt: the board checked it when it
			// first admitted the record, and the tree it named is in the
			// log the saved tree belongs to.
			err = s.admitPhase(rec, p, false)
		} else {
			err = s.admit(rec, v)
		}
		if err != nil {
			return fmt.Errorf("admitting record %d again: %w", i, err)
		}
		if _, ok := v.(*ballot.Manifest); ok {
			if roll.Election() != s.manifestHash {
				return errors.New("the saved voter roll is of another election")
			}
			s.roll, s.rollBuilder = roll, nil
		}
		if _, ok := v.(*ceremony.JointKey); ok {
			if err := s.restoreBallots(d); err != nil {
				return err
			}
			ballots = true
		}
	}
	if !ballots {
		return errors.New("the saved state has no election key")
	}
	if s.phase != phase {
		return fmt.Errorf("the saved state is %s, but its records make it %s", phase, s.phase)
	}
	s.structural, s.tree = structural, t
	return d.err
}

// restoreBallots reads what WriteSnapshot wrote of the ballots, right
// after the election key's record is admitted again.
func (s *State) restoreBallots(d *snapReader) error {
	for i := range s.counted {
		c := countedBallot{index: d.u64(), slot: uint32(d.u64())}
		s.counted[i] = c
		if c.index != 0 {
			s.noteCounted(s.election.VoterAt(int64(i)))
		}
	}
	slots := d.u64()
	if d.err != nil {
		return d.err
	}
	if slots > uint64(^uint32(0)) {
		return fmt.Errorf("%d counted ballots", slots)
	}
	if err := s.ciphertexts.readFrom(d.r, uint32(slots)); err != nil {
		return err
	}
	for slot := range uint32(slots) {
		code := ballot.ConfirmationCode(d.bytes(32))
		s.codes.bySlot = append(s.codes.bySlot, code)
		if _, taken := s.codes.cast[codePrefix(code)]; !taken {
			s.codes.cast[codePrefix(code)] = slot
		}
	}
	d.each(func() {
		code := ballot.ConfirmationCode(d.bytes(32))
		s.codes.others[code] = codeUse{index: d.u64(), challenged: d.bool()}
	})
	s.castNonces.entries = d.u64s()
	if s.castNonces.sorted = int(d.u64()); s.castNonces.sorted > len(s.castNonces.entries) {
		return fmt.Errorf("%d cast nonces sorted of %d", s.castNonces.sorted, len(s.castNonces.entries))
	}
	s.slotIndex = d.u64s()
	d.each(func() {
		k := prevKey{cred: [32]byte(d.bytes(32)), code: ballot.ConfirmationCode(d.bytes(32))}
		s.prevRefs[k] = d.u64()
	})
	d.each(func() {
		n := nonce(d.u64())
		s.openNonces[n] = d.u64()
	})
	sums := make([]*crypto.Ciphertext, s.sums.Len())
	for i := range sums {
		c, err := new(crypto.Ciphertext).SetBytes(d.bytes(64))
		if d.err != nil {
			return d.err
		}
		if err != nil {
			return fmt.Errorf("encrypted sum %d: %w", i, err)
		}
		sums[i] = c
	}
	if err := s.sums.Add(sums, 1); err != nil {
		return err
	}
	d.each(func() {
		i := d.u64()
		r := replacement{index: d.u64(), time: time.UnixMilli(int64(d.u64())).UTC()}
		s.superseded[i], s.supersedes[r.index] = r, i
	})
	s.challenged, s.ballots = int(d.u64()), int(d.u64())
	if d.err != nil {
		return d.err
	}
	if len(s.slotIndex) != int(slots) || len(s.codes.bySlot) != int(slots) {
		return fmt.Errorf("%d counted ballots' ciphertexts, but %d slots", slots, len(s.slotIndex))
	}
	return nil
}

// snapWriter writes a snapshot's fields, keeping the first error.
type snapWriter struct {
	w   io.Writer
	err error
	buf [8]byte
}

func (e *snapWriter) bytes(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

func (e *snapWriter) u64(x uint64) {
	binary.BigEndian.PutUint64(e.buf[:], x)
	e.bytes(e.buf[:])
}

func (e *snapWriter) bool(b bool) {
	if b {
		e.bytes([]byte{1})
	} else {
		e.bytes([]byte{0})
	}
}

// u64s writes a count and then each number.
func (e *snapWriter) u64s(xs []uint64) {
	e.u64(uint64(len(xs)))
	for _, x := range xs {
		e.u64(x)
	}
}

// snapReader reads a snapshot's fields, keeping the first error: after
// one, every read returns zeros.
type snapReader struct {
	r   io.Reader
	err error
}

// bytes reads n bytes.
func (d *snapReader) bytes(n int) []byte {
	b := make([]byte, n)
	if d.err == nil {
		if _, err := io.ReadFull(d.r, b); err != nil {
			d.err = fmt.Errorf("reading the saved state: %w", err)
		}
	}
	return b
}

func (d *snapReader) u64() uint64 { return binary.BigEndian.Uint64(d.bytes(8)) }

func (d *snapReader) bool() bool {
	switch b := d.bytes(1)[0]; {
	case b > 1 && d.err == nil:
		d.err = fmt.Errorf("reading the saved state: %d is not a boolean", b)
	case b == 1:
		return true
	}
	return false
}

// count reads the number of items that follow.
func (d *snapReader) count() uint64 {
	n := d.u64()
	if d.err != nil {
		return 0
	}
	return n
}

// each reads a count and calls read that many times, or until a read
// fails: a damaged count fails at the end of the input.
func (d *snapReader) each(read func()) {
	for n := d.count(); n > 0 && d.err == nil; n-- {
		read()
	}
}

// u64s reads what snapWriter.u64s wrote, in blocks, so that a damaged
// count fails at the end of the input rather than allocating for it.
func (d *snapReader) u64s() []uint64 {
	n := d.count()
	var out []uint64
	for n > 0 && d.err == nil {
		k := min(n, 1<<16)
		b := d.bytes(int(k) * 8)
		for i := range int(k) {
			out = append(out, binary.BigEndian.Uint64(b[8*i:]))
		}
		n -= k
	}
	return out
}
