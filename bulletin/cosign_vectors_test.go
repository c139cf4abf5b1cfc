package bulletin_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/internal/specvectors"
)

// cosignature returns the c2sp.org/tlog-cosignature line (Ed25519, type
// 0x04) of witness name with seed over checkpoint text at time ts, built
// from the spec's definition so that the vector does not depend on any
// implementation's clock.
func cosignature(name string, seed []byte, text []byte, ts uint64) (line, vkey string) {
	priv := ed25519.NewKeyFromSeed(seed)
	pub := append([]byte{0x04}, priv.Public().(ed25519.PublicKey)...)
	h := sha256.Sum256(append([]byte(name+"\n"), pub...))
	keyHash := binary.BigEndian.Uint32(h[:4])
	msg := fmt.Appendf(nil, "cosignature/v1\ntime %d\n%s", ts, text)
	sig := binary.BigEndian.AppendUint32(nil, keyHash)
	sig = binary.BigEndian.AppendUint64(sig, ts)
	sig = append(sig, ed25519.Sign(priv, msg)...)
	return fmt.Sprintf("— %s %s\n", name, base64.StdEncoding.EncodeToString(sig)),
		fmt.Sprintf("%s+%08x+%s", name, keyHash, base64.StdEncoding.EncodeToString(pub))
}

// checkpointOutcome checks a signed checkpoint note against the board's
// key and the witnesses' policy: "malformed", "unsigned" (no signature by
// the board's key), "bad-signature" (the board's does not verify) or
// "no-quorum"; the cosignatures that verify, and those that do not.
func checkpointOutcome(vkey string, signed []byte, policy bulletin.CosignPolicy) (c bulletin.Cosigned, reasons []string) {
	var bad *note.InvalidSignatureError
	var unverified *note.UnverifiedNoteError
	_, _, err := bulletin.VerifyCheckpoint(vkey, signed)
	switch {
	case errors.As(err, &bad):
		return c, []string{"bad-signature"}
	case errors.As(err, &unverified):
		return c, []string{"unsigned"}
	case err != nil:
		return c, []string{"malformed"}
	}
	c, err = policy.Check(signed)
	switch {
	case errors.Is(err, bulletin.ErrNoQuorum):
		return c, []string{"no-quorum"}
	case err != nil:
		return c, []string{err.Error()}
	}
	return c, nil
}

// checkpointOutputs lists the outputs of a checkpoint that verifies: its
// tree and, if cosigned, who cosigned it.
func checkpointOutputs(t testing.TB, e specvectors.Expecter, vkey string, signed []byte, c bulletin.Cosigned, cosigned bool) {
	t.Helper()
	size, root, err := bulletin.VerifyCheckpoint(vkey, signed)
	if err != nil {
		t.Fatal(err)
	}
	e.Expect("size", size)
	e.Expect("root-hash", root[:])
	if cosigned {
		e.Expect("cosigners", strings.Join(c.Names, " "))
		if len(c.Faulty) > 0 {
			e.Expect("faulty", strings.Join(c.Faulty, " "))
		}
	}
}

// TestCheckpointVectors runs docs/spec/vectors/checkpoint.txt: signed and
// cosigned checkpoints (docs/spec/bulletin.md §5, §5.1), checked with the
// board's key and with transparency-dev/formats' cosignature verifiers.
func TestCheckpointVectors(t *testing.T) {
	specvectors.Generated(t, "checkpoint.txt", generateCheckpointVectors(t))
	specvectors.Run(t, "checkpoint.txt", func(t *testing.T, v *specvectors.Vector) {
		vkey := v.String("board-vkey")
		signed := []byte(v.Quoted("note"))
		var policy bulletin.CosignPolicy
		for _, k := range v.Strings("witness") {
			w, err := fnote.NewVerifierForCosignatureV1(k)
			if err != nil {
				t.Fatal(err)
			}
			policy.Cosigners = append(policy.Cosigners, w)
		}
		if q, ok := v.Lookup("quorum"); ok {
			n, err := strconv.Atoi(q)
			if err != nil {
				t.Fatal(err)
			}
			policy.Quorum = n
		}
		c, reasons := checkpointOutcome(vkey, signed, policy)
		if v.Outcome(reasons...) {
			checkpointOutputs(t, v, vkey, signed, c, policy.Quorum > 0)
		}
	})
}

