package replica

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/bulletin/server"
	"github.com/evote/evote/bulletin/witness"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/follow"
	"github.com/evote/evote/verifier"
)

// cosigningNetwork gives each operator of a network its cosignature key,
// its cosigner served over HTTP, and a witness collector that gathers the
// operators' cosignatures of its checkpoints, as evote board serve
// --network does.
type cosigningNetwork struct {
	ops        []Operator
	cosigners  []*Cosigner
	servers    []*httptest.Server
	collectors []*witness.Collector
}

// cosign starts the cosigners and collectors of nw's running operators;
// tamper, if not nil, is operator byzantine's cosigner's hook.
func cosign(t *testing.T, nw *network, byzantine int, tamper func(*bulletin.Checkpoint)) *cosigningNetwork {
	t.Helper()
	cn := &cosigningNetwork{}
	skeys := make([]string, len(nw.homes))
	for i := range nw.homes {
		skey, vkey, err := note.GenerateKey(rand.Reader, nw.signers[i].Name())
		must(t, err)
		ckey, err := fnote.VKeyToCosignatureV1(vkey)
		must(t, err)
		skeys[i] = skey
		cn.ops = append(cn.ops, Operator{Name: nw.signers[i].Name(), BoardKey: nw.vkeys[i], CosignKey: ckey})
	}
	urls := map[string]string{}
	for i := range nw.homes {
		c, err := NewCosigner(nw.node(i).Log, skeys[i], cn.ops)
		must(t, err)
		if i == byzantine {
			c.tamper = tamper
		}
		mux := http.NewServeMux()
		mux.Handle("POST /add-checkpoint", c)
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		cn.cosigners, cn.servers = append(cn.cosigners, c), append(cn.servers, srv)
		urls[cn.ops[i].Name] = srv.URL
	}
	for i, c := range cn.cosigners {
		peers := map[string]string{}
		for name, u := range urls {
			if name != c.Name() {
				peers[name] = u
			}
		}
		ws, q, err := OperatorWitnesses(c, cn.ops, peers)
		must(t, err)
		col := witness.New(nw.node(i).Log, ws, witness.Options{Quorums: []witness.Quorum{q}, MaxBackoff: 500 * time.Millisecond,
			Logger: slog.New(slog.NewTextHandler(&nw.logs, &slog.HandlerOptions{Level: slog.LevelWarn})).With("collector", i+1)})
		go col.Run(t.Context())
		cn.collectors = append(cn.collectors, col)
	}
	return cn
}

