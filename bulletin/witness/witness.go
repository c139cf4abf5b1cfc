// Package witness collects cosignatures of a bulletin board's checkpoints
// from independent witnesses, as a C2SP tlog-witness client
// (https://c2sp.org/tlog-witness, docs/spec/bulletin.md §5.1).
//
// After each new checkpoint, a Collector sends each configured witness the
// add-checkpoint request — the size the witness last cosigned, the
// consistency proof from it, and the checkpoint — and keeps the
// cosignatures it returns. Every witness cosigns the same target
// checkpoint, so that a quorum forms; the newest checkpoint carrying a
// quorum, with every cosignature gathered, is what the board serves at
// /checkpoint. A witness that is down, slow or out of step never blocks
// the board: it is retried with back-off, resynchronised from the size it
// reports (409), and catches up when it returns.
//
// The witnesses themselves are existing implementations (for example
// litewitness from filippo.io/torchwood); evote writes none.
package witness

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/evote/evote/bulletin"
)

// Witness is one witness the board asks for cosignatures.
type Witness struct {
	// URL is its submission prefix: add-checkpoint is POSTed to
	// URL + "/add-checkpoint".
	URL string
	// Verifier checks its cosignatures; its name is the witness's.
	Verifier note.Verifier
	// Client, if set, sends the requests to this witness instead of
	// Options.HTTPClient: an operator of a replicated board asks its own
	// cosigner in-process (replica.Cosigner.RoundTrip).
	Client *http.Client
}

// Quorum is one group of witnesses whose quorum a checkpoint needs
// (bulletin.TrustPolicy): N of the witnesses named.
type Quorum struct {
	Names []string
	N     int
}

// Log is what a Collector needs of the board's log; *bulletin.Log has it.
type Log interface {
	Checkpoint() *bulletin.SignedCheckpoint
	ConsistencyProof(oldSize, newSize int64) (tlog.TreeProof, error)
	Changed() <-chan struct{}
}

// Options configures a Collector.
type Options struct {
	// Quorum is how many cosignatures a checkpoint needs to be served.
	Quorum int
	// Quorums, if set, replace Quorum: a checkpoint is served once it
	// has each group's quorum (an election's witnesses and its board's
	// operators).
	Quorums []Quorum
	// HTTPClient sends the requests; one with a 10 s timeout if nil.
	HTTPClient *http.Client
	// RoundTimeout is how long a target checkpoint waits for its quorum
	// before a newer one replaces it; 2 s if 0.
	RoundTimeout time.Duration
	// MaxBackoff bounds the wait between attempts at a failing witness;
	// 30 s if 0.
	MaxBackoff time.Duration
	// Logger receives a line per witness failure; slog.Default() if nil.
	Logger *slog.Logger
}

// Collector gathers cosignatures for one log. Start it with Run.
type Collector struct {
	log       Log
	quorums   []Quorum
	hc        *http.Client
	round     time.Duration
	maxBack   time.Duration
	logger    *slog.Logger
	witnesses []*peer

	mu       sync.Mutex
	target   *bulletin.SignedCheckpoint // the checkpoint being cosigned
	since    time.Time                  // when target was set
	sigs     map[string][]byte          // witness name → its signature line for target
	cosigned *bulletin.SignedCheckpoint // the newest checkpoint with a quorum, cosignatures merged
	wake     chan struct{}              // closed and replaced when target changes
	reached  chan struct{}              // signalled when target reaches its quorum
}

// peer is a witness and what the collector knows of it.
type peer struct {
	Witness
	mu     sync.Mutex
	status bulletin.WitnessStatus
	size   int64 // the size it last cosigned, as far as the collector knows
}

