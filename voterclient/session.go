package voterclient

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"golang.org/x/text/language"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/election"
)

// Session is one voter's visit to the voting page: the election context
// being synced, the loaded credential and the ballot waiting to be cast or
// challenged. Its Call method is the whole interface of the WebAssembly
// module (docs/spec/voter-client.md §4): JSON text in, JSON text out, so the
// bridge in cmd/voterclient-wasm stays a few lines and every call can be
// tested natively.
//
// A Session is not safe for concurrent use (a page has one thread).
type Session struct {
	sync       *Syncer
	anchoredAt uint64 // Syncer.Next when Anchor last succeeded: the records it pinned
	anchorNote []byte // the checkpoint Anchor last checked
	boardKey   string // the board key Anchor last checked it with
	cred       *ballot.Credential
	pending    *Prepared
	delivery   *Delivery // the last cast or challenge sent, until the board is known to hold it
	challenged *ballot.ConfirmationCode
	receipt    *ReceiptCheck // the receipt check under way, until it ends

	// The operators of a replicated board (SetOperators), the board that
	// served the page first, and the round of posts of the ballot on its
	// way: the operator it started at, the one it is posted to now, and
	// how many were tried; moved says in words why it last moved.
	operators        []Operator
	first, at, tried int
	moved            Message
	// A hedge (Hedge) moves the ballot on to the next operator while the
	// post to the last one goes on: hedge holds, until the page switches
	// (SwitchOperator), the words that said why the ballot went to the
	// operator moved on from; behind holds, by operator, the deliveries
	// whose posts go on, until they answer (PostedBehind).
	hedge  *Message
	behind map[int]behindDelivery

	// lang is the reader's language (SetLanguage): the election's titles
	// are shown in it where the definition translates them.
	lang string
}

// NewSession returns a session with nothing synced or loaded.
func NewSession() *Session { return &Session{sync: NewSyncer()} }

// text passes a method's argument through as bytes.
func text(f func(*Session, []byte) (any, error)) func(*Session, string) (any, error) {
	return func(s *Session, arg string) (any, error) { return f(s, []byte(arg)) }
}

// decoded decodes a method's JSON argument into an A first.
func decoded[A any](f func(*Session, *A) (any, error)) func(*Session, string) (any, error) {
	return func(s *Session, arg string) (any, error) {
		a := new(A)
		if err := decodeArg(arg, a); err != nil {
			return nil, err
		}
		return f(s, a)
	}
}

// optional is decoded for an argument that may be left out (""): f then
// gets nil.
func optional[A any](f func(*Session, *A) (any, error)) func(*Session, string) (any, error) {
	return func(s *Session, arg string) (any, error) {
		if strings.TrimSpace(arg) == "" {
			return f(s, nil)
		}
		return decoded(f)(s, arg)
	}
}

// methods are the functions Call runs, by name (docs/spec/voter-client.md §4).
var methods = map[string]func(s *Session, arg string) (any, error){
	"sync":           text(func(s *Session, b []byte) (any, error) { return s.Sync(b) }),
	"anchor":         decoded(func(s *Session, a *AnchorArgs) (any, error) { return s.Anchor(a) }),
	"credential":     text(func(s *Session, b []byte) (any, error) { return s.Credential(b) }),
	"credentialText": text(func(s *Session, b []byte) (any, error) { return s.CredentialText(b) }),
	"newCredential":  decoded(func(s *Session, a *NewCredentialArgs) (any, error) { return s.NewCredential(a) }),
	"checkRoll":      text(func(s *Session, b []byte) (any, error) { return s.CheckRoll(b) }),
	"prepare":        decoded(func(s *Session, a *PrepareArgs) (any, error) { return s.Prepare(a) }),
	"check":          decoded(func(s *Session, a *CheckArgs) (any, error) { return s.Check(a) }),
	"cast":           optional(func(s *Session, a *SubmitArgs) (any, error) { return s.Submit(false, a) }),
	"challenge":      optional(func(s *Session, a *SubmitArgs) (any, error) { return s.Submit(true, a) }),
	"posted":         decoded(func(s *Session, a *PostedArgs) (any, error) { return s.Posted(a) }),
	"delivery":       func(s *Session, _ string) (any, error) { return s.Delivery() },
	"lookup":         decoded(func(s *Session, a *LookupArgs) (any, error) { return s.Lookup(a) }),
	"operators":      decoded(func(s *Session, a *OperatorsArgs) (any, error) { return s.SetOperators(a) }),
	"readFailover":   decoded(func(_ *Session, a *ReadFailoverArgs) (any, error) { return ReadFailover(a), nil }),
	"language":       func(s *Session, arg string) (any, error) { return s.SetLanguage(arg), nil },
	"switchOperator": decoded(func(s *Session, a *SwitchArgs) (any, error) { return s.SwitchOperator(a) }),
	"hedge":          decoded(func(s *Session, a *HedgeArgs) (any, error) { return s.Hedge(a) }),
	"postedBehind":   decoded(func(s *Session, a *PostedBehindArgs) (any, error) { return s.PostedBehind(a) }),
	"resend":         func(s *Session, _ string) (any, error) { return s.Resend() },
	"lookupScan":     text(func(s *Session, b []byte) (any, error) { return s.LookupScan(b) }),
	"reveal":         text(func(s *Session, b []byte) (any, error) { return s.Reveal(b) }),
	"receiptInfo":    text(func(s *Session, b []byte) (any, error) { return s.receiptInfo(b) }),
	"checkReceipt":   decoded(func(s *Session, a *ReceiptArgs) (any, error) { return s.CheckReceipt(a) }),
	"receiptScan":    text(func(s *Session, b []byte) (any, error) { return s.ReceiptScan(b) }),
	"receiptFinish": decoded(func(s *Session, a *bulletin.InclusionProofResponse) (any, error) {
		return s.ReceiptFinish(a.Proof)
	}),
	"lookupFinish": decoded(func(s *Session, a *bulletin.InclusionProofResponse) (any, error) {
		return s.LookupFinish(a.Proof)
	}),
}

