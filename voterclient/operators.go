package voterclient

import (
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/election"
)

// Operator is one operator of a board kept by several operators
// (docs/spec/replicated-board.md §5.1), as the voter page posts to it.
type Operator struct {
	// Name is the operator's name: the origin of its checkpoints, and a
	// name of the election definition's operators.
	Name string `json:"name"`
	// URL is its board's base URL; "" for the board that served the page.
	URL string `json:"url"`
	// BoardKey is the verifier key of its checkpoints.
	BoardKey string `json:"board_key"`
}

// OperatorsArgs is the argument of "operators": the board's
// GET /election/operators, the board that served the page first.
type OperatorsArgs struct {
	Operators []Operator `json:"operators"`
}

// OperatorsResult is the result of "operators": the operators a ballot is
// posted to, in order.
type OperatorsResult struct {
	Operators []Operator `json:"operators"`
}

// Failover is a post falling over from one operator to the next.
type Failover struct {
	// From names the operator that did not acknowledge the ballot, To the
	// one the page posts it to next, at URL.
	From string `json:"from"`
	To   string `json:"to"`
	URL  string `json:"url"`
}

// SetOperators takes the operators of a replicated board that the page
// posts ballots to when the board that served it does not acknowledge one
// (docs/spec/voter-client.md §5.7). The first must be that board (URL
// ""); each must be named as an operator by the election's definition,
// with the board key the definition names for it (election.CheckBoardKey),
// once; and one of them must be the operator the page read the election
// from (Anchor), under the key it checked. Only their URLs are the
// board's word: each operator's checkpoints must still be signed by its
// key and meet the definition's trust policy (the operators' quorum)
// before the page relies on them (SwitchOperator).
func (s *Session) SetOperators(a *OperatorsArgs) (*OperatorsResult, error) {
	e := s.sync.Election()
	if s.boardKey == "" || e == nil || e.Manifest == nil {
		return nil, problemKey(CodeBadInput, nil, "client.problem.operators-early")
	}
	ops := a.Operators
	if len(ops) == 0 || ops[0].URL != "" {
		return nil, badBoard(nil, "its list of operators does not start with itself")
	}
	m := e.Manifest
	if len(ops) > 1 && len(m.Operators) == 0 {
		return nil, badBoard(nil, "it lists other operators, but the election's definition names none")
	}
	seen, read := map[string]bool{}, false
	for i, op := range ops {
		key := strings.TrimSpace(op.BoardKey)
		v, err := note.NewVerifier(key)
		if err != nil {
			return nil, badBoard(err, "the key it gives for operator %q is not a board key", op.Name)
		}
		switch {
		case v.Name() != op.Name:
			return nil, badBoard(nil, "the key it gives for operator %q is the key of %q", op.Name, v.Name())
		case len(m.Operators) > 0 && !m.IsOperator(op.Name):
			return nil, badBoard(nil, "it lists %q, which the election's definition does not name as an operator", op.Name)
		case i > 0 && !strings.HasPrefix(op.URL, "https://") && !strings.HasPrefix(op.URL, "http://"):
			return nil, badBoard(nil, "the address it gives for operator %q, %q, is not a web address", op.Name, op.URL)
		case seen[op.Name]:
			return nil, badBoard(nil, "it lists operator %q twice", op.Name)
		}
		if err := election.CheckBoardKey(m, key); err != nil {
			return nil, badBoard(err, "the key it gives for operator %q is not the one the election's definition names: %v", op.Name, err)
		}
		seen[op.Name], read = true, read || key == s.boardKey
		ops[i].BoardKey, ops[i].URL = key, strings.TrimSuffix(op.URL, "/")
	}
	if !read {
		return nil, badBoard(nil, "its list of operators does not include the board this page read the election from, under the key it checked")
	}
	s.operators = ops
	return &OperatorsResult{Operators: ops}, nil
}

// ReadFailoverArgs is the argument of "readFailover": a read of the
// election from the operator From (its name; "" for the board that served
// the page) failed with HTTP status Status (0: no answer), and To, at URL,
// is the operator the page would read from next.
type ReadFailoverArgs struct {
	From   string `json:"from"`
	To     string `json:"to"`
	URL    string `json:"url"`
	Status int    `json:"status"`
}

// ReadFailoverResult is the result of "readFailover": whether the page
// reads from To instead, and why, in words.
type ReadFailoverResult struct {
	FallsOver bool     `json:"falls_over"`
	Message   string   `json:"message,omitempty"` // in English
	Said      *Message `json:"said,omitempty"`    // the same, for the page's catalogue
}

