// Package client is a typed Go client for the bulletin board HTTP API and
// websocket feed (docs/spec/bulletin.md §8).
//
// The client trusts nothing the board says without checking it: every
// checkpoint's signature is verified with the board's note verifier key, every
// checkpoint it sees is proven consistent with the previous ones (a board
// showing two histories yields an *ErrInconsistency holding both signed
// checkpoints, which is evidence for anyone), receipts are verified, and the
// feed's records are checked for order, hash chain and signatures.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin"
)

// maxResponse bounds the size of a response body the client reads.
const maxResponse = 64 << 20

// Fetcher fetches a path (with query) relative to the board's base URL and
// returns the body of a 200 response. HTTPFetcher is the usual one; tests
// and mirrors may supply their own.
type Fetcher func(ctx context.Context, path string) ([]byte, error)

// HTTPError is a non-success HTTP response. For rejections of a submission
// it unwraps to a *bulletin.RejectError, so errors.As finds the code.
type HTTPError struct {
	Status     int
	Code       string
	Message    string
	RetryAfter time.Duration // from the Retry-After header, if any
}

// Error implements error.
func (e *HTTPError) Error() string {
	return fmt.Sprintf("board: HTTP %d (%s): %s", e.Status, e.Code, e.Message)
}

// Unwrap returns the rejection carried by a 400, 403, 409, 413 or 422 response.
func (e *HTTPError) Unwrap() error {
	switch e.Status {
	case 400, 403, 409, 413, 422:
		if e.Code != "" && e.Code != "bad-request" {
			return &bulletin.RejectError{Code: e.Code, Reason: e.Message, Status: e.Status}
		}
	}
	return nil
}

// ErrInconsistency reports two checkpoints signed by the board that cannot
// be proven consistent: the board has shown two different histories.
type ErrInconsistency struct {
	Old, New bulletin.SignedCheckpoint
	Err      error // why the proof failed
}

// Error implements error.
func (e *ErrInconsistency) Error() string {
	return fmt.Sprintf("board: checkpoints of sizes %d and %d are inconsistent: %v", e.Old.Size, e.New.Size, e.Err)
}

// Unwrap returns why the consistency proof failed.
func (e *ErrInconsistency) Unwrap() error { return e.Err }

// DialTimeout bounds how long a Client with the default HTTP client waits
// for a connection to its board. An operator whose machine is down or
// whose link is cut answers no attempt to connect, and waiting for one
// longer than a few round trips (and the retransmissions of a lossy link)
// only delays falling over to another operator (Boards); a board that
// runs but is slow to answer is given the whole attempt's time to answer.
const DialTimeout = 5 * time.Second

// defaultHTTPClient is the HTTP client of a Client given none: Go's
// default transport (proxies from the environment, HTTP/2, keep-alives),
// connecting within DialTimeout.
var defaultHTTPClient = func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: DialTimeout, KeepAlive: 30 * time.Second}).DialContext
	return &http.Client{Transport: t}
}()

// Client talks to one board. It is safe for concurrent use.
type Client struct {
	base     *url.URL
	http     *http.Client
	fetch    Fetcher
	vkey     string
	verifier note.Verifiers
	origin   string

	mu     sync.Mutex
	latest *bulletin.SignedCheckpoint // largest verified checkpoint seen
}

// Options configures a Client.
type Options struct {
	// HTTPClient is used for all requests; if nil, one with Go's default
	// transport that gives up connecting after DialTimeout.
	HTTPClient *http.Client
	// Origin is the checkpoint origin the board must use; the name of its
	// key if empty, as C2SP tlog-checkpoint recommends and boards do.
	Origin string
	// Fetcher replaces HTTP GETs (the websocket feed still dials BaseURL).
	Fetcher Fetcher
}

