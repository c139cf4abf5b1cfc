package replica

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/witness"
)

// Operator is one operator of a network as the others know it
// (docs/spec/replicated-board.md §6, §8): its name, which is its board's
// origin and its cosignature key's name, the verifier key of its board's
// checkpoints, the verifier key of its cosignatures, if known, the base
// URL of its board, and, for an operator that evote network join set up on
// its own machine, its CometBFT identity (Peer). Every part is public: an
// operator publishes its own entry (its operator.json) for the others.
type Operator struct {
	Name      string `json:"name"`
	BoardKey  string `json:"board_key"`
	CosignKey string `json:"cosign_key"`
	// URL, if set, is where the operator's board is served (evote network
	// init --url): the other operators gather its cosignatures there
	// (PeerURLs), and the definition gives it as the operator's url hint
	// (DefinitionOperators). It is an address only: what is read there is
	// checked under the operator's keys.
	URL string `json:"url,omitempty"`
	Peer
}

// OperatorsFile is the file, in the network's directory and in each
// operator's home, that lists the network's operators (ReadOperators).
const OperatorsFile = "operators.json"

// ReadOperators reads a list of operators (OperatorsFile) and checks it
// (CheckOperators). A list written before operators had URLs or peers
// reads as one without them.
func ReadOperators(path string) ([]Operator, error) {
	var ops []Operator
	if err := readStrictJSON(path, &ops); err != nil {
		return nil, fmt.Errorf("replica: reading the operators: %w", err)
	}
	if err := CheckOperators(ops); err != nil {
		return nil, fmt.Errorf("replica: %s: %w", path, err)
	}
	return ops, nil
}

// ReadOperator reads one operator's public entry (an object of
// OperatorsFile's list, the operator.json that evote network join writes)
// and checks it alone (CheckOperators).
func ReadOperator(path string) (Operator, error) {
	var op Operator
	if err := readStrictJSON(path, &op); err != nil {
		return op, fmt.Errorf("replica: reading the operator: %w", err)
	}
	if err := CheckOperators([]Operator{op}); err != nil {
		return op, fmt.Errorf("replica: %s: %w", path, err)
	}
	return op, nil
}

// readStrictJSON decodes the JSON file at path into v, refusing unknown
// members.
func readStrictJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// CheckOperators checks a list of operators: each one's board key and
// cosignature key are of its name; its URL, if given, is the base URL of
// a board (ballot.ValidBoardURL); its Peer, if given, is whole and well
// formed (Peer.check); and no two operators share a name, a key, a URL,
// a node ID or a p2p address. Its errors name the operators at fault, by
// position (from 1) and name.
func CheckOperators(ops []Operator) error {
	type member struct{ name, value string }
	type holder struct {
		member string // the JSON name of the member
		op     int    // the operator that has it first
	}
	seen := map[string]holder{}
	for i, op := range ops {
		if v, err := note.NewVerifier(op.BoardKey); err != nil || v.Name() != op.Name {
			return fmt.Errorf("operator %d (%q): board_key is not a board key of that name", i+1, op.Name)
		}
		if _, err := (&ballot.Operator{Name: op.Name, Key: op.CosignKey}).Verifier(); err != nil || !strings.HasPrefix(op.CosignKey, op.Name+"+") {
			return fmt.Errorf("operator %d (%q): cosign_key is not a cosignature key of that name", i+1, op.Name)
		}
		if op.URL != "" && !ballot.ValidBoardURL(op.URL) {
			return fmt.Errorf("operator %d (%q): url %q is not the base URL of a board (http:// or https://, a host, no query, fragment or trailing slash)", i+1, op.Name, op.URL)
		}
		if op.Peer != (Peer{}) {
			if err := op.Peer.check(); err != nil {
				return fmt.Errorf("operator %d (%q): %w", i+1, op.Name, err)
			}
		}
		for _, m := range []member{{"name", op.Name}, {"board_key", op.BoardKey}, {"cosign_key", op.CosignKey}, {"url", op.URL}, {"validator_key", op.ValidatorKey}, {"node_id", op.NodeID}, {"p2p", op.P2P}} {
			if m.value == "" {
				continue
			}
			if f, ok := seen[m.value]; ok {
				return fmt.Errorf("operator %d (%q) has the %s of operator %d (%q): %q", i+1, op.Name, f.member, f.op+1, ops[f.op].Name, m.value)
			}
			seen[m.value] = holder{m.name, i}
		}
	}
	return nil
}

// PeerURLs returns the board URLs of the operators of ops other than the
// one named self, by name, for those whose URL is known: the peers an
// operator gathers cosignatures from (OperatorWitnesses) when it is not
// told them otherwise.
func PeerURLs(ops []Operator, self string) map[string]string {
	urls := map[string]string{}
	for _, op := range ops {
		if op.Name != self && op.URL != "" {
			urls[op.Name] = op.URL
		}
	}
	return urls
}

