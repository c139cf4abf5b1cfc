package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/evote/evote/bulletin"
)

// DefaultAttempt is BoardsOptions.Attempt's default: how long a post waits
// for one operator's answer before it falls over to the next. An operator
// answers once the record's block is committed, within a few seconds on a
// healthy network (docs/spec/replicated-board.md §5).
const DefaultAttempt = 20 * time.Second

// DefaultHedge is how long the participants' commands let a post wait for
// one operator's answer before they post it to the next operator as well
// (BoardsOptions.Hedge): more than a block takes on a healthy network under
// load, a quarter of DefaultAttempt.
const DefaultHedge = 5 * time.Second

// BoardsOptions shape a Boards.
type BoardsOptions struct {
	// Attempt bounds how long a post waits for one operator's answer;
	// DefaultAttempt if zero.
	Attempt time.Duration
	// Hedge, if positive and shorter than Attempt, is how long a post
	// waits for an operator's answer before it goes to the next operator
	// as well, while the first may still answer: the first verified
	// acknowledgement is taken and the other operators are given up. An
	// operator whose machine or link died during the post never answers
	// nor fails; a post waits Hedge for it rather than Attempt. If zero,
	// a post goes to one operator at a time.
	Hedge time.Duration
	// OnFailover, if set, is called each time a post falls over from the
	// operator from, which failed with err, to the operator to.
	OnFailover func(from, to *Client, err error)
	// OnHedge, if set, is called each time a post goes to the operator to
	// as well, as the operator from has not answered within Hedge.
	OnHedge func(from, to *Client)
	// Accept, if set, is asked before a post goes to an operator whether
	// its client may be used: an error leaves the operator out of the
	// round, as one that failed, with that error. Participants check
	// there that the client's key is the board key the election's
	// definition names for the operator (election.CheckBoardKey), so that
	// no receipt under another key counts.
	Accept func(ctx context.Context, cl *Client) error
}

// Boards posts to a board kept by several operators
// (docs/spec/replicated-board.md §5), one Client per operator, each
// checking that operator's checkpoints with its key. A post goes to one
// operator and falls over to the next when that one does not acknowledge
// it with a verified receipt: no connection, a 5xx, a 429 or 408, an
// answer or receipt that does not verify, or no answer within the
// attempt's time (an operator that takes posts and never orders them).
// With a hedge, a post that waits that long for an operator's answer goes
// to the next operator as well, and the first acknowledgement counts.
// Posting one submission again is safe, as the rules never admit the
// same submission twice; a duplicate refusal that names the submission's
// record is turned into its receipt (Client.Locate).
//
// A Boards is safe for concurrent use.
type Boards struct {
	clients []*Client
	opts    BoardsOptions
}

// NewBoards returns a Boards over the operators' clients, in the order
// posts try them.
func NewBoards(clients []*Client, opts BoardsOptions) (*Boards, error) {
	if len(clients) == 0 {
		return nil, errors.New("board: no operator to post to")
	}
	if opts.Attempt <= 0 {
		opts.Attempt = DefaultAttempt
	}
	opts.Hedge = EffectiveHedge(opts.Hedge, opts.Attempt)
	return &Boards{clients: clients, opts: opts}, nil
}

// EffectiveHedge returns the hedge a post waits with, given a hedge and
// an attempt time (BoardsOptions): hedge if it is positive and shorter
// than attempt, and otherwise 0, one operator at a time. The voter page
// hedges by the same rule.
func EffectiveHedge(hedge, attempt time.Duration) time.Duration {
	if hedge > 0 && hedge < attempt {
		return hedge
	}
	return 0
}

// Clients returns the operators' clients, in the order posts try them.
func (b *Boards) Clients() []*Client { return b.clients }

// OperatorError is one operator's failure to acknowledge a post.
type OperatorError struct {
	URL string
	Err error
}

// Error implements error.
func (e *OperatorError) Error() string { return e.URL + ": " + e.Err.Error() }

// Unwrap returns the operator's error.
func (e *OperatorError) Unwrap() error { return e.Err }

// ErrNotAccepted is wrapped by the OperatorError of an operator that
// BoardsOptions.Accept left out.
var ErrNotAccepted = errors.New("board: operator not used")

// ErrNoOperator is wrapped by Submit's error when no operator acknowledged
// a submission and none refused it: whether it reached the board is not
// known, and posting it again later is safe.
var ErrNoOperator = errors.New("board: no operator acknowledged the submission")

