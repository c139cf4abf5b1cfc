package bulletin_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store"
)

func TestVerifyExport(t *testing.T) {
	ms := store.NewMemory()
	l := openTestLog(t, ms, bulletin.NewOpenPolicy)
	appendN(t, l, 0, 12)
	lines := exportLines(t, ms)
	join := func(ls [][]byte) []byte { return bytes.Join(ls, nil) }

	v, err := bulletin.VerifyExport(bytes.NewReader(join(lines)), 0)
	if err != nil {
		t.Fatalf("VerifyExport(valid) = %v", err)
	}
	if err := v.CheckCheckpoint(l.Checkpoint().Checkpoint); err != nil {
		t.Fatalf("CheckCheckpoint: %v", err)
	}
	if root, _ := v.TreeHash(v.Size()); v.Size() != 12 || root != l.Checkpoint().Hash {
		t.Fatalf("VerifyExport = size %d root %v, want 12 %v", v.Size(), root, l.Checkpoint().Hash)
	}
	if v, err := bulletin.VerifyExport(strings.NewReader(""), 0); err != nil || v.Size() != 0 {
		t.Fatalf("VerifyExport(empty) = %v, %v", v, err)
	}

	// Re-signed record 5 (a different author's valid record in its place).
	forged := func() []byte {
		r, _ := bulletin.ParseRecord(bytes.TrimSuffix(lines[5], []byte("\n")))
		s := bulletin.Sign(testKey("mallory"), r.Type, []byte(`{"n":5,"note":"forged"}`))
		r.Payload, r.Author, r.Sig = s.Payload, s.Author, s.Sig
		enc, _ := r.MarshalJSON()
		return append(enc, '\n')
	}()
	modified := bytes.Replace(lines[5], []byte(`"n":5`), []byte(`"n":6`), 1)
	clone := func() [][]byte { return append([][]byte(nil), lines...) }
	tests := []struct {
		name   string
		lines  [][]byte
		index  int64
		reason string
	}{
		{"modified payload", func() [][]byte { ls := clone(); ls[5] = modified; return ls }(), 5, "bad-signature"},
		{"re-signed record", func() [][]byte { ls := clone(); ls[5] = forged; return ls }(), 6, "prev does not match the leaf hash of record 5"},
		{"deleted record", func() [][]byte { ls := clone(); return append(ls[:4], ls[5:]...) }(), 4, "has index 5, want 4"},
		{"inserted record", func() [][]byte {
			ls := clone()
			return append(ls[:7], append([][]byte{lines[2]}, ls[7:]...)...)
		}(), 7, "has index 2, want 7"},
		{"reordered records", func() [][]byte { ls := clone(); ls[8], ls[9] = ls[9], ls[8]; return ls }(), 8, "has index 9, want 8"},
		{"truncated line", func() [][]byte { ls := clone(); ls[11] = ls[11][:len(ls[11])-1]; return ls }(), 11, "newline"},
		{"garbage line", func() [][]byte { ls := clone(); ls[3] = []byte("{}\n"); return ls }(), 3, "not a canonical record"},
		{"pretty-printed", func() [][]byte {
			ls := clone()
			ls[0] = bytes.Replace(ls[0], []byte(`,"time"`), []byte(`, "time"`), 1)
			return ls
		}(), 0, "canonical"},
		{"changed time", func() [][]byte {
			ls := clone()
			r, _ := bulletin.ParseRecord(bytes.TrimSuffix(ls[10], []byte("\n")))
			r.Time = r.Time.Add(-1e9 * 3600)
			enc, _ := r.MarshalJSON()
			ls[10] = append(enc, '\n')
			return ls
		}(), 10, "before record 9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := bulletin.VerifyExport(bytes.NewReader(join(tt.lines)), 0)
			var ee *bulletin.ChainError
			if !errors.As(err, &ee) {
				t.Fatalf("VerifyExport = %v, want *ChainError", err)
			}
			if ee.Index != tt.index || !strings.Contains(ee.Error(), tt.reason) {
				t.Fatalf("VerifyExport = %v, want record %d with reason containing %q", err, tt.index, tt.reason)
			}
		})
	}

	// A re-signed last record keeps the chain valid; only the checkpoint catches it.
	ls := clone()
	r, _ := bulletin.ParseRecord(bytes.TrimSuffix(ls[11], []byte("\n")))
	s := bulletin.Sign(testKey("mallory"), r.Type, []byte(`{"forged":true}`))
	r.Payload, r.Author, r.Sig = s.Payload, s.Author, s.Sig
	enc, _ := r.MarshalJSON()
	ls[11] = append(enc, '\n')
	v, err = bulletin.VerifyExport(bytes.NewReader(join(ls)), 0)
	if err != nil {
		t.Fatalf("VerifyExport(re-signed tail) = %v", err)
	}
	if err := v.CheckCheckpoint(l.Checkpoint().Checkpoint); err == nil {
		t.Fatalf("CheckCheckpoint accepted a rewritten last record")
	}
	// A checkpoint larger than the export fails too.
	v, _ = bulletin.VerifyExport(bytes.NewReader(join(lines[:6])), 0)
	if err := v.CheckCheckpoint(l.Checkpoint().Checkpoint); err == nil {
		t.Fatalf("CheckCheckpoint accepted a truncated export")
	}
}

func TestReceipt(t *testing.T) {
	l := openTestLog(t, store.NewMemory(), bulletin.NewOpenPolicy)
	_, vkey := testNoteKey(t)
	rs := appendN(t, l, 0, 9)
	for _, r := range rs {
		enc := r.Marshal()
		p, err := bulletin.ParseReceipt(enc)
		if err != nil {
			t.Fatalf("ParseReceipt(%s): %v", enc, err)
		}
		if !bytes.Equal(p.Marshal(), enc) {
			t.Fatalf("receipt round trip changed it")
		}
		cp, err := p.Verify(vkey)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if cp.Size != r.Index+1 {
			t.Fatalf("receipt %d checkpoint size %d", r.Index, cp.Size)
		}
		rec, _ := l.Record(t.Context(), r.Index)
		if !p.Matches(rec) {
			t.Fatalf("receipt does not match its record")
		}
		if r.Index != 8 {
			continue
		}
		// Every single-byte change to the receipt is caught by parse or verify.
		for i := range enc {
			bad := bytes.Clone(enc)
			bad[i] ^= 0x01
			if q, err := bulletin.ParseReceipt(bad); err == nil {
				if _, err := q.Verify(vkey); err == nil && bytes.Equal(q.LeafHash[:], p.LeafHash[:]) && q.Index == p.Index {
					t.Fatalf("receipt with byte %d changed (%q) still verifies", i, enc[i])
				}
			}
		}
	}
	// Another board's key does not verify.
	_, other, _ := func() (any, string, error) {
		seedKey := testKey("other-board").Seed()
		s, v, err := noteKey(seedKey, "test-board")
		return s, v, err
	}()
	if _, err := rs[0].Verify(other); err == nil {
		t.Fatalf("receipt verified under another board's key")
	}
	// A board key of another name: the receipt names the board it is from.
	_, renamed, err := noteKey(testKey("other-board").Seed(), "other.example/board")
	if err != nil {
		t.Fatal(err)
	}
	var ob *bulletin.OtherBoardError
	if _, err := rs[0].Verify(renamed); !errors.As(err, &ob) || ob.Receipt != "test-board" || ob.Board != "other.example/board" {
		t.Fatalf("receipt checked with another board's key named %q: %v, want an OtherBoardError", "other.example/board", err)
	}
}