// DefinitionOperators returns the operators as an election definition
// names them (ballot.Manifest.Operators): name, cosignature key and board
// key, and as the url hint of each the URL of its board in urls (by name)
// or else its own URL, if any.
func DefinitionOperators(ops []Operator, urls map[string]string) []ballot.Operator {
	out := make([]ballot.Operator, len(ops))
	for i, op := range ops {
		out[i] = ballot.Operator{Name: op.Name, Key: op.CosignKey, BoardKey: op.BoardKey, URL: cmp.Or(urls[op.Name], op.URL)}
	}
	return out
}

// OperatorWitnesses returns the network's operators ops as the witness
// collector (package bulletin/witness) of the operator whose cosigner is c
// asks them: each other operator at its URL in urls (by name; one without
// a URL is left out), c's own operator in-process (Cosigner.RoundTrip);
// and their quorum, more than two thirds of ops
// (ballot.OperatorQuorum), which the operators left out cannot help make.
func OperatorWitnesses(c *Cosigner, ops []Operator, urls map[string]string) ([]witness.Witness, witness.Quorum, error) {
	q := witness.Quorum{N: ballot.OperatorQuorum(len(ops))}
	var ws []witness.Witness
	self := false
	for _, op := range ops {
		v, err := fnote.NewVerifierForCosignatureV1(op.CosignKey)
		if err != nil {
			return nil, q, fmt.Errorf("replica: the cosignature key of operator %q: %w", op.Name, err)
		}
		w := witness.Witness{URL: urls[op.Name], Verifier: v}
		switch {
		case op.Name == c.Name():
			w.URL, w.Client, self = "operator:"+op.Name, &http.Client{Transport: c, Timeout: 2 * c.wait}, true
		case w.URL == "":
			continue
		}
		ws = append(ws, w)
		q.Names = append(q.Names, op.Name)
	}
	switch {
	case !self:
		return nil, q, fmt.Errorf("replica: the cosigner %q is not one of the network's operators", c.Name())
	case len(ws) < q.N:
		return nil, q, fmt.Errorf("replica: the URLs of %d operators are known, of the %d whose cosignatures a checkpoint needs (more than two thirds of %d)", len(ws), q.N, len(ops))
	}
	for name := range urls {
		if !slices.Contains(q.Names, name) {
			return nil, q, fmt.Errorf("replica: %q is not another operator of the network", name)
		}
	}
	return ws, q, nil
}

// Cosigner cosigns checkpoints for an operator (docs/spec/replicated-board.md
// §8): it answers the c2sp.org/tlog-witness add-checkpoint request, so that
// the other operators' witness collectors (package bulletin/witness) gather
// its cosignature as they gather a witness's, and cosigns a checkpoint of
// any operator of the network only if it is the tree its own log
// committed at that size. Unlike a witness it keeps no state: its own log
// is the whole history, so it ignores the request's old size and
// consistency proof, and never answers 409.
type Cosigner struct {
	log    *bulletin.Log
	signer note.Signer
	boards note.Verifiers // the operators' board keys, by origin
	// wait bounds how long a request for a tree the log has not reached
	// waits for it.
	wait time.Duration

	// tamper, if set, changes the checkpoint before it is cosigned: tests
	// use it to play an operator that cosigns another tree.
	tamper func(*bulletin.Checkpoint)
}

// NewCosigner returns the cosigner of an operator whose log is l, with the
// cosignature signer key skey (a note signer key; the cosignature is
// c2sp.org/tlog-cosignature's, type 0x04), for the network of operators
// ops.
func NewCosigner(l *bulletin.Log, skey string, ops []Operator) (*Cosigner, error) {
	signer, err := fnote.NewSignerForCosignatureV1(skey)
	if err != nil {
		return nil, fmt.Errorf("replica: the cosignature key: %w", err)
	}
	var boards []note.Verifier
	for _, op := range ops {
		v, err := note.NewVerifier(op.BoardKey)
		if err != nil {
			return nil, fmt.Errorf("replica: the board key of operator %q: %w", op.Name, err)
		}
		boards = append(boards, v)
	}
	return &Cosigner{log: l, signer: signer, boards: note.VerifierList(boards...), wait: 5 * time.Second}, nil
}

// Name returns the cosigner's name.
func (c *Cosigner) Name() string { return c.signer.Name() }

// cosignError is a refusal with its HTTP status.
type cosignError struct {
	status int
	msg    string
}

func (e *cosignError) Error() string { return e.msg }