// New returns a client for the board at baseURL (for example
// "http://127.0.0.1:8080") whose checkpoints are signed by vkey (in
// note.NewVerifier format).
func New(baseURL, vkey string, opts *Options) (*Client, error) {
	u, err := url.Parse(strings.TrimSuffix(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("board: base URL %q is not an http(s) URL", baseURL)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("board: verifier key: %w", err)
	}
	if opts == nil {
		opts = &Options{}
	}
	c := &Client{base: u, http: opts.HTTPClient, vkey: vkey, verifier: note.VerifierList(v), origin: opts.Origin}
	if c.origin == "" {
		c.origin = v.Name()
	}
	if c.http == nil {
		c.http = defaultHTTPClient
	}
	c.fetch = opts.Fetcher
	if c.fetch == nil {
		c.fetch = HTTPFetcher(u.String(), c.http)
	}
	return c, nil
}

// Key returns the board's checkpoint verifier key the client checks
// checkpoints with.
func (c *Client) Key() string { return c.vkey }

// URL returns the board's base URL.
func (c *Client) URL() string { return c.base.String() }

// HTTPFetcher returns a Fetcher that GETs baseURL+path with hc.
func HTTPFetcher(baseURL string, hc *http.Client) Fetcher {
	return func(ctx context.Context, path string) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", baseURL+path, nil)
		if err != nil {
			return nil, fmt.Errorf("board: GET %s: %w", path, err)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("board: GET %s: %w", path, err)
		}
		defer resp.Body.Close()
		return readResponse(resp, http.StatusOK)
	}
}

func readResponse(resp *http.Response, want int) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("board: reading response: %w", err)
	}
	if resp.StatusCode == want {
		return body, nil
	}
	e := &HTTPError{Status: resp.StatusCode}
	var er bulletin.ErrorResponse
	if json.Unmarshal(body, &er) == nil && er.Code != "" {
		e.Code, e.Message = er.Code, er.Error
	} else {
		e.Message = strings.TrimSpace(string(body))
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	return nil, e
}

// Post submits sub and returns the appended record and its verified receipt.
// It checks that the record is the submission, that the receipt is signed by
// the board, proves the record's inclusion, and is consistent with every
// checkpoint seen before.
func (c *Client) Post(ctx context.Context, sub *bulletin.Submission) (*bulletin.Record, *bulletin.Receipt, error) {
	p, err := c.Submit(ctx, sub)
	if err != nil {
		return nil, nil, err
	}
	return p.Record, p.Receipt, nil
}

// Posted is what the board answered to a submission.
type Posted struct {
	Record  *bulletin.Record
	Receipt *bulletin.Receipt
	// Notice is the board's sentence about what the record changed, such as
	// the earlier ballot it supersedes; often empty.
	Notice string
}

// Submit is Post, also returning the board's notice.
func (c *Client) Submit(ctx context.Context, sub *bulletin.Submission) (*Posted, error) {
	body, err := sub.MarshalJSON()
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", c.base.String()+"/records", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("board: POST /records: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("board: POST /records: %w", err)
	}
	defer resp.Body.Close()
	data, err := readResponse(resp, http.StatusCreated)
	if err != nil {
		return nil, err
	}
	var ar bulletin.AppendResponse
	if err := json.Unmarshal(data, &ar); err != nil {
		return nil, fmt.Errorf("board: POST /records: decoding response: %w", err)
	}
	rec, err := bulletin.ParseRecord(ar.Record)
	if err != nil {
		return nil, fmt.Errorf("board: POST /records: %w", err)
	}
	if !sub.Holds(rec) {
		return nil, fmt.Errorf("board: POST /records: record %d is not the submission posted", rec.Index)
	}
	receipt, err := bulletin.ParseReceipt([]byte(ar.Receipt))
	if err != nil {
		return nil, fmt.Errorf("board: POST /records: %w", err)
	}
	if err := c.checkReceipt(ctx, rec, receipt); err != nil {
		return nil, fmt.Errorf("board: POST /records: %w", err)
	}
	return &Posted{Record: rec, Receipt: receipt, Notice: ar.Notice}, nil
}

// checkReceipt checks that receipt is rec's, signed by the board, proves
// rec's inclusion in the tree its checkpoint signs, and that this
// checkpoint is consistent with every checkpoint seen before.
func (c *Client) checkReceipt(ctx context.Context, rec *bulletin.Record, receipt *bulletin.Receipt) error {
	if !receipt.Matches(rec) {
		return fmt.Errorf("receipt is for another record than %d", rec.Index)
	}
	cp, n, err := bulletin.OpenCheckpoint(receipt.Checkpoint, c.verifier)
	if err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	if err := bulletin.CheckInclusion(receipt.Proof, receipt.Index, cp.Size, receipt.LeafHash, cp.Hash); err != nil {
		return fmt.Errorf("receipt: %w", err)
	}
	return c.observe(ctx, bulletin.SignedCheckpoint{Checkpoint: cp, Note: receipt.Checkpoint}, n)
}