// waitCosigned waits until operator op's collector has a checkpoint of at
// least size records with its quorum, and returns it.
func (cn *cosigningNetwork) waitCosigned(t *testing.T, op int, size int64) *bulletin.SignedCheckpoint {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		if cp := cn.collectors[op].Checkpoint(); cp != nil && cp.Size >= size {
			return cp
		}
		if time.Now().After(deadline) {
			t.Fatalf("operator %d has no checkpoint of %d records cosigned by a quorum after %v: %+v", op+1, size, waitFor, cn.collectors[op].Status())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// addCheckpoint sends signed to operator op's cosigner, as a collector
// does, and returns its answer.
func (cn *cosigningNetwork) addCheckpoint(t *testing.T, op int, signed []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(cn.servers[op].URL+"/add-checkpoint", "text/plain", bytes.NewReader(append([]byte("old 0\n\n"), signed...)))
	must(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp.StatusCode, body
}

// TestByzantineCosigner: four operators cosign each other's checkpoints;
// the fourth cosigns a checkpoint of another tree each time it is asked.
// The election's definition names the four operators, so every checkpoint
// needs three of them. The honest operators' collectors refuse the liar's
// answers and serve checkpoints cosigned by the other three, which pass the
// trust policy; the liar's cosignature, pasted under such a checkpoint, is
// named by the verifier and the checkpoint keeps its quorum; a participant
// refuses a checkpoint short of the quorum, naming the operators missing.
func TestByzantineCosigner(t *testing.T) {
	skipUnderRace(t)
	en := newElectionNetwork(t, nil)
	const byzantine = 3
	cn := cosign(t, en.network, byzantine, func(cp *bulletin.Checkpoint) { cp.Hash[0] ^= 1 })
	operators := DefinitionOperators(cn.ops, nil)
	e := en.runElection(electionPlan{voters: 6, board: &ballot.Board{Origin: cn.ops[0].Name, Key: cn.ops[0].BoardKey}, operators: operators})
	m := e.Manifest
	if len(m.Operators) != 4 || m.OperatorQuorum() != 3 {
		t.Fatalf("the definition names %d operators, quorum %d", len(m.Operators), m.OperatorQuorum())
	}
	exp := en.sameExports(en.size)

	// Operator 1 serves a checkpoint of every record, cosigned by
	// operators 1 to 3: the liar's answers were refused.
	cp := cn.waitCosigned(t, 0, en.size)
	c, err := election.CheckTrust(m, cp.Note, cp.Checkpoint)
	if err != nil {
		t.Fatalf("operator 1's cosigned checkpoint: %v", err)
	}
	slices.Sort(c.Names)
	if want := []string{cn.ops[0].Name, cn.ops[1].Name, cn.ops[2].Name}; !slices.Equal(c.Names, want) || c.Faulty != nil {
		t.Errorf("operator 1's checkpoint is cosigned by %v (faulty %v), want %v", c.Names, c.Faulty, want)
	}
	for _, s := range cn.collectors[0].Status() {
		if s.Name == cn.ops[byzantine].Name && !strings.Contains(s.LastError, "not a valid cosignature") {
			t.Errorf("operator 1's collector reports the liar as %+v, want its answer refused", s)
		}
	}

	// The liar's answer for that checkpoint, pasted under it (as the liar
	// might serve it): named by the verifier, the quorum still holds.
	board, err := bulletin.SignCheckpoint(cp.Checkpoint, en.signers[0])
	must(t, err)
	status, lie := cn.addCheckpoint(t, byzantine, board)
	if status != http.StatusOK {
		t.Fatalf("the liar answered %d: %s", status, lie)
	}
	withLie := append(bytes.Clone(cp.Note), lie...)
	c, err = election.CheckTrust(m, withLie, cp.Checkpoint)
	if err != nil || len(c.Names) != 3 || !slices.Equal(c.Faulty, []string{cn.ops[byzantine].Name}) {
		t.Errorf("CheckTrust(the quorum and the liar's line) = %+v, %v; want the quorum of three and the liar named faulty", c, err)
	}
	r := verifier.Verify(t.Context(), verifier.Export(bytes.NewReader(exp), "op1"), verifier.Options{
		BoardKey: cn.ops[0].BoardKey, Checkpoints: [][]byte{cp.Note, withLie}})
	var text strings.Builder
	r.WriteText(&text)
	if r.OK || len(r.Failures) != 1 || !strings.Contains(r.Failures[0].Reason, "checkpoint 2: the cosignature line of "+cn.ops[byzantine].Name+" does not verify") {
		t.Errorf("the verifier does not name the liar's cosignature alone:\n%s", text.String())
	}
	if len(r.Checkpoints) != 2 || len(r.Checkpoints[1].Cosigners) != 3 || !slices.Equal(r.Checkpoints[1].Faulty, []string{cn.ops[byzantine].Name}) {
		t.Errorf("the verifier's checkpoints: %+v; want the second with its three cosigners and the liar named", r.Checkpoints)
	}
	if !slices.Equal(r.Operators, []string{cn.ops[0].Name, cn.ops[1].Name, cn.ops[2].Name, cn.ops[3].Name}) || r.OperatorQuorum != 3 {
		t.Errorf("the verifier reports operators %v, quorum %d", r.Operators, r.OperatorQuorum)
	}

	// A participant following operator 1's board, or operator 2's,
	// acts on the checkpoint it serves cosigned, and refuses operator 1's
	// uncosigned checkpoint, naming the operators missing.
	for _, tt := range []struct {
		what    string
		op      int
		col     *witness.Collector
		wantErr string
	}{
		{"of operator 1 cosigned by the operators", 0, cn.collectors[0], ""},
		{"of operator 2 cosigned by the operators", 1, cn.collectors[1], ""},
		{"of operator 1 signed by it alone", 0, nil, "not acting on the board's history: the board's checkpoint of " + fmt.Sprint(en.size) +
			" records is not cosigned by a quorum: 0 of the 3 required cosignatures of the operators (missing: " +
			strings.Join([]string{cn.ops[0].Name, cn.ops[1].Name, cn.ops[2].Name, cn.ops[3].Name}, ", ") + ")"},
	} {
		srv := server.New(server.Config{Log: en.node(tt.op).Log, Witnesses: tt.col})
		hs := httptest.NewServer(srv.Handler())
		cl, err := client.New(hs.URL, cn.ops[tt.op].BoardKey, nil)
		must(t, err)
		_, err = follow.New(cl).Sync(t.Context())
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("a participant following the board %s: %v", tt.what, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("a participant following the board %s: %v, want %q", tt.what, err, tt.wantErr)
		}
		hs.Close()
		srv.Close()
	}

	// The same check (the state the follower checks checkpoints with)
	// refuses one cosigned by two operators, naming those missing.
	st := en.trackers[1].State()
	plain := en.node(0).Log.Checkpoint()
	if _, err := st.CheckCheckpoint(plain.Note, plain.Checkpoint); !errors.Is(err, bulletin.ErrNoQuorum) ||
		!strings.Contains(err.Error(), fmt.Sprintf("0 of the 3 required cosignatures of the operators (missing: %s, %s, %s, %s)", cn.ops[0].Name, cn.ops[1].Name, cn.ops[2].Name, cn.ops[3].Name)) {
		t.Errorf("a participant given the board's uncosigned checkpoint: %v", err)
	}
	two := dropLine(t, cp.Note, cn.ops[1].Name)
	if _, err := st.CheckCheckpoint(two, cp.Checkpoint); !errors.Is(err, bulletin.ErrNoQuorum) ||
		!strings.Contains(err.Error(), fmt.Sprintf("2 of the 3 required cosignatures of the operators (missing: %s, %s)", cn.ops[1].Name, cn.ops[3].Name)) {
		t.Errorf("a participant given a checkpoint cosigned by two operators: %v", err)
	}
	if _, err := st.CheckCheckpoint(append(two, lie...), cp.Checkpoint); !errors.Is(err, bulletin.ErrNoQuorum) ||
		!strings.Contains(err.Error(), "the cosignatures of "+cn.ops[byzantine].Name+" do not verify") {
		t.Errorf("a participant given two operators' cosignatures and the liar's: %v", err)
	}
}

// dropLine returns the signed note without the signature lines of name.
func dropLine(t *testing.T, signed []byte, name string) []byte {
	t.Helper()
	var out []byte
	for _, line := range bytes.SplitAfter(signed, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte("— "+name+" ")) || !strings.Contains(string(signed[:bytes.Index(signed, line)]), "\n\n") {
			out = append(out, line...)
		}
	}
	if len(out) == len(signed) {
		t.Fatalf("no signature line of %q", name)
	}
	return out
}

// TestCosignerRefuses: an operator cosigns only a checkpoint of an
// operator of its network, signed by that operator's board key for its own
// origin, of the tree it committed at that size; it waits a moment for a
// size it has not reached, and then refuses too.
func TestCosignerRefuses(t *testing.T) {
	nw := newNetwork(t, 4, func(int) func() bulletin.Policy { return bulletin.NewOpenPolicy }, nil)
	cn := cosign(t, nw, -1, nil)
	for i := range 3 {
		if _, _, err := nw.post(t.Context(), i, bulletin.Sign(testKey("alice"), "note", fmt.Appendf(nil, `{"n":%d}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	nw.waitSize(0, 3)
	nw.waitSize(1, 3)
	cp := nw.node(0).Log.Checkpoint()
	stranger, _, err := note.GenerateKey(rand.Reader, "stranger.example")
	must(t, err)
	strangerSigner, err := note.NewSigner(stranger)
	must(t, err)
	sign := func(c bulletin.Checkpoint, s note.Signer) []byte {
		b, err := bulletin.SignCheckpoint(c, s)
		must(t, err)
		return b
	}
	otherTree := cp.Checkpoint
	otherTree.Hash = sha256.Sum256([]byte("another tree"))
	otherOrigin := cp.Checkpoint
	otherOrigin.Origin = cn.ops[2].Name
	tooLong := cp.Checkpoint
	tooLong.Size += 1000
	for _, tt := range []struct {
		what   string
		body   []byte
		status int
		reason string
	}{
		{"the tree it committed", append([]byte("old 0\n\n"), cp.Note...), http.StatusOK, ""},
		{"another tree", append([]byte("old 0\n\n"), sign(otherTree, nw.signers[0])...), http.StatusUnprocessableEntity, "not the tree this operator committed"},
		{"a stranger's board", append([]byte("old 0\n\n"), sign(cp.Checkpoint, strangerSigner)...), http.StatusNotFound, "not signed by the board key of an operator"},
		{"another operator's origin", append([]byte("old 0\n\n"), sign(otherOrigin, nw.signers[0])...), http.StatusForbidden, "is signed by the board key of operator"},
		{"no old line", cp.Note, http.StatusBadRequest, "old <size>"},
		{"no empty line", []byte("old 0\n"), http.StatusBadRequest, "no empty line"},
		{"a broken board signature", append([]byte("old 0\n\n"), flipLastSigByte(cp.Note)...), http.StatusForbidden, ""},
	} {
		resp, err := http.Post(cn.servers[1].URL+"/add-checkpoint", "text/plain", bytes.NewReader(tt.body))
		must(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.reason) {
			t.Errorf("%s: %d %q, want %d saying %q", tt.what, resp.StatusCode, body, tt.status, tt.reason)
		}
		if tt.status == http.StatusOK {
			policy := bulletin.CosignPolicy{Quorum: 1}
			v, err := fnote.NewVerifierForCosignatureV1(cn.ops[1].CosignKey)
			must(t, err)
			policy.Cosigners = append(policy.Cosigners, v)
			if c, err := policy.Check(append(bytes.Clone(cp.Note), body...)); err != nil || len(c.Names) != 1 {
				t.Errorf("%s: the answer %q is not operator 2's cosignature: %v", tt.what, body, err)
			}
		}
	}
	// A size it has not reached: it waits (here a copy of operator 2's
	// cosigner that waits 50 ms, not to race with the one serving), then
	// refuses.
	slow := *cn.cosigners[1]
	slow.wait = 50 * time.Millisecond
	_, err = slow.Cosign(t.Context(), append([]byte("old 0\n\n"), sign(tooLong, nw.signers[0])...))
	var ce *cosignError
	if !errors.As(err, &ce) || ce.status != http.StatusServiceUnavailable || !strings.Contains(ce.msg, "not yet") {
		t.Errorf("a size it has not reached: %v, want 503 saying \"not yet\"", err)
	}
}

// flipLastSigByte changes a byte of the signed note's last signature.
func flipLastSigByte(signed []byte) []byte {
	b := bytes.Clone(signed)
	b[len(b)-5] ^= 'A' ^ 'B'
	return b
}