// Cosign checks an add-checkpoint request body (c2sp.org/tlog-witness:
// "old N", proof lines, an empty line, the signed checkpoint) and returns
// the operator's cosignature line of its checkpoint. The checkpoint must
// be signed by the board key of an operator of the network, for its own
// origin (else 403, or 404 for an unknown origin), and its tree must be the
// one the operator's log committed at that size (else 422); a size the log
// has not reached yet is awaited, up to a few seconds (else 503).
func (c *Cosigner) Cosign(ctx context.Context, body []byte) ([]byte, error) {
	r := bufio.NewReader(bytes.NewReader(body))
	first, err := r.ReadString('\n')
	if old, ok := strings.CutPrefix(first, "old "); err != nil || !ok || !validSize(strings.TrimSuffix(old, "\n")) {
		return nil, &cosignError{http.StatusBadRequest, "the request does not start with \"old <size>\""}
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, &cosignError{http.StatusBadRequest, "the request has no empty line before its checkpoint"}
		}
		if line == "\n" {
			break
		}
	}
	signed, _ := io.ReadAll(r)
	cp, n, err := bulletin.OpenCheckpoint(signed, c.boards)
	var unverified *note.UnverifiedNoteError
	switch {
	case errors.As(err, &unverified):
		return nil, &cosignError{http.StatusNotFound, "the checkpoint is not signed by the board key of an operator of this network"}
	case err != nil:
		return nil, &cosignError{http.StatusForbidden, err.Error()}
	case n.Sigs[0].Name != cp.Origin:
		return nil, &cosignError{http.StatusForbidden, fmt.Sprintf("the checkpoint of %q is signed by the board key of operator %q", cp.Origin, n.Sigs[0].Name)}
	}
	if err := c.await(ctx, cp.Size); err != nil {
		return nil, err
	}
	own, err := c.log.TreeHash(cp.Size)
	if err != nil {
		return nil, &cosignError{http.StatusServiceUnavailable, err.Error()}
	}
	if own != cp.Hash {
		return nil, &cosignError{http.StatusUnprocessableEntity, fmt.Sprintf("the checkpoint of %q of %d records is not the tree this operator committed at that size", cp.Origin, cp.Size)}
	}
	if c.tamper != nil {
		c.tamper(&cp)
	}
	cosigned, err := note.Sign(&note.Note{Text: string(cp.Text())}, c.signer)
	if err != nil {
		return nil, fmt.Errorf("replica: cosigning: %w", err)
	}
	return cosigned[len(cp.Text())+1:], nil
}

// await waits until the log has size records, for at most c.wait.
func (c *Cosigner) await(ctx context.Context, size int64) error {
	timeout := time.NewTimer(c.wait)
	defer timeout.Stop()
	for {
		changed := c.log.Changed()
		if c.log.Size() >= size {
			return nil
		}
		select {
		case <-changed:
		case <-c.log.Done():
			return &cosignError{http.StatusServiceUnavailable, "the operator is stopping"}
		case <-ctx.Done():
			return ctx.Err()
		case <-timeout.C:
			return &cosignError{http.StatusServiceUnavailable, fmt.Sprintf("this operator has committed %d records, not yet %d", c.log.Size(), size)}
		}
	}
}

// maxCosignRequest bounds an add-checkpoint request's body: a checkpoint
// with its signatures and a consistency proof.
const maxCosignRequest = 64 << 10

func validSize(s string) bool {
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && n >= 0 && strconv.FormatInt(n, 10) == s
}

// ServeHTTP answers POST add-checkpoint (Cosign): 200 with the
// cosignature line, or the refusal's status with its reason.
func (c *Cosigner) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCosignRequest))
	if err != nil {
		http.Error(w, "the request is too large", http.StatusRequestEntityTooLarge)
		return
	}
	status, answer := c.answer(r.Context(), body)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	w.Write(answer)
}

// answer returns the HTTP status and body of the answer to body.
func (c *Cosigner) answer(ctx context.Context, body []byte) (int, []byte) {
	line, err := c.Cosign(ctx, body)
	var ce *cosignError
	switch {
	case err == nil:
		return http.StatusOK, line
	case errors.As(err, &ce):
		return ce.status, []byte(ce.msg + "\n")
	default:
		return http.StatusServiceUnavailable, []byte(err.Error() + "\n")
	}
}

// RoundTrip answers an add-checkpoint request in-process, as ServeHTTP
// would: the transport of the HTTP client with which an operator's own
// witness collector asks its own cosigner, so that one collector gathers
// every operator's cosignature, its own included, the same way.
func (c *Cosigner) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(io.LimitReader(req.Body, maxCosignRequest))
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	status, answer := c.answer(req.Context(), body)
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", status, http.StatusText(status)),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"text/plain; charset=utf-8"}},
		Body:          io.NopCloser(bytes.NewReader(answer)),
		ContentLength: int64(len(answer)),
		Request:       req,
	}, nil
}