// New returns a collector for log's checkpoints.
func New(log Log, witnesses []Witness, opts Options) *Collector {
	c := &Collector{
		log: log, quorums: opts.Quorums, hc: opts.HTTPClient, round: opts.RoundTimeout,
		maxBack: opts.MaxBackoff, logger: opts.Logger, sigs: map[string][]byte{}, wake: make(chan struct{}),
		reached: make(chan struct{}, 1),
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 10 * time.Second}
	}
	if c.round == 0 {
		c.round = 2 * time.Second
	}
	if c.maxBack == 0 {
		c.maxBack = 30 * time.Second
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	for _, w := range witnesses {
		c.witnesses = append(c.witnesses, &peer{Witness: w, status: bulletin.WitnessStatus{Name: w.Verifier.Name(), URL: w.URL}})
	}
	if c.quorums == nil {
		q := Quorum{N: opts.Quorum}
		for _, w := range witnesses {
			q.Names = append(q.Names, w.Verifier.Name())
		}
		c.quorums = []Quorum{q}
	}
	return c
}

// quorate reports whether the cosignatures gathered for the target have
// every group's quorum. The caller holds c.mu.
func (c *Collector) quorate() bool {
	for _, q := range c.quorums {
		n := 0
		for _, name := range q.Names {
			if _, ok := c.sigs[name]; ok {
				n++
			}
		}
		if n < q.N {
			return false
		}
	}
	return true
}

// Checkpoint returns the newest checkpoint carrying a quorum of
// cosignatures, with every cosignature gathered for it after the board's
// signature, or nil before one has formed.
func (c *Collector) Checkpoint() *bulletin.SignedCheckpoint {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cosigned
}

// Status reports each witness.
func (c *Collector) Status() []bulletin.WitnessStatus {
	out := make([]bulletin.WitnessStatus, len(c.witnesses))
	for i, p := range c.witnesses {
		p.mu.Lock()
		out[i] = p.status
		p.mu.Unlock()
	}
	return out
}

// Run collects cosignatures until ctx ends.
func (c *Collector) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, p := range c.witnesses {
		wg.Go(func() { c.work(ctx, p) })
	}
	c.advance(ctx)
	wg.Wait()
}

// advance moves the target to the log's newest checkpoint whenever the
// current target has its quorum, or waited RoundTimeout for it.
func (c *Collector) advance(ctx context.Context) {
	for {
		changed := c.log.Changed()
		cp := c.log.Checkpoint()
		var timer <-chan time.Time
		c.mu.Lock()
		switch {
		case c.target == nil:
			c.setTarget(cp)
		case cp.Size > c.target.Size && (c.quorate() || time.Since(c.since) >= c.round):
			c.setTarget(cp)
		case cp.Size > c.target.Size:
			timer = time.After(time.Until(c.since.Add(c.round)))
		}
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-c.reached:
		case <-timer:
		}
	}
}

// setTarget makes cp the checkpoint every witness is asked to cosign. The
// caller holds c.mu.
func (c *Collector) setTarget(cp *bulletin.SignedCheckpoint) {
	c.target, c.since, c.sigs = cp, time.Now(), map[string][]byte{}
	close(c.wake)
	c.wake = make(chan struct{})
}

