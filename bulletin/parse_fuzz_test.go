package bulletin_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store"
)

// fuzzSeeds returns real receipts and signed checkpoints from a small log,
// some with witness cosignatures, plus checkpoint texts.
func fuzzSeeds(f *testing.F) (receipts, signed, texts [][]byte) {
	l := openTestLog(f, store.NewMemory(), bulletin.NewOpenPolicy)
	for _, r := range appendN(f, l, 0, 6) {
		receipts = append(receipts, r.Marshal())
		signed = append(signed, r.Checkpoint)
		text, _, _ := bytes.Cut(r.Checkpoint, []byte("\n\n"))
		texts = append(texts, append(text, '\n'))
	}
	// The empty tree, and a cosigned checkpoint.
	boardSigner, _ := testNoteKey(f)
	empty := bulletin.Checkpoint{Origin: boardSigner.Name()}
	witness := fuzzWitness(f)
	for _, signers := range [][]note.Signer{{boardSigner}, {boardSigner, witness}} {
		n, err := note.Sign(&note.Note{Text: string(empty.Text())}, signers...)
		if err != nil {
			f.Fatal(err)
		}
		signed = append(signed, n)
	}
	last := l.Checkpoint()
	cosigned, err := note.Sign(&note.Note{Text: string(last.Text())}, boardSigner, witness)
	if err != nil {
		f.Fatal(err)
	}
	signed = append(signed, cosigned)
	texts = append(texts, empty.Text())
	return receipts, signed, texts
}

func fuzzWitness(f *testing.F) note.Signer {
	seed := sha256.Sum256([]byte("evote test witness"))
	skey, _, err := note.GenerateKey(bytes.NewReader(seed[:]), "witness")
	if err != nil {
		f.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		f.Fatal(err)
	}
	return s
}

// mangle returns variants of data with one byte deleted, inserted or
// changed at every position: seeds that reach every parse check.
func mangle(data []byte) [][]byte {
	var out [][]byte
	for i := range len(data) + 1 {
		for _, c := range []byte("0+ \n=") {
			out = append(out, slices.Concat(data[:i], []byte{c}, data[i:]))
		}
		if i < len(data) {
			out = append(out, slices.Concat(data[:i], data[i+1:]))
			flip := bytes.Clone(data)
			flip[i] ^= 0x01
			out = append(out, flip)
		}
	}
	return out
}

// checkErrPrefix checks err is one of the package's parse errors: "bulletin: <layer>: …".
func checkErrPrefix(t *testing.T, err error, prefixes ...string) {
	t.Helper()
	for _, p := range prefixes {
		if strings.HasPrefix(err.Error(), p) {
			return
		}
	}
	t.Fatalf("error %q does not start with one of %q", err, prefixes)
}

func FuzzParseReceipt(f *testing.F) {
	receipts, _, _ := fuzzSeeds(f)
	for _, r := range receipts {
		f.Add(r)
	}
	for _, m := range mangle(receipts[len(receipts)-1]) {
		f.Add(m)
	}
	_, vkey := testNoteKey(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := bulletin.ParseReceipt(data)
		if err != nil {
			if r != nil {
				t.Fatalf("ParseReceipt returned a receipt and error %v", err)
			}
			checkErrPrefix(t, err, "bulletin: parsing receipt: ")
			return
		}
		if got := r.Marshal(); !bytes.Equal(got, data) {
			t.Fatalf("ParseReceipt(%q).Marshal() = %q, want the input", data, got)
		}
		if r.Index < 0 || len(r.Checkpoint) == 0 {
			t.Fatalf("ParseReceipt(%q) = index %d, %d checkpoint bytes", data, r.Index, len(r.Checkpoint))
		}
		// Verify must not panic on any parsed receipt.
		r.Verify(vkey)
	})
}

func FuzzParseCheckpoint(f *testing.F) {
	_, _, texts := fuzzSeeds(f)
	for _, t := range texts {
		f.Add(t)
	}
	for _, m := range mangle(texts[0]) {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := bulletin.ParseCheckpoint(data)
		if err != nil {
			if c != (bulletin.Checkpoint{}) {
				t.Fatalf("ParseCheckpoint(%q) = %+v and error %v", data, c, err)
			}
			checkErrPrefix(t, err, "bulletin: parsing checkpoint: ")
			return
		}
		if got := c.Text(); !bytes.Equal(got, data) {
			t.Fatalf("ParseCheckpoint(%q).Text() = %q, want the input", data, got)
		}
		if c.Size < 0 || c.Origin == "" {
			t.Fatalf("ParseCheckpoint(%q) = %+v", data, c)
		}
	})
}