// Locate makes the receipt of sub from the board's records, when the
// board refused it as a duplicate of record index (bulletin.DuplicateOf):
// record index must be sub, and the board's latest checkpoint must sign a
// tree that includes it. It returns the record and its receipt, checked
// as Submit checks them, so that posting a submission again (after a lost
// answer, or to another operator of a replicated board) ends with the
// same receipt as a first post.
func (c *Client) Locate(ctx context.Context, sub *bulletin.Submission, index int64) (*Posted, error) {
	rec, err := c.Record(ctx, index)
	if err != nil {
		return nil, err
	}
	if !sub.Holds(rec) {
		return nil, fmt.Errorf("board: says it holds the submission as record %d, but record %d is another", index, index)
	}
	cp, err := c.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	if cp.Size <= index {
		return nil, fmt.Errorf("board: record %d is not yet in a signed checkpoint (of %d records)", index, cp.Size)
	}
	proof, err := c.InclusionProof(ctx, index, cp.Size)
	if err != nil {
		return nil, err
	}
	receipt := &bulletin.Receipt{Index: index, LeafHash: rec.LeafHash(), Checkpoint: cp.Note, Proof: proof}
	if err := c.checkReceipt(ctx, rec, receipt); err != nil {
		return nil, fmt.Errorf("board: record %d: %w", index, err)
	}
	return &Posted{Record: rec, Receipt: receipt}, nil
}

// Record returns record i.
func (c *Client) Record(ctx context.Context, i int64) (*bulletin.Record, error) {
	data, err := c.fetch(ctx, "/records/"+strconv.FormatInt(i, 10))
	if err != nil {
		return nil, err
	}
	rec, err := bulletin.ParseRecord(bytes.TrimSuffix(data, []byte("\n")))
	if err != nil {
		return nil, fmt.Errorf("board: record %d: %w", i, err)
	}
	if rec.Index != uint64(i) {
		return nil, fmt.Errorf("board: asked for record %d, got %d", i, rec.Index)
	}
	return rec, nil
}

// Records returns records from start up to end (exclusive); the board may
// return fewer (one page), but at least one if start < its size.
func (c *Client) Records(ctx context.Context, start, end int64) ([]*bulletin.Record, error) {
	data, err := c.fetch(ctx, fmt.Sprintf("/records?start=%d&end=%d", start, end))
	if err != nil {
		return nil, err
	}
	var recs []*bulletin.Record
	for len(data) > 0 {
		line, rest, ok := bytes.Cut(data, []byte("\n"))
		if !ok {
			return nil, errors.New("board: records response does not end in a newline")
		}
		rec, err := bulletin.ParseRecord(line)
		if err != nil {
			return nil, fmt.Errorf("board: records: %w", err)
		}
		if want := start + int64(len(recs)); rec.Index != uint64(want) {
			return nil, fmt.Errorf("board: records: got index %d, want %d", rec.Index, want)
		}
		recs = append(recs, rec)
		data = rest
	}
	if int64(len(recs)) > end-start {
		return nil, fmt.Errorf("board: records: asked for %d, got %d", end-start, len(recs))
	}
	return recs, nil
}

// Checkpoint fetches the board's latest checkpoint, verifies its signature
// and its consistency with every checkpoint this client saw before.
func (c *Client) Checkpoint(ctx context.Context) (bulletin.SignedCheckpoint, error) {
	data, err := c.fetch(ctx, "/checkpoint")
	if err != nil {
		return bulletin.SignedCheckpoint{}, err
	}
	return c.VerifyCheckpoint(ctx, data)
}

// VerifyCheckpoint verifies a signed checkpoint obtained elsewhere (a feed, a
// witness, another voter) like Checkpoint does.
func (c *Client) VerifyCheckpoint(ctx context.Context, signed []byte) (bulletin.SignedCheckpoint, error) {
	cp, n, err := bulletin.OpenCheckpoint(signed, c.verifier)
	if err != nil {
		return bulletin.SignedCheckpoint{}, fmt.Errorf("board: %w", err)
	}
	sc := bulletin.SignedCheckpoint{Checkpoint: cp, Note: bytes.Clone(signed)}
	if err := c.observe(ctx, sc, n); err != nil {
		return bulletin.SignedCheckpoint{}, err
	}
	return sc, nil
}

// Latest returns the largest verified checkpoint seen so far, if any.
func (c *Client) Latest() (bulletin.SignedCheckpoint, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.latest == nil {
		return bulletin.SignedCheckpoint{}, false
	}
	return *c.latest, true
}