// Methods returns the names of the functions Call runs, sorted: the
// WebAssembly bridge installs one JavaScript method for each.
func Methods() []string { return slices.Sorted(maps.Keys(methods)) }

// Call runs the function name with its JSON argument arg and returns the
// JSON envelope {"ok":true,"result":…} or {"ok":false,"error":{"code",
// "message","detail"}}. The functions are described in
// docs/spec/voter-client.md §4.
func (s *Session) Call(name, arg string) string {
	var (
		res any
		err error
	)
	if m, ok := methods[name]; ok {
		res, err = m(s, arg)
	} else {
		err = problemKey(CodeBadInput, nil, "client.problem.unknown-function", name)
	}
	var out []byte
	if err != nil {
		p := AsProblem(err)
		detail := ""
		if p.Err != nil {
			detail = p.Err.Error()
		}
		e := map[string]any{"code": p.Code, "message": p.Message, "detail": detail}
		if p.Key != "" {
			e["key"], e["args"] = p.Key, p.Args
		}
		out, _ = json.Marshal(map[string]any{"ok": false, "error": e})
	} else {
		out, err = json.Marshal(map[string]any{"ok": true, "result": res})
		if err != nil {
			out = []byte(`{"ok":false,"error":{"code":"bad-input","message":"internal error encoding a result"}}`)
		}
	}
	return string(out)
}

func decodeArg(arg string, v any) error {
	if err := json.Unmarshal([]byte(arg), v); err != nil {
		return problemKey(CodeBadInput, err, "client.problem.malformed")
	}
	return nil
}

// ElectionInfo is the page's view of the election.
type ElectionInfo struct {
	ID           string                `json:"id"`
	Title        string                `json:"title"`
	ManifestHash string                `json:"manifest_hash"`
	BaseHash     string                `json:"base_hash,omitempty"`
	Phase        string                `json:"phase"`
	Opens        string                `json:"opens"`
	Closes       string                `json:"closes"`
	Voters       int64                 `json:"voters"`
	RollClosed   bool                  `json:"roll_closed"`
	Trustees     int                   `json:"trustees"`
	Threshold    int                   `json:"threshold"`
	Contests     []ContestInfo         `json:"contests"`
	Clients      []election.ClientHash `json:"clients"`
}

// ContestInfo describes one contest and its rules.
type ContestInfo struct {
	ID            string `json:"id"`
	Title         string `json:"title"`
	Kind          string `json:"kind,omitempty"`
	MinSelections int    `json:"min_selections"`
	MaxSelections int    `json:"max_selections"`
	OptionMax     int    `json:"option_max"`
	Rule          string `json:"rule"`
	// RuleKey and RuleArgs are Rule as a message of the catalogue
	// (internal/i18n), for the page to say in the reader's language.
	RuleKey  string       `json:"rule_key"`
	RuleArgs []any        `json:"rule_args"`
	Options  []OptionInfo `json:"options"`
	// WriteIn is the contest's write-in, nil if it has none.
	WriteIn *WriteInInfo `json:"write_in,omitempty"`
}

// WriteInInfo is a contest's write-in: the index of the option a voter
// selects to write a name in, and the longest name in UTF-8 bytes.
type WriteInInfo struct {
	Option   int `json:"option"`
	MaxBytes int `json:"max_bytes"`
}

// OptionInfo is one option of a contest.
type OptionInfo struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Info returns the page's view of e.
func Info(e *Election) *ElectionInfo {
	if e == nil || e.Manifest == nil {
		return nil
	}
	m := e.Manifest
	in := &ElectionInfo{
		ID: m.ID, Title: m.Title, ManifestHash: hex.EncodeToString(e.ManifestHash[:]), Phase: e.Phase.String(),
		Opens: m.Opens.Format("2006-01-02 15:04 UTC"), Closes: m.Closes.Format("2006-01-02 15:04 UTC"),
		Voters: e.RollSize, RollClosed: e.RollClosed, Trustees: len(m.Trustees), Threshold: m.Threshold,
		Clients: append([]election.ClientHash{}, e.Clients...),
	}
	if e.Ballot != nil {
		in.BaseHash = hex.EncodeToString(e.Ballot.BaseHash[:])
	}
	for i := range m.Contests {
		c := &m.Contests[i]
		key, args := RuleKey(c)
		if args == nil {
			args = []any{}
		}
		ci := ContestInfo{ID: c.ID, Title: c.Title, Kind: c.Kind, MinSelections: c.MinSelections,
			MaxSelections: c.MaxSelections, OptionMax: c.OptionMax, Rule: Rule(c), RuleKey: key, RuleArgs: args}
		for _, o := range c.Options {
			ci.Options = append(ci.Options, OptionInfo{ID: o.ID, Title: o.Title})
		}
		if c.WriteIn != nil {
			ci.WriteIn = &WriteInInfo{Option: c.WriteIn.Option, MaxBytes: c.WriteIn.MaxBytes}
		}
		in.Contests = append(in.Contests, ci)
	}
	return in
}