func FuzzOpenCheckpoint(f *testing.F) {
	_, signed, _ := fuzzSeeds(f)
	for _, s := range signed {
		f.Add(s)
	}
	for _, m := range mangle(signed[len(signed)-1]) {
		f.Add(m)
	}
	// Every value of the last character of each signature, whose low bits
	// base64 decoders other than Strict ignore.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for _, s := range signed {
		for i := bytes.Index(s, []byte("=\n")); i > 0; {
			for _, c := range []byte(alphabet) {
				m := bytes.Clone(s)
				m[i-1] = c
				f.Add(m)
			}
			j := bytes.Index(s[i+1:], []byte("=\n"))
			if j < 0 {
				break
			}
			i += 1 + j
		}
	}
	boardSigner, vkey := testNoteKey(f)
	v, err := note.NewVerifier(vkey)
	if err != nil {
		f.Fatal(err)
	}
	known := note.VerifierList(v)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, n, err := bulletin.OpenCheckpoint(data, known)
		if err != nil {
			if n != nil || c != (bulletin.Checkpoint{}) {
				t.Fatalf("OpenCheckpoint(%q) = %+v, %v and error %v", data, c, n, err)
			}
			checkErrPrefix(t, err, "bulletin: opening checkpoint: ", "bulletin: parsing checkpoint: ")
			return
		}
		if string(c.Text()) != n.Text {
			t.Fatalf("OpenCheckpoint(%q): text %q, checkpoint %+v", data, n.Text, c)
		}
		if len(n.Sigs) != 1 || n.Sigs[0].Name != v.Name() || n.Sigs[0].Hash != v.KeyHash() {
			t.Fatalf("OpenCheckpoint(%q) accepted without exactly one board signature: %+v", data, n.Sigs)
		}
		// One encoding per signed checkpoint: Ed25519 note signatures are
		// deterministic, so the board's signature line is the one the board
		// would write, and the whole note is re-created from its parts.
		board, err := bulletin.SignCheckpoint(c, boardSigner)
		if err != nil {
			t.Fatal(err)
		}
		_, boardLine, _ := bytes.Cut(board, []byte("\n\n"))
		var b bytes.Buffer
		b.WriteString(n.Text)
		b.WriteString("\n")
		lines := 0
		for _, s := range append(n.Sigs, n.UnverifiedSigs...) {
			lines++
			sig, err := base64.StdEncoding.DecodeString(s.Base64)
			if err != nil || base64.StdEncoding.EncodeToString(sig) != s.Base64 {
				t.Fatalf("OpenCheckpoint(%q) accepted the non-canonical signature %q", data, s.Base64)
			}
			b.WriteString("— " + s.Name + " " + s.Base64 + "\n")
		}
		if !bytes.Contains(data, boardLine) {
			t.Fatalf("OpenCheckpoint(%q) accepted a board signature line other than %q", data, boardLine)
		}
		if lines == 1 && !bytes.Equal(b.Bytes(), data) || b.Len() != len(data) {
			t.Fatalf("OpenCheckpoint(%q) accepted a note that re-encodes as %q", data, b.Bytes())
		}
	})
}

func FuzzParseSubmission(f *testing.F) {
	seeds := []*bulletin.Submission{
		sub(0),
		bulletin.Sign(testKey("bob"), "election", []byte(`{"election":"demo","contests":1,"s":"\u00e9<&>"}`)),
		bulletin.Sign(testKey("bob"), "phase", []byte(`"open"`)),
		bulletin.Sign(testKey("bob"), "x", []byte(`[1,2.5e3,null,true,{}]`)),
	}
	for _, s := range seeds {
		enc, err := s.MarshalJSON()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
	}
	enc, _ := seeds[0].MarshalJSON()
	for _, m := range mangle(enc) {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := bulletin.ParseSubmission(data)
		if err != nil {
			if s != nil {
				t.Fatalf("ParseSubmission returned a submission and error %v", err)
			}
			checkErrPrefix(t, err, "bulletin: parsing submission: ")
			return
		}
		// Check never panics and fails only with a *RejectError.
		checkErr := s.Check(bulletin.DefaultMaxPayload)
		if checkErr != nil {
			if _, ok := checkErr.(*bulletin.RejectError); !ok {
				t.Fatalf("Check of %q = %T %v, want *bulletin.RejectError", data, checkErr, checkErr)
			}
		}
		enc, err := s.MarshalJSON()
		if err != nil {
			if checkErr == nil {
				t.Fatalf("ParseSubmission(%q) passes Check but MarshalJSON fails: %v", data, err)
			}
			return
		}
		// ParseSubmission is not canonical (it is encoding/json), but
		// MarshalJSON's output is a fixed point and keeps every field.
		s2, err := bulletin.ParseSubmission(enc)
		if err != nil {
			t.Fatalf("ParseSubmission(MarshalJSON(%q)) = %v (encoding %q)", data, err, enc)
		}
		if s2.Type != s.Type || !bytes.Equal(s2.Payload, s.Payload) || !bytes.Equal(s2.Author, s.Author) || !bytes.Equal(s2.Sig, s.Sig) {
			t.Fatalf("ParseSubmission(%q) = %+v, after a round trip %+v", data, s, s2)
		}
		if enc2, err := s2.MarshalJSON(); err != nil || !bytes.Equal(enc2, enc) {
			t.Fatalf("MarshalJSON round trip of %q: %q, then %q, %v", data, enc, enc2, err)
		}
	})
}