// observe checks a verified checkpoint against the largest one seen and
// keeps the larger.
func (c *Client) observe(ctx context.Context, cp bulletin.SignedCheckpoint, _ *note.Note) error {
	if c.origin != "" && cp.Origin != c.origin {
		return fmt.Errorf("board: checkpoint origin %q, want %q", cp.Origin, c.origin)
	}
	c.mu.Lock()
	latest := c.latest
	c.mu.Unlock()
	if latest == nil {
		c.mu.Lock()
		if c.latest == nil {
			c.latest = &cp
			c.mu.Unlock()
			return nil
		}
		latest = c.latest
		c.mu.Unlock()
	}
	if cp.Origin != latest.Origin {
		return &ErrInconsistency{Old: *latest, New: cp, Err: fmt.Errorf("origin %q differs from %q", cp.Origin, latest.Origin)}
	}
	old, newer := *latest, cp
	if newer.Size < old.Size {
		old, newer = newer, old
	}
	if err := c.checkConsistent(ctx, old, newer); err != nil {
		return err
	}
	c.mu.Lock()
	if c.latest == nil || cp.Size > c.latest.Size {
		c.latest = &cp
	}
	c.mu.Unlock()
	return nil
}

func (c *Client) checkConsistent(ctx context.Context, old, newer bulletin.SignedCheckpoint) error {
	switch {
	case old.Size == newer.Size:
		if old.Hash != newer.Hash {
			return &ErrInconsistency{Old: old, New: newer, Err: errors.New("same size, different root hashes")}
		}
		return nil
	case old.Size == 0:
		empty, _ := tlog.TreeHash(0, nil)
		if old.Hash != empty {
			return &ErrInconsistency{Old: old, New: newer, Err: errors.New("empty tree with a non-empty root hash")}
		}
		return nil
	}
	proof, err := c.ConsistencyProof(ctx, old.Size, newer.Size)
	if err != nil {
		var he *HTTPError
		if errors.As(err, &he) && he.Status == http.StatusNotFound {
			// The board signed newer.Size but cannot prove it: evidence.
			return &ErrInconsistency{Old: old, New: newer, Err: err}
		}
		return fmt.Errorf("board: checking consistency of checkpoints %d and %d: %w", old.Size, newer.Size, err)
	}
	if err := bulletin.CheckConsistency(proof, old.Size, old.Hash, newer.Size, newer.Hash); err != nil {
		return &ErrInconsistency{Old: old, New: newer, Err: err}
	}
	return nil
}

// InclusionProof fetches the proof that record index is in the tree of the given size.
func (c *Client) InclusionProof(ctx context.Context, index, size int64) (tlog.RecordProof, error) {
	data, err := c.fetch(ctx, fmt.Sprintf("/proof/inclusion?index=%d&size=%d", index, size))
	if err != nil {
		return nil, err
	}
	var r bulletin.InclusionProofResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("board: decoding inclusion proof: %w", err)
	}
	if r.Index != index || r.Size != size {
		return nil, fmt.Errorf("board: asked for inclusion of %d in %d, got %d in %d", index, size, r.Index, r.Size)
	}
	return r.Proof, nil
}

// ConsistencyProof fetches the proof that the tree of size old is a prefix of the tree of size new.
func (c *Client) ConsistencyProof(ctx context.Context, old, new int64) (tlog.TreeProof, error) {
	data, err := c.fetch(ctx, fmt.Sprintf("/proof/consistency?old=%d&new=%d", old, new))
	if err != nil {
		return nil, err
	}
	var r bulletin.ConsistencyProofResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("board: decoding consistency proof: %w", err)
	}
	if r.Old != old || r.New != new {
		return nil, fmt.Errorf("board: asked for consistency of %d with %d, got %d with %d", old, new, r.Old, r.New)
	}
	return r.Proof, nil
}

// VerifyInclusion checks that rec is in the tree of the verified checkpoint
// cp, fetching the proof from the board.
func (c *Client) VerifyInclusion(ctx context.Context, rec *bulletin.Record, cp bulletin.SignedCheckpoint) error {
	p, err := c.InclusionProof(ctx, int64(rec.Index), cp.Size)
	if err != nil {
		return err
	}
	return bulletin.CheckInclusion(p, int64(rec.Index), cp.Size, rec.LeafHash(), cp.Hash)
}

// Health returns the board's health report.
func (c *Client) Health(ctx context.Context) (*bulletin.HealthResponse, error) {
	data, err := c.fetch(ctx, "/healthz")
	if err != nil {
		return nil, err
	}
	var h bulletin.HealthResponse
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, fmt.Errorf("board: decoding health: %w", err)
	}
	return &h, nil
}