// SyncResult is the result of "sync".
type SyncResult struct {
	// Done is true once no more records are needed.
	Done bool `json:"done"`
	// Next is the index of the next record to fetch.
	Next uint64 `json:"next"`
	// Election is the election as known so far; null before its definition.
	Election *ElectionInfo `json:"election"`
}

// Sync feeds a page of records (the body of GET /records) to the session.
func (s *Session) Sync(page []byte) (*SyncResult, error) {
	recs, err := ParseRecords(page)
	if err != nil {
		return nil, badBoard(err, "its records are not readable")
	}
	if err := s.sync.Add(recs); err != nil {
		return nil, err
	}
	return &SyncResult{Done: s.sync.Done(), Next: s.sync.Next(), Election: s.info()}, nil
}

// SetLanguage sets the reader's language, a BCP 47 tag (the page's,
// window.i18n.lang), and returns the election as the page shows it: its
// titles in the language of the definition's text that best matches
// (ballot.Manifest.MatchLanguage, Localize); null before the definition.
func (s *Session) SetLanguage(lang string) *ElectionInfo {
	s.lang = strings.TrimSpace(lang)
	return s.info()
}

// info returns the page's view of the synced election, its titles in the
// reader's language.
func (s *Session) info() *ElectionInfo {
	e := s.sync.Election()
	if e == nil || e.Manifest == nil || s.lang == "" {
		return Info(e)
	}
	local := *e
	local.Manifest = s.manifest()
	return Info(&local)
}

// manifest returns the synced definition with its titles in the reader's
// language, for display only.
func (s *Session) manifest() *ballot.Manifest {
	m := s.sync.Election().Manifest
	if m == nil || s.lang == "" {
		return m
	}
	tag, err := language.Parse(s.lang)
	if err != nil {
		return m
	}
	return m.Localize(m.MatchLanguage(tag))
}

// AnchorArgs is the argument of "anchor": what the page fetched to tie
// the records it read to the board's signed checkpoint.
type AnchorArgs struct {
	Checkpoint string `json:"checkpoint"` // GET /checkpoint
	BoardKey   string `json:"board_key"`
	Proof      struct {
		Proof []tlog.Hash `json:"proof"`
	} `json:"proof"` // GET /proof/inclusion?index=<next−1>&size=<checkpoint size>
}

// AnchorResult is the result of "anchor".
type AnchorResult struct {
	Size int64 `json:"size"` // the checkpoint's tree size
}

// Anchor ties the records synced to the board's signed checkpoint
// (Syncer.Anchor). Ballots are prepared only once it succeeded.
func (s *Session) Anchor(a *AnchorArgs) (*AnchorResult, error) {
	n, err := s.sync.Anchor([]byte(a.Checkpoint), a.BoardKey, a.Proof.Proof)
	if err != nil {
		return nil, err
	}
	s.anchoredAt = s.sync.Next()
	s.anchorNote, s.boardKey = []byte(a.Checkpoint), strings.TrimSpace(a.BoardKey)
	return &AnchorResult{Size: n}, nil
}

// CredentialInfo is the result of "credential" and "credentialText".
type CredentialInfo struct {
	Election string `json:"election"`
	Voter    string `json:"voter"`
	Public   string `json:"public"` // hex
	// Roll says where the credential is on the roll, once the records read
	// are tied to the board's checkpoint (Anchor); null before.
	Roll *RollCheck `json:"roll"`
	// Ballot says which ballot the voter gets, once the roll is closed
	// and the election key known; null before.
	Ballot *VoterBallot `json:"ballot"`
}

// VoterBallot is the voter's ballot as the roll gives it
// (docs/spec/ballot.md §1.6, §6.1): its style, the indices of its
// contests in the definition (the page shows only those) and the voter's
// weight.
type VoterBallot struct {
	Style    string `json:"style,omitempty"`
	Contests []int  `json:"contests"`
	Weight   uint64 `json:"weight"`
}

// ballotOf returns cred's VoterBallot in e, or nil before the election
// key is known or if cred is not on the roll.
func ballotOf(e *Election, cred ed25519.PublicKey) *VoterBallot {
	if e == nil || e.Ballot == nil {
		return nil
	}
	v, ok := e.Ballot.Voter(cred)
	if !ok {
		return nil
	}
	return &VoterBallot{Style: v.Style, Contests: v.Contests, Weight: v.Weight}
}

// Credential loads the voter's credential file into the session, checked
// against the synced election: it must be on the roll. The private key
// stays inside the module.
func (s *Session) Credential(file []byte) (*CredentialInfo, error) {
	return s.loadCredential(file, false)
}

