package bulletin_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store"
)

// testKey returns a deterministic Ed25519 author key.
func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("evote test author " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// testNoteKey returns a deterministic board note key pair.
func testNoteKey(t testing.TB) (note.Signer, string) {
	seed := sha256.Sum256([]byte("evote test board key"))
	skey, vkey, err := note.GenerateKey(bytes.NewReader(seed[:]), "test-board")
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s, vkey
}

// fixedClock returns a clock that starts at a fixed time and advances 1.5 ms per call.
func fixedClock() func() time.Time {
	t := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	return func() time.Time {
		t = t.Add(1500 * time.Microsecond)
		return t
	}
}

func openTestLog(t testing.TB, s store.Store, newPolicy func() bulletin.Policy) *bulletin.Log {
	t.Helper()
	signer, _ := testNoteKey(t)
	l, err := bulletin.OpenLog(context.Background(), s, newPolicy, bulletin.LogOptions{Signer: signer, Now: fixedClock()})
	if err != nil {
		t.Fatalf("OpenLog: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func sub(i int) *bulletin.Submission {
	return bulletin.Sign(testKey("alice"), "ballot", fmt.Appendf(nil, `{"n":%d,"note":"<&>"}`, i))
}

// appendN appends n distinct records and returns their receipts.
func appendN(t testing.TB, l *bulletin.Log, first, n int) []*bulletin.Receipt {
	t.Helper()
	var rs []*bulletin.Receipt
	for i := first; i < first+n; i++ {
		_, r, err := l.Append(context.Background(), sub(i))
		if err != nil {
			t.Fatalf("Append(%d): %v", i, err)
		}
		rs = append(rs, r)
	}
	return rs
}

// storedLog returns a memory store holding n records appended through a
// log, now closed, and that log's last checkpoint.
func storedLog(t testing.TB, n int) (*store.Memory, *bulletin.SignedCheckpoint) {
	t.Helper()
	ms := store.NewMemory()
	l := openTestLog(t, ms, bulletin.NewOpenPolicy)
	appendN(t, l, 0, n)
	cp := l.Checkpoint()
	l.Close()
	return ms, cp
}

// isDuplicate reports whether err rejects a submission as a duplicate.
func isDuplicate(err error) bool {
	var re *bulletin.RejectError
	return errors.As(err, &re) && re.Code == bulletin.CodeDuplicate
}

func exportLines(t testing.TB, s store.Store) [][]byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := bulletin.Export(context.Background(), s, &buf); err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(buf.Bytes(), []byte("\n"))
	return lines[:len(lines)-1]
}

func noteKey(seed []byte, name string) (string, string, error) {
	return note.GenerateKey(bytes.NewReader(seed), name)
}