func generateCheckpointVectors(t *testing.T) []byte {
	w := specvectors.NewWriter(`Signed and cosigned checkpoints: docs/spec/bulletin.md §5, §5.1.
Format: docs/spec/vectors.md. Runner: TestCheckpointVectors (bulletin);
regenerate with
  go test ./bulletin -run TestCheckpointVectors -update
The board's note key is note.GenerateKey on 32 bytes of 0x11; witness i's
Ed25519 seed is 32 bytes of 0x20 + i, its cosignatures of timestamp
1764590000 + i − 1.

Inputs:
  board-vkey: the board's note verifier key
  witness:    (repeated, optional) a witness's cosignature verifier key
  quorum:     (optional) how many of the witnesses must have cosigned
  note:       the signed checkpoint note, as a JSON string
Outputs:
  size, root-hash: the checkpoint's tree
  cosigners:       the witnesses whose cosignature verifies, by name, in
                   the order of the note, separated by spaces
  faulty:          (only if any) the witnesses named by a signature line
                   of their key that does not verify: it counts for
                   nothing, and is reported
Rejections:
  unsigned:        no signature line of the board's key
  bad-signature:   the board's signature line does not verify
  no-quorum:       fewer valid cosignatures than the quorum`)
	const origin = "vote.example.org/2026-municipal"
	skey, vkey, err := note.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{0x11}, 32)), origin)
	if err != nil {
		t.Fatal(err)
	}
	board, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := tlog.TreeHash(0, nil)
	root[0] ^= 0xff // any root: the vectors are about signatures
	cp := bulletin.Checkpoint{Origin: origin, Size: 1234, Hash: root}
	signed, err := bulletin.SignCheckpoint(cp, board)
	if err != nil {
		t.Fatal(err)
	}
	var vkeys, lines []string
	for i, name := range []string{"w1.example.net", "w2.example.org", "w3.example.com"} {
		line, wk := cosignature(name, bytes.Repeat([]byte{byte(0x21 + i)}, 32), cp.Text(), 1764590000+uint64(i))
		vkeys, lines = append(vkeys, wk), append(lines, line)
	}
	// Witness 2 did not cosign.
	cosigned := string(signed) + lines[0] + lines[2]
	flip := func(s, line string, at int) string {
		i := strings.Index(s, line) + len(line) - at
		b := []byte(s)
		b[i] ^= 'A' ^ 'B'
		return string(b)
	}
	boardLine := strings.TrimPrefix(string(signed), string(cp.Text())+"\n")
	vector := func(name, comment, signed string, witnesses bool, reasons ...string) {
		w.Vector(name)
		w.Input("board-vkey", vkey)
		policy := bulletin.CosignPolicy{}
		if witnesses {
			for _, k := range vkeys {
				w.Input("witness", k)
				v, err := fnote.NewVerifierForCosignatureV1(k)
				if err != nil {
					t.Fatal(err)
				}
				policy.Cosigners = append(policy.Cosigners, v)
			}
			w.Input("quorum", 2)
			policy.Quorum = 2
		}
		w.Input("note", specvectors.Quote(signed))
		w.Comment(comment)
		c, got := checkpointOutcome(vkey, []byte(signed), policy)
		if strings.Join(got, "|") != strings.Join(reasons, "|") {
			t.Fatalf("vector %s: the code gives %q, the generator says %q", name, got, reasons)
		}
		for _, r := range reasons {
			w.Reject(r)
		}
		if got == nil {
			checkpointOutputs(t, w, vkey, []byte(signed), c, witnesses)
		}
	}
	vector("board-signed", "signed by the board alone", string(signed), false)
	vector("cosigned-2-of-3", "cosigned by witnesses 1 and 3 of 3, quorum 2", cosigned, true)
	vector("cosigned-1-of-3", "cosigned by witness 1 alone", string(signed)+lines[0], true, "no-quorum")
	vector("board-signature-changed", "one byte of the board's signature changed", flip(string(signed), boardLine, 10), false, "bad-signature")
	vector("cosignature-changed", "one byte of witness 1's signature changed: witness 3 alone is short of the quorum", flip(cosigned, lines[0], 10), true, "no-quorum")
	vector("cosignature-changed-quorum", "one byte of witness 1's signature changed, witnesses 2 and 3 valid: the quorum holds and witness 1's line is reported",
		flip(string(signed)+lines[0]+lines[1]+lines[2], lines[0], 10), true)
	vector("witness-signed-only", "witness 1's cosignature without the board's signature",
		strings.Replace(cosigned, boardLine, "", 1), true, "unsigned")
	return w.Bytes()
}