// work submits each new target to one witness, with back-off on failure.
func (c *Collector) work(ctx context.Context, p *peer) {
	backoff := 100 * time.Millisecond
	for {
		c.mu.Lock()
		target, wake := c.target, c.wake
		_, done := c.sigs[p.Verifier.Name()]
		c.mu.Unlock()
		if target == nil || done {
			select {
			case <-ctx.Done():
				return
			case <-wake:
				continue
			}
		}
		sig, err := c.submit(ctx, p, target)
		if ctx.Err() != nil {
			return
		}
		p.mu.Lock()
		if err != nil {
			p.status.Failures++
			p.status.LastError = err.Error()
		} else {
			p.status.Failures, p.status.LastError, p.status.LastOK = 0, "", time.Now()
			p.status.Cosigned = max(p.status.Cosigned, target.Size)
		}
		p.mu.Unlock()
		if err != nil {
			c.logger.Warn("witness did not cosign", "witness", p.Verifier.Name(), "size", target.Size, "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, c.maxBack)
			continue
		}
		backoff = 100 * time.Millisecond
		c.record(p, target, sig)
	}
}

// record keeps a witness's cosignature of target and publishes target once
// it has a quorum.
func (c *Collector) record(p *peer, target *bulletin.SignedCheckpoint, sig []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.target != target {
		return // a newer target replaced it meanwhile
	}
	c.sigs[p.Verifier.Name()] = sig
	if !c.quorate() {
		return
	}
	merged := bytes.Clone(target.Note)
	for _, q := range c.witnesses {
		if s, ok := c.sigs[q.Verifier.Name()]; ok {
			merged = append(merged, s...)
		}
	}
	c.cosigned = &bulletin.SignedCheckpoint{Checkpoint: target.Checkpoint, Note: merged}
	select {
	case c.reached <- struct{}{}:
	default:
	}
}

// errConflict is a 409: the witness has cosigned another size.
type errConflict struct{ size int64 }

func (e *errConflict) Error() string {
	return fmt.Sprintf("the witness last cosigned size %d", e.size)
}

// submit sends target to p and returns p's verified cosignature line. A
// 409 answer resynchronises p's size and tries again.
func (c *Collector) submit(ctx context.Context, p *peer, target *bulletin.SignedCheckpoint) ([]byte, error) {
	for range 3 {
		p.mu.Lock()
		old := p.size
		p.mu.Unlock()
		sig, err := c.addCheckpoint(ctx, p, old, target)
		var conflict *errConflict
		if errors.As(err, &conflict) {
			if conflict.size > target.Size {
				return nil, fmt.Errorf("%w, more than the %d records of this board's checkpoint: the witness saw a longer history of this log", err, target.Size)
			}
			p.mu.Lock()
			p.size = conflict.size
			p.mu.Unlock()
			continue
		}
		if err != nil {
			return nil, err
		}
		p.mu.Lock()
		p.size = target.Size
		p.mu.Unlock()
		return sig, nil
	}
	return nil, errors.New("the witness kept answering 409 Conflict")
}

// addCheckpoint sends one add-checkpoint request (c2sp.org/tlog-witness).
func (c *Collector) addCheckpoint(ctx context.Context, p *peer, old int64, target *bulletin.SignedCheckpoint) ([]byte, error) {
	var body bytes.Buffer
	fmt.Fprintf(&body, "old %d\n", old)
	if old > 0 && old < target.Size {
		proof, err := c.log.ConsistencyProof(old, target.Size)
		if err != nil {
			return nil, fmt.Errorf("proving consistency from %d to %d: %w", old, target.Size, err)
		}
		for _, h := range proof {
			body.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
		}
	}
	body.WriteString("\n")
	body.Write(target.Note)
	req, err := http.NewRequestWithContext(ctx, "POST", strings.TrimSuffix(p.URL, "/")+"/add-checkpoint", &body)
	if err != nil {
		return nil, err
	}
	hc := c.hc
	if p.Client != nil {
		hc = p.Client
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusConflict:
		size, err := strconv.ParseInt(strings.TrimSuffix(string(data), "\n"), 10, 64)
		if err != nil || size < 0 {
			return nil, fmt.Errorf("409 Conflict without a tree size: %q", data)
		}
		return nil, &errConflict{size}
	case http.StatusUnprocessableEntity:
		return nil, fmt.Errorf("422: the witness found this checkpoint inconsistent with the last it cosigned (size %d): %s", old, bytes.TrimSpace(data))
	case http.StatusForbidden, http.StatusNotFound:
		return nil, fmt.Errorf("%s: the witness does not know this board's origin or key: %s", resp.Status, bytes.TrimSpace(data))
	default:
		return nil, fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(data))
	}
	// The answer is signature lines: verify the witness's own against the
	// checkpoint and keep exactly that line.
	n, err := note.Open(append(bytes.Clone(target.Note), data...), note.VerifierList(p.Verifier))
	if err != nil {
		return nil, fmt.Errorf("its answer is not a valid cosignature: %w", err)
	}
	for _, s := range n.Sigs {
		if s.Name == p.Verifier.Name() && s.Hash == p.Verifier.KeyHash() {
			return []byte("— " + s.Name + " " + s.Base64 + "\n"), nil
		}
	}
	return nil, errors.New("its answer holds no cosignature by its key")
}