// CredentialText is Credential for a credential's text that the voter
// pasted, for example what a phone's QR code scanner read from the page the
// registrar printed; its errors speak of text rather than a file.
func (s *Session) CredentialText(text []byte) (*CredentialInfo, error) {
	return s.loadCredential(text, true)
}

func (s *Session) loadCredential(data []byte, pasted bool) (*CredentialInfo, error) {
	e := s.sync.Election()
	cred, err := LoadCredential(e, credentialBytes(data))
	if err != nil {
		return nil, explainCredential(e, data, err, pasted)
	}
	s.cred, s.pending = cred, nil
	info := &CredentialInfo{Election: cred.Election, Voter: cred.Voter, Public: hex.EncodeToString(cred.Public)}
	if s.verified() == nil {
		info.Roll, _ = CheckRoll(e, cred)
		info.Ballot = ballotOf(e, cred.Public)
	}
	return info, nil
}

// verified reports whether every record the session read is tied to the
// board's signed checkpoint: anchored after the last one was read.
func (s *Session) verified() error {
	if s.sync.Anchored() == 0 || s.anchoredAt != s.sync.Next() {
		return problemKey(CodeBadBoard, nil, "client.problem.unanchored")
	}
	return nil
}

// NewCredentialArgs is the argument of "newCredential".
type NewCredentialArgs struct {
	// Voter is the voter's identifier, as the registrar gave it.
	Voter string `json:"voter"`
}

// NewCredentialResult is the result of "newCredential".
type NewCredentialResult struct {
	Election     string `json:"election"`      // the election's id
	ManifestHash string `json:"manifest_hash"` // hex
	Voter        string `json:"voter"`
	Public       string `json:"public"` // hex
	// Credential is the credential file (ballot.md §2), with the private
	// key: the page keeps it in the browser's storage and offers it for
	// export, and sends it nowhere.
	Credential string `json:"credential"`
	// Registration is the registration request (ballot.md §2.1) to send
	// the registrar: the voter's identifier and public key, signed.
	Registration string `json:"registration"`
}

// NewCredential makes the voter's own credential (MakeCredential) for the
// synced election, whose records must be tied to the board's checkpoint,
// while the roll is open. The session does not load it: it is not on the
// roll yet.
func (s *Session) NewCredential(a *NewCredentialArgs) (*NewCredentialResult, error) {
	e := s.sync.Election()
	if e.Manifest == nil {
		return nil, problemKey(CodeNotOpen, nil, "client.problem.no-election-register")
	}
	if err := s.verified(); err != nil {
		return nil, err
	}
	cred, reg, err := MakeCredential(e, a.Voter)
	if err != nil {
		return nil, err
	}
	file, err := cred.Marshal()
	if err != nil {
		return nil, problemKey(CodeBadInput, err, "client.problem.make-credential")
	}
	return &NewCredentialResult{Election: cred.Election, ManifestHash: hex.EncodeToString(e.ManifestHash[:]), Voter: cred.Voter,
		Public: hex.EncodeToString(cred.Public), Credential: string(file), Registration: string(reg.Marshal())}, nil
}

// CheckRoll says whether a credential is on the voter roll as read from
// the board (CheckRoll): the credential text given (one kept in the
// browser's storage), or, if empty, the credential loaded. The records read
// must be tied to the board's checkpoint, so the answer rests on verified
// records only; to see later roll records, the page syncs and anchors
// again first.
func (s *Session) CheckRoll(text []byte) (*RollCheck, error) {
	e := s.sync.Election()
	cred := s.cred
	if len(bytes.TrimSpace(text)) > 0 {
		var err error
		if cred, err = ballot.ParseCredential(credentialBytes(text)); err != nil {
			return nil, problemKey(CodeBadCredential, err, "client.problem.roll-not-credential")
		}
	}
	if cred == nil {
		return nil, problemKey(CodeBadCredential, nil, "client.problem.load-first")
	}
	if e.Manifest == nil {
		return nil, problemKey(CodeNotOpen, nil, "client.problem.no-election")
	}
	if err := s.verified(); err != nil {
		return nil, err
	}
	return CheckRoll(e, cred)
}

// PrepareArgs is the argument of "prepare".
type PrepareArgs struct {
	// Choices are the counts per contest per option, in definition order.
	Choices [][]uint64 `json:"choices"`
	// WriteIns are the names written in, one per contest in definition
	// order ("" for none), or absent when none is written.
	WriteIns []string `json:"write_ins,omitempty"`
	// Prev is the device's previous confirmation code in hex, "" for none.
	Prev string `json:"prev"`
}

// PrepareResult is the result of "prepare".
type PrepareResult struct {
	Code  string `json:"code"`  // full confirmation code, hex: the device's next prev
	Short string `json:"short"` // the code as shown to the voter
	Bytes int    `json:"bytes"` // size of the encrypted ballot
}