// ReadFailover decides whether a failed read of the election (records,
// checkpoint, proofs, a receipt's record) falls over to the next operator
// (docs/spec/voter-client.md §5.7): with the rule a post falls over on,
// bulletin.FallsOver (no answer, a 5xx, a 429, a 408). Any other answer
// (a 404, a refusal) is the board's word and stays an error; so does data
// that does not check out. What the page reads from the next operator is
// checked as it would be on the first: under that operator's board key,
// which the election's definition names, and the operators' quorum.
func ReadFailover(a *ReadFailoverArgs) *ReadFailoverResult {
	if !bulletin.FallsOver(a.Status) {
		return &ReadFailoverResult{}
	}
	from := msg("client.read.from-page")
	if a.From != "" {
		from = msg("client.read.from-operator", a.From)
	}
	why := msg("client.why.no-answer")
	if a.Status != 0 {
		why = msg("client.why.failed", a.Status)
	}
	said := msg("client.read.moved", from, why, a.To, a.URL)
	return &ReadFailoverResult{FallsOver: true, Message: said.String(), Said: &said}
}

// operator returns the operator at index i (SetOperators); 0 is the
// board that served the page, also without operators.
func (s *Session) operator(i int) Operator {
	if i < len(s.operators) {
		return s.operators[i]
	}
	return Operator{BoardKey: s.boardKey}
}

// failover returns, when the ballot on its way may fall over to an
// operator it was not posted to yet in this round, the result that says
// so: the operator from did not acknowledge it, for the reason why. It
// returns nil once every operator was tried.
func (s *Session) failover(from string, why Message) *PostedResult {
	return s.moveOn(from, func(noun Message, to Operator) Message {
		return msg("client.failover.moved", from, noun, why, to.Name, to.URL, noun)
	})
}

// moveOn returns, when an operator is left that the ballot on its way was
// not posted to yet in this round, the result whose Failover names it,
// posted to from the operator from, with the words say gives; nil once
// every operator was tried.
func (s *Session) moveOn(from string, say func(noun Message, to Operator) Message) *PostedResult {
	if s.tried >= len(s.operators) {
		return nil
	}
	to := s.operators[(s.first+s.tried)%len(s.operators)]
	r := s.sent()
	r.Failover = &Failover{From: from, To: to.Name, URL: to.URL}
	s.moved = say(s.delivery.noun(), to)
	r.Message, r.Said = s.moved.String(), &s.moved
	return r
}

// HedgeArgs is the argument of "hedge": how long, in whole seconds, the
// operator the ballot was posted to last has not answered.
type HedgeArgs struct {
	Seconds int `json:"seconds"`
}

// Hedge posts the ballot on its way to the next operator as well, the one
// it was posted to last not having answered within a.Seconds
// (docs/spec/voter-client.md §5.7): an operator whose link died while it
// held the post neither answers nor fails. The result carries a Failover
// to the next operator of the round, which the page switches to
// (SwitchOperator) as on a failover, while its post to the last one goes
// on: that one's answer, if it comes, is taken by PostedBehind, and the
// first receipt counts. With every operator tried, the result is the
// delivery's status, without a Failover: the page waits on.
func (s *Session) Hedge(a *HedgeArgs) (*PostedResult, error) {
	if _, err := s.sending(); err != nil {
		return nil, err
	}
	from, before := s.operator(s.at).Name, s.moved
	r := s.moveOn(from, func(noun Message, to Operator) Message {
		return msg("client.failover.hedged", from, noun, a.Seconds, to.Name, to.URL, noun)
	})
	if r == nil {
		return s.sent(), nil
	}
	s.hedge = &before
	return r, nil
}

// PostedBehindArgs is the argument of "postedBehind": the answer of the
// operator at URL to the POST of the ballot on its way, an operator it
// was posted to before a hedge moved it on (Hedge); as PostedArgs.
type PostedBehindArgs struct {
	URL    string `json:"url"`
	Status int    `json:"status"`
	Body   string `json:"body"`
}

// PostedBehind takes the answer of an operator that the ballot on its way
// was posted to before a hedge moved it on (Hedge), as Posted takes the
// answer of the operator posted to last: a verified receipt ends the
// delivery there, found; a refusal for good ends it with that refusal,
// which every operator gives alike. Any other answer leaves that operator
// out: the result is the status of the delivery on the operator posted
// to last, whose answer the page still waits for.
func (s *Session) PostedBehind(a *PostedBehindArgs) (*PostedResult, error) {
	if _, err := s.sending(); err != nil {
		return nil, err
	}
	for i, b := range s.behind {
		if s.operator(i).URL != a.URL {
			continue
		}
		delete(s.behind, i)
		err := b.delivery.Answer(a.Status, []byte(a.Body))
		switch {
		case err == nil && b.delivery.Status().Status == SentFound:
			s.delivery, s.at, s.moved = b.delivery, i, b.moved
			return s.sent(), nil
		case err != nil && postFailed(a.Status, a.Body, err).Key == "" && AsProblem(err).Code != CodeBadBoard:
			s.delivery, s.behind = nil, nil
			return nil, err
		}
		return s.sent(), nil
	}
	return nil, problemKey(CodeBadInput, nil, "client.problem.unknown-operator")
}

