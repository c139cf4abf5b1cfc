package election

import (
	"fmt"
	"io"
	"os"
)

// spillAt is how many bytes of counted ballots' ciphertexts a state keeps
// in memory before it moves them to a temporary file: 64 MiB, about
// 100,000 ballots of ten options. Tests lower it.
var spillAt = 64 << 20

// spillBlock is how many bytes a ciphertextLog gathers before each write
// to its file once it has one.
const spillBlock = 1 << 20

// ciphertextLog keeps the encoded ciphertexts of every counted ballot, one
// fixed-size slot per ballot, so that a ballot superseded by a later one
// can be taken back out of the sums. Its slots are written once, in order.
// It holds them in memory up to spillAt bytes and then in a temporary file,
// unlinked at once so that nothing is left behind (it is closed when the
// state is collected), so that a state's
// memory does not grow with the ciphertexts of millions of ballots (a
// million ballots of ten options are 640 MB of them). It is not safe for
// concurrent use.
type ciphertextLog struct {
	slotSize int      // bytes of one ballot's ciphertexts
	limit    int      // spillAt, or less in tests
	n        uint32   // slots written
	file     *os.File // slots [0, flushed), once spilled
	flushed  uint32
	buf      []byte // slots [flushed, n)
}

func newCiphertextLog(options int) *ciphertextLog {
	return &ciphertextLog{slotSize: options * 64, limit: spillAt}
}

// add stores one ballot's encoded ciphertexts, each 64 bytes, in the next
// slot and returns it.
func (l *ciphertextLog) add(encs [][]byte) (uint32, error) {
	if len(encs)*64 != l.slotSize {
		return 0, fmt.Errorf("storing a ballot: %d ciphertexts in a slot of %d bytes", len(encs), l.slotSize)
	}
	for _, enc := range encs {
		l.buf = append(l.buf, enc...)
	}
	slot := l.n
	l.n++
	if err := l.flush(); err != nil {
		return 0, err
	}
	return slot, nil
}

// flush moves the buffered slots to the file once there are enough of
// them, creating the file when memory reaches l.limit.
func (l *ciphertextLog) flush() error {
	if l.file == nil {
		if len(l.buf) < l.limit {
			return nil
		}
		f, err := os.CreateTemp("", "evote-ballots-*")
		if err != nil {
			return fmt.Errorf("moving counted ballots to a temporary file: %w", err)
		}
		os.Remove(f.Name()) // the open file lives on, and nothing is left after
		l.file = f
	} else if len(l.buf) < spillBlock {
		return nil
	}
	if _, err := l.file.WriteAt(l.buf, int64(l.flushed)*int64(l.slotSize)); err != nil {
		return fmt.Errorf("writing counted ballots to a temporary file: %w", err)
	}
	l.flushed = l.n
	if cap(l.buf) > 2*spillBlock {
		l.buf = make([]byte, 0, spillBlock+l.slotSize)
	}
	l.buf = l.buf[:0]
	return nil
}

// get returns the ciphertexts of slot, one 64-byte encoding each.
func (l *ciphertextLog) get(slot uint32) ([][]byte, error) {
	if slot >= l.n {
		return nil, fmt.Errorf("reading a counted ballot: slot %d of %d", slot, l.n)
	}
	data := make([]byte, l.slotSize)
	if slot >= l.flushed {
		copy(data, l.buf[int(slot-l.flushed)*l.slotSize:])
	} else {
		if _, err := l.file.ReadAt(data, int64(slot)*int64(l.slotSize)); err != nil {
			return nil, fmt.Errorf("reading a counted ballot from its temporary file: %w", err)
		}
	}
	encs := make([][]byte, l.slotSize/64)
	for i := range encs {
		encs[i] = data[i*64 : (i+1)*64 : (i+1)*64]
	}
	return encs, nil
}

// writeTo writes every slot, in order, to w.
func (l *ciphertextLog) writeTo(w io.Writer) error {
	if l.file != nil {
		if _, err := io.Copy(w, io.NewSectionReader(l.file, 0, int64(l.flushed)*int64(l.slotSize))); err != nil {
			return fmt.Errorf("copying counted ballots from their temporary file: %w", err)
		}
	}
	_, err := w.Write(l.buf)
	return err
}

// readFrom adds n slots read from r, as writeTo wrote them.
func (l *ciphertextLog) readFrom(r io.Reader, n uint32) error {
	per := max(1, spillBlock/l.slotSize)
	for n > 0 {
		k := min(n, uint32(per))
		start := len(l.buf)
		l.buf = append(l.buf, make([]byte, int(k)*l.slotSize)...)
		if _, err := io.ReadFull(r, l.buf[start:]); err != nil {
			return fmt.Errorf("reading counted ballots: %w", err)
		}
		l.n += k
		n -= k
		if err := l.flush(); err != nil {
			return err
		}
	}
	return nil
}