// Prepare encrypts the voter's choices and keeps the ballot for "cast" or
// "challenge".
func (s *Session) Prepare(a *PrepareArgs) (*PrepareResult, error) {
	if s.cred == nil {
		return nil, problemKey(CodeBadCredential, nil, "client.problem.load-file-first")
	}
	if s.sync.Anchored() == 0 {
		return nil, problemKey(CodeBadBoard, nil, "client.problem.unanchored-encrypt")
	}
	prev, err := ParseCode(a.Prev)
	if err != nil {
		prev = ballot.ConfirmationCode{} // a corrupted device memory must not stop the voter
	}
	if s.manifest() != nil {
		if _, err := s.Check(&CheckArgs{Choices: a.Choices, WriteIns: a.WriteIns}); err != nil {
			return nil, err
		}
	}
	p, err := PrepareWriteIns(s.sync.Election(), s.cred, ballot.Choices(a.Choices), ballot.WriteIns(a.WriteIns), prev)
	if err != nil {
		return nil, err
	}
	s.pending = p
	return &PrepareResult{Code: p.Code.String(), Short: p.Code.Short(), Bytes: len(p.Ballot.Marshal())}, nil
}

// CheckArgs is the argument of "check".
type CheckArgs struct {
	// Choices are as PrepareArgs.Choices.
	Choices [][]uint64 `json:"choices"`
	// WriteIns are as PrepareArgs.WriteIns.
	WriteIns []string `json:"write_ins,omitempty"`
}

// CheckResult is the result of "check": the choices keep every rule.
type CheckResult struct{}

// Check says whether choices and the names written in keep every
// contest's rules (ballot.ValidateChoices, then ballot.ValidateWriteIns),
// as Prepare first checks them, without encrypting anything: a
// CodeInvalidChoices problem names the fault with the titles in the
// reader's language (SetLanguage), so that the page can say it again when
// the reader switches language.
func (s *Session) Check(a *CheckArgs) (*CheckResult, error) {
	m := s.manifest()
	if m == nil {
		return nil, problemKey(CodeNotOpen, nil, "client.problem.no-election")
	}
	if err := ballot.ValidateChoices(m, a.Choices); err != nil {
		return nil, explainChoices(m, err)
	}
	if err := ballot.ValidateWriteIns(m, a.Choices, a.WriteIns); err != nil {
		return nil, explainWriteIn(m, a.Choices, a.WriteIns, err)
	}
	return &CheckResult{}, nil
}

// SubmitArgs is the optional argument of "cast" and "challenge".
type SubmitArgs struct {
	// Checkpoint is the board's signed checkpoint (GET /checkpoint), read
	// just before: the board cannot hold the ballot among the records it
	// signs, so a lookup after a lost answer reads only the records after
	// them. Empty: the checkpoint the page anchored with.
	Checkpoint string `json:"checkpoint"`
	// Operator is the index, among the operators (SetOperators), of the
	// operator whose checkpoint Checkpoint is and to which the ballot is
	// posted first: 0, the board that served the page, unless it cannot
	// be reached (docs/spec/voter-client.md §5.7).
	Operator int `json:"operator"`
}

// SubmitResult is the result of "cast" and "challenge".
type SubmitResult struct {
	// Submission is the request body for POST /records.
	Submission string `json:"submission"`
	Code       string `json:"code"`
	Short      string `json:"short"`
}

// Submit signs the pending ballot for casting, or its challenge, and
// starts its delivery (NewDelivery), bounded by the checkpoint in a (nil:
// the one the page anchored with). The ballot stays pending if that
// checkpoint does not check out.
func (s *Session) Submit(challenge bool, a *SubmitArgs) (*SubmitResult, error) {
	if s.pending == nil {
		return nil, problemKey(CodeNoBallot, nil, "client.problem.nothing-to-send")
	}
	before, at := s.anchorNote, 0
	if a != nil && a.Checkpoint != "" {
		before, at = []byte(a.Checkpoint), a.Operator
	}
	if at < 0 || at > 0 && at >= len(s.operators) {
		return nil, problemKey(CodeBadInput, nil, "client.problem.unknown-operator")
	}
	op := s.operator(at)
	if _, err := boardCheckpoint(op.BoardKey, before); err != nil {
		return nil, err
	}
	if at > 0 {
		// Another operator's checkpoint: relied on only with the
		// election's trust policy, as on failing over.
		if err := checkWitnessed(s.sync.Election().Manifest, op.BoardKey, before); err != nil {
			return nil, err
		}
	}
	p := s.pending
	var sub *bulletin.Submission
	var err error
	if challenge {
		sub, err = p.ChallengeSubmission()
	} else {
		sub, err = p.CastSubmission()
	}
	if err != nil {
		return nil, err
	}
	s.pending = nil
	if s.delivery, err = NewDelivery(sub, op.BoardKey, before, s.sync.Election().Manifest); err != nil {
		return nil, err
	}
	s.at, s.moved = at, Message{}
	s.newRound(at)
	if at > 0 {
		s.moved = msg("client.failover.unreachable", s.delivery.noun(), op.Name, op.URL)
	}
	if challenge {
		code := p.Code
		s.challenged = &code
	}
	body, err := sub.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return &SubmitResult{Submission: string(body), Code: p.Code.String(), Short: p.Code.Short()}, nil
}