// behindDelivery is the delivery of the ballot on its way to an operator
// a hedge moved on from (Hedge), with the words that said why the ballot
// was posted there.
type behindDelivery struct {
	delivery *Delivery
	moved    Message
}

// SwitchArgs is the argument of "switchOperator": the next operator's
// current signed checkpoint (its GET /checkpoint), or "" if it could not be
// read.
type SwitchArgs struct {
	Checkpoint string `json:"checkpoint"`
}

// SwitchOperator moves the ballot on its way to the operator that the last
// Failover named (docs/spec/voter-client.md §5.7). That operator's
// checkpoint must be signed by its key and meet the election's trust
// policy; the delivery then starts over on it (NewDelivery), bounded by
// that checkpoint, and the page posts the same signed ballot to it. If the
// checkpoint is missing or does not check out, the result is a Failover to
// the operator after it, if any is left, or the status of the delivery on
// the operator the ballot was last posted to.
func (s *Session) SwitchOperator(a *SwitchArgs) (*PostedResult, error) {
	d, err := s.sending()
	if err != nil {
		return nil, err
	}
	if s.tried >= len(s.operators) {
		return nil, problemKey(CodeBadInput, nil, "client.problem.no-other-operator", d.noun())
	}
	next := (s.first + s.tried) % len(s.operators)
	op := s.operators[next]
	s.tried++
	cp := []byte(a.Checkpoint)
	var why Message
	if a.Checkpoint == "" {
		why = msg("client.why.no-checkpoint")
	} else if _, err := boardCheckpoint(op.BoardKey, cp); err != nil {
		why = msg("client.why.bad-checkpoint", AsProblem(err).Said())
	} else if err := checkWitnessed(d.manifest, op.BoardKey, cp); err != nil {
		why = msg("client.why.bad-checkpoint", AsProblem(err).Said())
	}
	if why.Key != "" {
		if r := s.failover(op.Name, why); r != nil {
			return r, nil
		}
		if s.hedge != nil {
			// No operator left to move on to: the ballot stays where it
			// was posted, for the words as for its post.
			s.moved, s.hedge = *s.hedge, nil
		}
		r := s.sent()
		said := msg("client.failover.either", op.Name, why, *r.Said)
		r.Message, r.Said = said.String(), &said
		return r, nil
	}
	nd, err := NewDelivery(d.sub, op.BoardKey, cp, d.manifest)
	if err != nil {
		return nil, err
	}
	if s.hedge != nil {
		// The post to the operator moved on from goes on (PostedBehind).
		if s.behind == nil {
			s.behind = map[int]behindDelivery{}
		}
		s.behind[s.at] = behindDelivery{d, *s.hedge}
		s.hedge = nil
	}
	s.delivery, s.at = nd, next
	r := s.sent()
	r.Message, r.Said = s.moved.String(), &s.moved
	return r, nil
}

// postFailed reports why an operator's answer to a post, status and body
// and the error Delivery.Answer made of it, is one the post falls over on
// (bulletin.FallsOver, or a 201 that does not check out), in words; ""
// if it is not. With status 0, a body that starts "no answer within" is
// the page's own word for its time running out, and is passed on.
func postFailed(status int, body string, err error) Message {
	var seconds int
	switch {
	case status == 201 && err != nil:
		return msg("client.why.bad-answer", AsProblem(err).Said())
	case status == 0 && len(body) < 40 && scanned(body, "no answer within %d s", &seconds):
		return msg("client.why.timeout", seconds)
	case status == 0:
		return msg("client.why.no-answer")
	case status == 429:
		return msg("client.why.busy")
	case status == 408:
		return msg("client.why.incomplete")
	case bulletin.FallsOver(status):
		return msg("client.why.failed", status)
	}
	return Message{}
}

// scanned reports whether s is exactly format with one integer, which it
// stores in n.
func scanned(s, format string, n *int) bool {
	k, err := fmt.Sscanf(s, format, n)
	return err == nil && k == 1 && fmt.Sprintf(format, *n) == s
}
