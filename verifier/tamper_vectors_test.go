package verifier_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/crypto"
	"github.com/evote/evote/internal/specvectors"
)

// The tamper set of the golden record, docs/spec/vectors/golden/tamper.txt
// (docs/spec/vectors.md §4): each vector changes the golden record by a
// list of operations and names every failure the verifier must report.

// errTamper is wrapped by the errors of a tampering operation that does
// not apply to the record: a bug of the vector, not of the verifier.
var errTamper = errors.New("tampering operation does not apply")

// tampering is the golden record as a vector's operations change it.
type tampering struct {
	recs       []*bulletin.Record
	checkpoint []byte
	changed    map[*bulletin.Record]bool // payload or author changed: resign signs it again
	board      note.Signer
	keys       []goldenKey
}

func newTampering(t testing.TB, g *golden) *tampering {
	t.Helper()
	s := &tampering{checkpoint: bytes.Clone(g.checkpoint), changed: make(map[*bulletin.Record]bool)}
	s.board, s.keys = loadGoldenKeys(t)
	if err := bulletinLines(g.record, func(r *bulletin.Record) { s.recs = append(s.recs, r) }); err != nil {
		t.Fatal(err)
	}
	return s
}

// export returns the records as an export: one canonical line each.
func (s *tampering) export() ([]byte, error) {
	var b bytes.Buffer
	for _, r := range s.recs {
		enc, err := r.MarshalJSON()
		if err != nil {
			return nil, err
		}
		b.Write(enc)
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// index parses a record position, which must be below limit.
func index(s string, limit int) (int, error) {
	i, err := strconv.Atoi(s)
	if err != nil || i < 0 || i >= limit || strconv.Itoa(i) != s {
		return 0, fmt.Errorf("%w: position %q (the record has %d records)", errTamper, s, limit)
	}
	return i, nil
}

// xorByte parses "OFFSET MASK" and XORs b[OFFSET] with MASK (2 hex digits).
func xorByte(b []byte, offset, mask string) error {
	i, err := index(offset, len(b))
	if err != nil {
		return err
	}
	m, err := specvectors.DecodeHex(mask)
	if err != nil || len(m) != 1 || m[0] == 0 {
		return fmt.Errorf("%w: mask %q is not one non-zero byte in hex", errTamper, mask)
	}
	b[i] ^= m[0]
	return nil
}

// edit replaces record i by a copy, which f changes; payload or author
// changes mark it for resign.
func (s *tampering) edit(i int, resign bool, f func(r *bulletin.Record) error) error {
	c := *s.recs[i]
	c.Payload, c.Author, c.Sig, c.Prev = bytes.Clone(c.Payload), bytes.Clone(c.Author), bytes.Clone(c.Sig), bytes.Clone(c.Prev)
	if err := f(&c); err != nil {
		return err
	}
	s.recs[i] = &c
	if resign {
		s.changed[&c] = true
	}
	return nil
}

// key returns the private key of role, or of the public key pub if role
// is empty.
func (s *tampering) key(role string, pub []byte) (ed25519.PrivateKey, error) {
	for _, k := range s.keys {
		if k.role == role || (role == "" && bytes.Equal(k.priv.Public().(ed25519.PublicKey), pub)) {
			return k.priv, nil
		}
	}
	return nil, fmt.Errorf("%w: no key of %q %x in keys.txt", errTamper, role, pub)
}

// apply applies one operation (docs/spec/vectors.md §4).
func (s *tampering) apply(op string) error {
	f := strings.Fields(op)
	arity := map[string]int{"delete": 2, "swap": 3, "move": 3, "copy": 3, "truncate": 2, "xor": 5, "time": 3,
		"payload-xor": 5, "payload-set": 4, "author": 3, "resign": 1, "checkpoint-xor": 3}
	n, ok := arity[f[0]]
	if !ok {
		return fmt.Errorf("%w: unknown operation %q", errTamper, f[0])
	}
	if f[0] == "payload-set" {
		f = strings.SplitN(op, " ", 4) // the JSON value may hold spaces
	}
	if len(f) != n {
		return fmt.Errorf("%w: %q needs %d arguments", errTamper, op, n-1)
	}
	var i int
	var err error
	if n > 1 && f[0] != "truncate" && f[0] != "checkpoint-xor" {
		if i, err = index(f[1], len(s.recs)); err != nil {
			return err
		}
	}
	switch f[0] {
	case "delete":
		s.recs = append(s.recs[:i:i], s.recs[i+1:]...)
	case "swap":
		j, err := index(f[2], len(s.recs))
		if err != nil {
			return err
		}
		s.recs[i], s.recs[j] = s.recs[j], s.recs[i]
	case "move", "copy":
		r := s.recs[i]
		if f[0] == "move" {
			s.recs = append(s.recs[:i:i], s.recs[i+1:]...)
		} else {
			c := *r
			r = &c
		}
		j, err := index(f[2], len(s.recs)+1)
		if err != nil {
			return err
		}
		s.recs = append(s.recs[:j:j], append([]*bulletin.Record{r}, s.recs[j:]...)...)
	case "truncate":
		n, err := index(f[1], len(s.recs))
		if err != nil {
			return err
		}
		s.recs = s.recs[:n]
	case "xor":
		return s.edit(i, false, func(r *bulletin.Record) error {
			switch f[2] {
			case "sig":
				return xorByte(r.Sig, f[3], f[4])
			case "author":
				return xorByte(r.Author, f[3], f[4])
			case "prev":
				return xorByte(r.Prev, f[3], f[4])
			}
			return fmt.Errorf("%w: field %q", errTamper, f[2])
		})
	case "time":
		ms, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return fmt.Errorf("%w: %q is not a number of milliseconds", errTamper, f[2])
		}
		return s.edit(i, false, func(r *bulletin.Record) error {
			r.Time = r.Time.Add(time.Duration(ms) * time.Millisecond)
			return nil
		})
	case "payload-xor":
		return s.edit(i, true, func(r *bulletin.Record) error {
			return replaceJSON(&r.Payload, f[2], func(old []byte) ([]byte, error) {
				var b64 string
				if err := json.Unmarshal(old, &b64); err != nil {
					return nil, fmt.Errorf("%w: %s is not a string", errTamper, f[2])
				}
				b, err := base64.StdEncoding.Strict().DecodeString(b64)
				if err != nil {
					return nil, fmt.Errorf("%w: %s is not base64", errTamper, f[2])
				}
				if err := xorByte(b, f[3], f[4]); err != nil {
					return nil, err
				}
				return json.Marshal(base64.StdEncoding.EncodeToString(b))
			})
		})
	case "payload-set":
		return s.edit(i, true, func(r *bulletin.Record) error {
			return replaceJSON(&r.Payload, f[2], func([]byte) ([]byte, error) { return []byte(f[3]), nil })
		})
	case "author":
		priv, err := s.key(f[2], nil)
		if err != nil {
			return err
		}
		return s.edit(i, true, func(r *bulletin.Record) error {
			r.Author = priv.Public().(ed25519.PublicKey)
			return nil
		})
	case "resign":
		return s.resign()
	case "checkpoint-xor":
		return s.xorCheckpoint(f[1], f[2])
	}
	return nil
}

// resign is what a malicious board does: sign every changed record again
// with its author's key, renumber and chain every record, never let time
// go back, and sign a checkpoint of the result.
func (s *tampering) resign() error {
	var prev tlog32
	var last time.Time
	for i, r := range s.recs {
		c := *r
		if s.changed[r] {
			priv, err := s.key("", c.Author)
			if err != nil {
				return err
			}
			c.Sig = ed25519.Sign(priv, bulletin.SigningMessage(c.Type, c.Payload))
		}
		if c.Time.Before(last) {
			c.Time = last
		}
		last = c.Time
		c.Index = uint64(i)
		c.Prev = bytes.Clone(prev[:])
		prev = c.LeafHash()
		s.recs[i] = &c
	}
	s.changed = make(map[*bulletin.Record]bool)
	export, err := s.export()
	if err != nil {
		return err
	}
	v, err := bulletin.VerifyExport(bytes.NewReader(export), 0)
	if err != nil {
		return fmt.Errorf("%w: the re-signed record does not chain: %v", errTamper, err)
	}
	root, err := v.TreeHash(v.Size())
	if err != nil {
		return err
	}
	s.checkpoint, err = bulletin.SignCheckpoint(bulletin.Checkpoint{Origin: s.board.Name(), Size: v.Size(), Hash: root}, s.board)
	return err
}

// tlog32 is a leaf hash.
type tlog32 = [bulletin.HashSize]byte

// xorCheckpoint XORs a byte of the Ed25519 signature (after the 4-byte key
// hash) in the board's signature line of the checkpoint.
func (s *tampering) xorCheckpoint(offset, mask string) error {
	prefix := "— " + s.board.Name() + " "
	lines := strings.Split(string(s.checkpoint), "\n")
	for k, line := range lines {
		b64, ok := strings.CutPrefix(line, prefix)
		if !ok {
			continue
		}
		sig, err := base64.StdEncoding.Strict().DecodeString(b64)
		if err != nil || len(sig) != 68 {
			return fmt.Errorf("%w: the board's signature line %q", errTamper, line)
		}
		if err := xorByte(sig[4:], offset, mask); err != nil {
			return err
		}
		lines[k] = prefix + base64.StdEncoding.EncodeToString(sig)
		s.checkpoint = []byte(strings.Join(lines, "\n"))
		return nil
	}
	return fmt.Errorf("%w: no signature line of the board", errTamper)
}

// replaceJSON replaces, in the JSON text *data, the value at the RFC 6901
// pointer by what f returns for it, leaving every other byte as it is.
func replaceJSON(data *json.RawMessage, pointer string, f func(old []byte) ([]byte, error)) error {
	start, end, err := jsonSpan(*data, pointer)
	if err != nil {
		return err
	}
	v, err := f((*data)[start:end])
	if err != nil {
		return err
	}
	*data = append(append(bytes.Clone((*data)[:start]), v...), (*data)[end:]...)
	return nil
}

// jsonSpan returns where the value at the RFC 6901 pointer starts and
// ends in the JSON text data.
func jsonSpan(data []byte, pointer string) (start, end int, err error) {
	if !strings.HasPrefix(pointer, "/") {
		return 0, 0, fmt.Errorf("%w: %q is not a JSON pointer", errTamper, pointer)
	}
	notFound := fmt.Errorf("%w: nothing at %s", errTamper, pointer)
	dec := json.NewDecoder(bytes.NewReader(data))
	var skip json.RawMessage
	for _, key := range strings.Split(pointer[1:], "/") {
		key = strings.NewReplacer("~1", "/", "~0", "~").Replace(key)
		tok, err := dec.Token()
		if err != nil {
			return 0, 0, notFound
		}
		switch tok {
		case json.Delim('{'):
			for {
				if !dec.More() {
					return 0, 0, notFound
				}
				k, err := dec.Token()
				if err != nil {
					return 0, 0, notFound
				}
				if k == key {
					break
				}
				if err := dec.Decode(&skip); err != nil {
					return 0, 0, notFound
				}
			}
		case json.Delim('['):
			n, err := strconv.Atoi(key)
			if err != nil || strconv.Itoa(n) != key {
				return 0, 0, notFound
			}
			for range n {
				if !dec.More() || dec.Decode(&skip) != nil {
					return 0, 0, notFound
				}
			}
			if !dec.More() {
				return 0, 0, notFound
			}
		default:
			return 0, 0, notFound
		}
	}
	start = int(dec.InputOffset())
	for start < len(data) && strings.IndexByte(" \t\r\n:,", data[start]) >= 0 {
		start++
	}
	var v json.RawMessage
	if err := dec.Decode(&v); err != nil {
		return 0, 0, notFound
	}
	end = int(dec.InputOffset())
	if !bytes.Equal(data[start:end], v) {
		return 0, 0, fmt.Errorf("%w: %s is not compact JSON", errTamper, pointer)
	}
	return start, end, nil
}

// TestGoldenTamper runs docs/spec/vectors/golden/tamper.txt: each vector's
// operations change the golden record, and the verifier must report
// exactly the failures it lists.
func TestGoldenTamper(t *testing.T) {
	g := loadGolden(t)
	specvectors.Generated(t, "golden/tamper.txt", generateTamperVectors(t, g))
	specvectors.Run(t, "golden/tamper.txt", func(t *testing.T, v *specvectors.Vector) {
		s := newTampering(t, g)
		for _, op := range v.Strings("op") {
			if err := s.apply(op); err != nil {
				t.Fatalf("%s: %v", op, err)
			}
		}
		export, err := s.export()
		if err != nil {
			t.Fatal(err)
		}
		r := verifyGolden(export, s.checkpoint, g.vkey)
		for _, f := range r.Failures {
			t.Logf("  %v", f)
		}
		v.Outcome(failureReasons(t, r)...)
	})
}

// tamperCase is a vector of tamper.txt.
type tamperCase struct {
	name, comment string
	ops           []string
	want          []string // the failures
}

// finder finds records of the golden record by type and by author.
type finder []*bulletin.Record

// nth returns the position of the n-th (from 0) record of type typ.
func (f finder) nth(t testing.TB, typ string, n int) int {
	t.Helper()
	for i, r := range f {
		if r.Type == typ {
			if n == 0 {
				return i
			}
			n--
		}
	}
	t.Fatalf("the golden record has no %s record #%d", typ, n)
	return 0
}

func generateTamperVectors(t *testing.T, g *golden) []byte {
	w := specvectors.NewWriter(`The tamper set of the golden election record: docs/spec/vectors.md §4.
Format: docs/spec/vectors.md. Runner: TestGoldenTamper (verifier);
regenerate with
  go test ./verifier -run TestGoldenTamper -update
Each vector applies its operations (op, repeated, in order) to the records
of record.jsonl (0-based positions; a position counts the records as the
earlier operations left them) and verifies the result with board.vkey
against checkpoint (or the checkpoint resign signed). The verifier must
report exactly the failures listed, ordered by record index and then by
step number: one "expect: reject <step> <record index> <code>" line per
failure and record, "-" for no code, -1 for no record (docs/spec/verifier.md
§2, §3).

Operations:
  delete I             remove the record at I
  swap I J             exchange the records at I and J
  move I J             remove the record at I, then insert it at J
  copy I J             insert a copy of the record at I at J
  truncate N           keep the first N records
  xor I F O M          XOR byte O of field F (sig, author or prev) of
                       record I with the byte M (hex)
  time I D             add D milliseconds to the time of record I
  payload-xor I P O M  in record I's payload, the value at the JSON pointer P
                       (RFC 6901) is a base64 string: XOR byte O of its bytes
                       with M and write it back in base64; every other byte of
                       the payload stays as it is
  payload-set I P V    replace the value at P in record I's payload by the
                       JSON text V (the rest of the line)
  author I R           make the public key of role R (keys.txt) the author
                       of record I
  resign               what a malicious board does: sign again, with its
                       author's key from keys.txt, every record whose payload
                       or author an earlier operation changed (bulletin.md §2);
                       then renumber every record by its position, set each
                       prev to the leaf hash of the record before (bulletin.md
                       §3), raise any time that precedes the one before to it;
                       and sign a checkpoint of the whole record with the
                       board's note key, which replaces checkpoint
  checkpoint-xor O M   XOR byte O of the Ed25519 signature (after its 4-byte
                       key hash) of the board's signature line of the
                       checkpoint with M`)
	f := finder(newTampering(t, g).recs)
	ballot, partial, result := func(n int) int { return f.nth(t, "ballot", n) }, func(n int) int { return f.nth(t, "partial-decryption", n) }, f.nth(t, "result", 0)
	verdict, phase, challenge := func(n int) int { return f.nth(t, "trustee-verdict", n) }, func(n int) int { return f.nth(t, "phase", n) }, f.nth(t, "challenged-ballot", 0)
	s := newTampering(t, g)
	officialKey, err := s.key("official", nil)
	if err != nil {
		t.Fatal(err)
	}
	official := base64.StdEncoding.EncodeToString(officialKey.Public().(ed25519.PublicKey))
	voterKey, err := s.key("voter-000001", nil)
	if err != nil {
		t.Fatal(err)
	}
	voter := base64.StdEncoding.EncodeToString(voterKey.Public().(ed25519.PublicKey))
	G := base64.StdEncoding.EncodeToString(crypto.NewGeneratorElement().Bytes())
	closing := phase(1)
	cases := []tamperCase{
		{"delete-verdict", "a verdict removed", []string{fmt.Sprintf("delete %d", verdict(1))}, []string{"chain 10 -", "checkpoints 10 -"}},
		{"swap-ballots", "two ballots exchanged", []string{fmt.Sprintf("swap %d %d", ballot(1), ballot(2))}, []string{"chain 16 -", "checkpoints 16 -"}},
		{"copy-ballot", "a ballot inserted again further on", []string{fmt.Sprintf("copy %d %d", ballot(1), ballot(4))}, []string{"chain 19 -", "checkpoints 19 -"}},
		{"verdict-signature", "a byte of a verdict's signature changed", []string{fmt.Sprintf("xor %d sig 5 40", verdict(0))}, []string{"chain 9 bad-signature", "checkpoints 9 -"}},
		{"ballot-proof-byte", "a byte of a ballot's first range proof (z_0) changed, the signature kept", []string{fmt.Sprintf("payload-xor %d /contests/0 136 01", ballot(1))}, []string{"chain 16 bad-signature", "checkpoints 16 -"}},
		{"ballot-time-earlier", "a ballot's time one millisecond earlier: time is not signed but is in the leaf hash", []string{fmt.Sprintf("time %d -1", ballot(2))}, []string{"chain 18 -", "checkpoints 18 -"}},
		{"prev-changed", "a byte of a record's prev changed", []string{fmt.Sprintf("xor %d prev 0 01", ballot(4))}, []string{"chain 19 -", "checkpoints 19 -"}},
		{"truncated", "the result cut off", []string{fmt.Sprintf("truncate %d", result)}, []string{"checkpoints 26 -"}},
		{"checkpoint-signature", "a byte of the checkpoint's signature changed", []string{"checkpoint-xor 10 01"}, []string{"checkpoints -1 -"}},
		{"forged-definition", "the definition names a voter as its official", []string{"payload-set 0 /official " + strconv.Quote(voter), "resign"}, []string{"definition 0 unauthorized"}},
		{"forged-ballot-proof", "a byte of a ballot's first range proof (z_0) changed, then re-signed", []string{fmt.Sprintf("payload-xor %d /contests/0 136 01", ballot(1)), "resign"}, []string{"ballots 16 bad-proof", "ballots 22 stale", "partials 23 bad-proof", "partials 24 bad-proof", "partials 25 bad-proof", "result 26 wrong-phase"}},
		{"forged-ballot-by-official", "a ballot re-cast by the official, with its own key as credential", []string{fmt.Sprintf("author %d official", ballot(2)), fmt.Sprintf("payload-set %d /credential %q", ballot(2), official), "resign"}, []string{"ballots 17 ineligible", "ballots 22 stale", "partials 23 bad-proof", "partials 24 bad-proof", "partials 25 bad-proof", "result 26 wrong-phase"}},
		{"forged-revote-order", "a superseded ballot moved after the ballot that replaced it", []string{fmt.Sprintf("move %d %d", ballot(0), ballot(6)), "resign"}, []string{"ballots 21 wrong-order", "ballots 22 stale"}},
		{"forged-duplicate-ballot", "a ballot posted twice", []string{fmt.Sprintf("copy %d %d", ballot(1), ballot(4)), "resign"}, []string{"ballots 19 duplicate", "ballots 23 stale"}},
		{"forged-challenge-claim", "the challenged ballot's claimed choice changed", []string{fmt.Sprintf("payload-set %d /choices/0 [1,0,0]", challenge), "resign"}, []string{"challenges 14 bad-proof", "ballots 22 stale"}},
		{"forged-partial-share", "an unused partial decryption's first share replaced by G", []string{fmt.Sprintf("payload-set %d /partial/shares/0 %q", partial(2), G), "resign"}, []string{"partials 25 bad-proof"}},
		{"forged-partial-dropped", "the partial decryption of a combined trustee removed", []string{fmt.Sprintf("delete %d", partial(0)), "resign"}, []string{"result 25 bad-proof"}},
		{"forged-result-count", "the first count of the result raised by one", []string{fmt.Sprintf("payload-set %d /tally/counts/0 3", result), "resign"}, []string{"result 26 bad-proof"}},
		{"forged-closing-early", "the closing record moved before the last ballot", []string{fmt.Sprintf("swap %d %d", closing-1, closing), "resign"}, []string{"ballots 21 stale", "ballots 22 wrong-phase", "partials 23 bad-proof", "partials 24 bad-proof", "partials 25 bad-proof", "result 26 wrong-phase"}},
	}
	for _, c := range cases {
		w.Vector(c.name)
		for _, op := range c.ops {
			w.Input("op", op)
		}
		w.Comment(c.comment)
		st := newTampering(t, g)
		for _, op := range c.ops {
			if err := st.apply(op); err != nil {
				t.Fatalf("%s: %s: %v", c.name, op, err)
			}
		}
		export, err := st.export()
		if err != nil {
			t.Fatal(err)
		}
		// The failures are written as the table says, and must be what
		// the verifier reports: the table, not the verifier, is the truth.
		if got := failureReasons(t, verifyGolden(export, st.checkpoint, g.vkey)); strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Fatalf("%s: the verifier reports %q, the table says %q", c.name, got, c.want)
		}
		for _, r := range c.want {
			w.Reject(r)
		}
	}
	return w.Bytes()
}