// PostedArgs is the argument of "posted": the board's answer to the POST.
type PostedArgs struct {
	// Status is the HTTP status, or 0 if no answer arrived.
	Status int `json:"status"`
	// Body is the answer's body; with status 0, the browser's error.
	Body string `json:"body"`
	// BoardKey, if given, is a key the receipt of a 201 is checked with
	// too; it is always checked with the key the page anchored with.
	BoardKey string `json:"board_key"`
}

// PostedResult is the result of "posted", "delivery", "lookup",
// "lookupScan" and "lookupFinish": what the page knows of the ballot it
// sent (SentStatus).
type PostedResult struct {
	// Status is "found", "not-found", "unknown" or "pending".
	Status string `json:"status"`
	// Index, Type, Record (the payload) and Receipt (the text to save):
	// the board's record of the ballot, if found.
	Index   uint64 `json:"index"`
	Type    string `json:"type"`
	Record  string `json:"record"`
	Receipt string `json:"receipt"`
	// From, Hint, Start, Latest, Next and Prove guide a lookup (SentStatus).
	From    int64  `json:"from"`
	Hint    int64  `json:"hint"`
	Start   int64  `json:"start"`
	Latest  int64  `json:"latest"`
	Next    int64  `json:"next"`
	Prove   int64  `json:"prove"`
	Message string `json:"message"`
	// Said is Message as a message of the catalogue, for the page to say
	// in the reader's language.
	Said *Message `json:"said"`
	// Operator and URL name the operator of a replicated board the
	// ballot is posted to and looked up on ("" for the board that served
	// the page); Failover, if set, says that the page should post it to
	// the next operator (SwitchOperator).
	Operator string    `json:"operator"`
	URL      string    `json:"url"`
	Failover *Failover `json:"failover,omitempty"`
	// Moved says in words why the ballot is posted to an operator other
	// than the board that served the page; "" if it is not. MovedSaid is
	// the same as a message of the catalogue; null if it is not.
	Moved     string   `json:"moved"`
	MovedSaid *Message `json:"moved_said"`
}

// sent returns the delivery's status; once the board is known to hold
// the ballot, the delivery is over.
func (s *Session) sent() *PostedResult {
	st := s.delivery.Status()
	op := s.operator(s.at)
	said := st.Said
	r := &PostedResult{Status: st.Status, From: st.From, Hint: st.Hint, Start: st.Start, Latest: st.Latest,
		Next: st.Next, Prove: st.Prove, Message: st.Message, Said: &said, Operator: op.Name, URL: op.URL}
	if s.moved.Key != "" {
		moved := s.moved
		r.Moved, r.MovedSaid = moved.String(), &moved
	}
	if st.Status == SentFound {
		if r.MovedSaid != nil {
			both := msg("client.sent.moved-then", *r.MovedSaid, said)
			r.Message, r.Said = both.String(), &both
		}
		r.Index, r.Type, r.Record, r.Receipt = st.Record.Index, st.Record.Type, string(st.Record.Payload), string(st.Receipt.Marshal())
		s.delivery, s.hedge, s.behind = nil, nil, nil
	}
	return r
}

func (s *Session) sending() (*Delivery, error) {
	if s.delivery == nil {
		return nil, problemKey(CodeNoBallot, nil, "client.problem.none-on-way")
	}
	return s.delivery, nil
}

// Posted takes the board's answer to the last cast or challenge
// (Delivery.Answer). A refusal for good ends the delivery.
func (s *Session) Posted(a *PostedArgs) (*PostedResult, error) {
	d, err := s.sending()
	if err != nil {
		return nil, err
	}
	err = d.Answer(a.Status, []byte(a.Body))
	if why := postFailed(a.Status, a.Body, err); why.Key != "" {
		if r := s.failover(s.operator(s.at).Name, why); r != nil {
			return r, nil
		}
	}
	if err != nil {
		if AsProblem(err).Code != CodeBadBoard {
			s.delivery = nil
		}
		return nil, err
	}
	if st := d.Status(); st.Status == SentFound && a.BoardKey != "" && strings.TrimSpace(a.BoardKey) != s.boardKey {
		if _, _, err := verifyReceipt(st.Receipt, a.BoardKey); err != nil {
			return nil, err
		}
	}
	return s.sent(), nil
}

// Resend starts a new round of posts of the ballot on its way, from the
// operator it was last posted to, when the voter sends it again: each
// operator may be tried once more.
func (s *Session) Resend() (*PostedResult, error) {
	if _, err := s.sending(); err != nil {
		return nil, err
	}
	s.newRound(s.at)
	return s.sent(), nil
}

// newRound starts a round of posts of the ballot on its way at the
// operator first: each operator may be tried once, and no post of an
// earlier round is waited for.
func (s *Session) newRound(first int) {
	s.first, s.tried = first, 1
	s.hedge, s.behind = nil, nil
}

// Delivery returns what the page knows of the ballot it sent.
func (s *Session) Delivery() (*PostedResult, error) {
	if _, err := s.sending(); err != nil {
		return nil, err
	}
	return s.sent(), nil
}