// Submit posts sub to the operator first (an index into Clients), falling
// over to the others in turn (and going to the next one while the last
// has not answered, with BoardsOptions.Hedge), and returns the first
// verified acknowledgement. A refusal by the rules ends it with that
// refusal (a *bulletin.RejectError), as every honest operator would
// refuse alike. If every operator fails, the error wraps ErrNoOperator and
// each operator's *OperatorError.
func (b *Boards) Submit(ctx context.Context, sub *bulletin.Submission, first int) (*Posted, error) {
	// Cancelled on return: the operators still waiting are given up.
	tries, giveUp := context.WithCancel(ctx)
	defer giveUp()
	type outcome struct {
		cl  *Client
		p   *Posted
		err error
	}
	n := len(b.clients)
	outcomes := make(chan outcome, n)
	next, waiting := 0, 0
	var last *Client     // the operator posted to last
	var lastAt time.Time // when
	post := func() {
		cl := b.clients[(first+next)%n]
		next++
		waiting++
		last, lastAt = cl, time.Now()
		go func() {
			p, err := b.try(tries, cl, sub)
			outcomes <- outcome{cl, p, err}
		}()
	}
	post()
	var errs []error
	for waiting > 0 {
		var hedge <-chan time.Time
		if next < n && b.opts.Hedge > 0 {
			hedge = time.After(time.Until(lastAt.Add(b.opts.Hedge)))
		}
		select {
		case <-hedge:
			if b.opts.OnHedge != nil {
				b.opts.OnHedge(last, b.clients[(first+next)%n])
			}
			post()
		case o := <-outcomes:
			waiting--
			if o.err == nil {
				return o.p, nil
			}
			if ctx.Err() != nil {
				return nil, fmt.Errorf("board: posting to %s: %w", o.cl.URL(), ctx.Err())
			}
			if final(o.err) {
				return nil, o.err
			}
			errs = append(errs, &OperatorError{URL: o.cl.URL(), Err: o.err})
			if next < n {
				if b.opts.OnFailover != nil {
					b.opts.OnFailover(o.cl, b.clients[(first+next)%n], o.err)
				}
				post()
			}
		}
	}
	return nil, fmt.Errorf("%w: %w", ErrNoOperator, errors.Join(errs...))
}

// try posts sub to the operator of cl, if BoardsOptions.Accept accepts it.
func (b *Boards) try(ctx context.Context, cl *Client, sub *bulletin.Submission) (*Posted, error) {
	if b.opts.Accept != nil {
		if err := b.opts.Accept(ctx, cl); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNotAccepted, err)
		}
	}
	return b.attempt(ctx, cl, sub)
}

// Post is Submit from the first operator, in the shape of Client.Post: the
// appended record and its verified receipt, for participants that take a
// post function (package simulate, follow.Follower.Acting).
func (b *Boards) Post(ctx context.Context, sub *bulletin.Submission) (*bulletin.Record, *bulletin.Receipt, error) {
	p, err := b.Submit(ctx, sub, 0)
	if err != nil {
		return nil, nil, err
	}
	return p.Record, p.Receipt, nil
}

// attempt posts sub to one operator, waiting at most the attempt's time,
// and turns a duplicate refusal naming the submission's record into its
// receipt.
func (b *Boards) attempt(ctx context.Context, cl *Client, sub *bulletin.Submission) (*Posted, error) {
	ctx, cancel := context.WithTimeout(ctx, b.opts.Attempt)
	defer cancel()
	p, err := cl.Submit(ctx, sub)
	var rej *bulletin.RejectError
	if errors.As(err, &rej) && rej.Code == bulletin.CodeDuplicate {
		if i, ok := bulletin.DuplicateOf(rej.Reason); ok {
			if p, lerr := cl.Locate(ctx, sub, i); lerr == nil {
				return p, nil
			}
		}
	}
	if err != nil && errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("no answer within %v: %w", b.opts.Attempt, err)
	}
	return p, err
}

// final reports whether err, an operator's answer to a post, is a refusal
// by the rules that another operator would give too: an HTTP answer on
// which the client does not fall over (bulletin.FallsOver). Everything else
// (no answer, a failure, an answer that does not verify) says nothing of
// the submission, and another operator is tried.
func final(err error) bool {
	var he *HTTPError
	return errors.As(err, &he) && he.Status >= 400 && he.Status < 500 && !bulletin.FallsOver(he.Status)
}