// LookupArgs is the argument of "lookup": what the page fetched to look
// the ballot sent up on the board (Delivery.Lookup).
type LookupArgs struct {
	Checkpoint  string `json:"checkpoint"` // GET /checkpoint, of N records
	Consistency struct {
		Proof tlog.TreeProof `json:"proof"`
	} `json:"consistency"` // GET /proof/consistency?old=<from>&new=N, if N ≥ from
	Record string `json:"record"` // GET /records/<start>, if start < N
	Proof  struct {
		Proof tlog.RecordProof `json:"proof"`
	} `json:"proof"` // GET /proof/inclusion?index=<start>&size=N, if start < N
}

// Lookup starts looking the ballot sent up on the board.
func (s *Session) Lookup(a *LookupArgs) (*PostedResult, error) {
	d, err := s.sending()
	if err != nil {
		return nil, err
	}
	if err := d.Lookup([]byte(a.Checkpoint), a.Consistency.Proof, []byte(a.Record), a.Proof.Proof); err != nil {
		return nil, err
	}
	return s.sent(), nil
}

// LookupScan feeds a page of records (GET /records?start=<next>&end=<latest>)
// to the lookup under way.
func (s *Session) LookupScan(page []byte) (*PostedResult, error) {
	d, err := s.sending()
	if err != nil {
		return nil, err
	}
	if err := d.pending(); err != nil {
		return nil, err
	}
	recs, err := ParseRecords(page)
	if err != nil {
		return nil, d.fail(badBoard(err, "its records are not readable"))
	}
	if err := d.Add(recs); err != nil {
		return nil, err
	}
	return s.sent(), nil
}

// LookupFinish ends the lookup under way with the inclusion proof of
// record <prove> (GET /proof/inclusion?index=<prove>&size=<latest>).
func (s *Session) LookupFinish(proof tlog.RecordProof) (*PostedResult, error) {
	d, err := s.sending()
	if err != nil {
		return nil, err
	}
	if err := d.Finish(proof); err != nil {
		return nil, err
	}
	return s.sent(), nil
}

// RevealResult is the result of "reveal".
type RevealResult struct {
	Code  string `json:"code"`
	Short string `json:"short"`
	// Challenged is true if this is the ballot this session challenged.
	Challenged bool             `json:"challenged"`
	Choices    [][]uint64       `json:"choices"`
	Contests   []RevealedChoice `json:"contests"`
}

// RevealedChoice lists what a challenged ballot holds for one contest.
type RevealedChoice struct {
	Title string `json:"title"`
	// Ranked is true for a ranked contest: each selection's Count is
	// its rank, and the selections are in rank order.
	Ranked     bool       `json:"ranked"`
	Selections []Selected `json:"selections"`         // empty: nothing marked
	WriteIn    string     `json:"write_in,omitempty"` // the name written in, if any
}

// Selected is one option with a non-zero count.
type Selected struct {
	Title string `json:"title"`
	Count uint64 `json:"count"`
}

// Reveal checks a challenged ballot's payload and says what it encrypts.
func (s *Session) Reveal(payload []byte) (*RevealResult, error) {
	e := s.sync.Election()
	rv, err := RevealChallenge(e, payload)
	if err != nil {
		return nil, err
	}
	res := &RevealResult{Code: rv.Code.String(), Short: rv.Code.Short(), Choices: rv.Choices,
		Challenged: s.challenged != nil && *s.challenged == rv.Code}
	for i, c := range s.manifest().Contests {
		if rv.Choices[i] == nil {
			continue // not on the voter's ballot
		}
		rc := RevealedChoice{Title: c.Title, Ranked: c.Ranked(), Selections: []Selected{}}
		if rv.WriteIns != nil {
			rc.WriteIn = rv.WriteIns[i]
		}
		for k, n := range rv.Choices[i] {
			if n > 0 {
				rc.Selections = append(rc.Selections, Selected{Title: c.Options[k].Title, Count: n})
			}
		}
		if rc.Ranked {
			slices.SortStableFunc(rc.Selections, func(a, b Selected) int { return cmp.Compare(a.Count, b.Count) })
		}
		res.Contests = append(res.Contests, rc)
	}
	return res, nil
}

// ReceiptInfoResult is the result of "receiptInfo".
type ReceiptInfoResult struct {
	Index int64 `json:"index"`
	Size  int64 `json:"size"` // fetch the consistency proof from this size
	// Origin is the board whose checkpoint the receipt carries, and
	// Operator, on a replicated board, the operator of that name the
	// session knows (SetOperators), on whose board the receipt is checked
	// with its key (docs/spec/voter-client.md §5.7); nil if none.
	Origin   string    `json:"origin"`
	Operator *Operator `json:"operator"`
}

// ReceiptInfo reads a receipt's record index and tree size, unverified,
// so that the page knows which proof and record to fetch.
func ReceiptInfo(receipt []byte) (*ReceiptInfoResult, error) {
	r, err := parseReceipt(receipt)
	if err != nil {
		return nil, problemKey(CodeBadReceipt, err, "client.problem.not-receipt")
	}
	cp, err := receiptCheckpoint(r)
	if err != nil {
		return nil, problemKey(CodeBadReceipt, err, "client.problem.not-receipt")
	}
	return &ReceiptInfoResult{Index: r.Index, Size: cp.Size, Origin: cp.Origin}, nil
}

// receiptInfo is ReceiptInfo, naming the operator whose checkpoint the
// receipt carries, if the session knows it.
func (s *Session) receiptInfo(receipt []byte) (*ReceiptInfoResult, error) {
	info, err := ReceiptInfo(receipt)
	if err != nil {
		return nil, err
	}
	for _, op := range s.operators {
		if op.Name == info.Origin {
			info.Operator = &op
		}
	}
	return info, nil
}

// ReceiptArgs is the argument of "checkReceipt": the receipt and what the
// page fetched from the board.
type ReceiptArgs struct {
	Receipt     string `json:"receipt"`
	BoardKey    string `json:"board_key"`
	Checkpoint  string `json:"checkpoint"` // GET /checkpoint
	Consistency struct {
		Proof []tlog.Hash `json:"proof"`
	} `json:"consistency"` // GET /proof/consistency?old=<receipt size>&new=<checkpoint size>
	Record string `json:"record"` // GET /records/{index}
	// CheckpointKey, if set and not BoardKey, is the key of the operator
	// of the same replicated board that Checkpoint, Consistency and Record
	// come from, when the operator whose key signed the receipt cannot be
	// reached (docs/spec/voter-client.md §5.7): both keys must be board
	// keys the election's definition names for its operators.
	CheckpointKey string `json:"checkpoint_key,omitempty"`
}

// ReceiptResult is the result of "checkReceipt", "receiptScan" and
// "receiptFinish": the check's status and what it means in plain words.
type ReceiptResult struct {
	ReceiptStatus
	// Message is in English; Said is the same as a message of the
	// catalogue, for the page to say in the reader's language.
	Message string  `json:"message"`
	Said    Message `json:"said"`
}

func receiptResult(st ReceiptStatus) *ReceiptResult {
	said := receiptMessage(&st)
	return &ReceiptResult{ReceiptStatus: st, Message: said.String(), Said: said}
}

// CheckReceipt starts the receipt check of docs/spec/voter-client.md §6 on
// the page's arguments (voterclient.CheckReceipt), against the synced
// election. A check with status StatusPending waits in the session for
// ReceiptScan and ReceiptFinish; it replaces any check under way.
func (s *Session) CheckReceipt(a *ReceiptArgs) (*ReceiptResult, error) {
	s.receipt = nil
	if a.BoardKey == "" {
		return nil, problemKey(CodeBadReceipt, nil, "client.problem.receipt-no-key")
	}
	latestKey := strings.TrimSpace(a.BoardKey)
	if k := strings.TrimSpace(a.CheckpointKey); k != "" && k != latestKey {
		if err := s.operatorKeys(latestKey, k); err != nil {
			return nil, err
		}
		latestKey = k
	}
	c, err := checkReceipt([]byte(a.Receipt), a.BoardKey, latestKey, []byte(a.Checkpoint), a.Consistency.Proof, []byte(a.Record), s.sync.Election().Ballot)
	if err != nil {
		return nil, err
	}
	if c.Status().Status == StatusPending {
		s.receipt = c
	}
	return receiptResult(c.Status()), nil
}

// operatorKeys checks that each of keys is the board key that the
// election's definition names for one of its operators.
func (s *Session) operatorKeys(keys ...string) error {
	e := s.sync.Election()
	if e == nil || e.Manifest == nil || len(e.Manifest.Operators) == 0 {
		return problemKey(CodeBadInput, nil, "client.problem.receipt-no-operators")
	}
	for _, key := range keys {
		v, err := note.NewVerifier(key)
		if err == nil && e.Manifest.IsOperator(v.Name()) {
			err = election.CheckBoardKey(e.Manifest, key)
		} else if err == nil {
			err = fmt.Errorf("%q is not an operator the election's definition names", v.Name())
		}
		if err != nil {
			return problemKey(CodeBadReceipt, err, "client.problem.receipt-not-operator-key", key, err.Error())
		}
	}
	return nil
}

// ReceiptScan feeds a page of the records after the receipted ballot (the
// body of GET /records?start=<next>&end=<latest>) to the check under way.
func (s *Session) ReceiptScan(page []byte) (*ReceiptResult, error) {
	c, err := s.receiptCheck()
	if err != nil {
		return nil, err
	}
	recs, err := ParseRecords(page)
	if err != nil {
		s.receipt = nil
		return nil, badBoard(err, "its records are not readable")
	}
	if err := c.Add(recs); err != nil {
		s.receipt = nil
		return nil, err
	}
	return receiptResult(c.Status()), nil
}

// ReceiptFinish ends the check under way with proof, the inclusion proof
// of the last record in the board's current checkpoint (GET
// /proof/inclusion?index=<latest-1>&size=<latest>).
func (s *Session) ReceiptFinish(proof tlog.RecordProof) (*ReceiptResult, error) {
	c, err := s.receiptCheck()
	if err != nil {
		return nil, err
	}
	s.receipt = nil
	st, err := c.Finish(proof)
	if err != nil {
		return nil, err
	}
	return receiptResult(*st), nil
}

func (s *Session) receiptCheck() (*ReceiptCheck, error) {
	if s.receipt == nil {
		return nil, problemKey(CodeBadInput, nil, "client.problem.no-receipt-check")
	}
	return s.receipt, nil
}
