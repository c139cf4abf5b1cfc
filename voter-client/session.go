package voterclient

import (
	"encoding/hex"
	"encoding/json"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

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
	cred       *ballot.Credential
	pending    *Prepared
	sent       *bulletin.Submission // the last cast or challenge submission, until Posted
	challenged *ballot.ConfirmationCode
}

// NewSession returns a session with nothing synced or loaded.
func NewSession() *Session { return &Session{sync: NewSyncer()} }

// Call runs the function name with its JSON argument arg and returns the
// JSON envelope {"ok":true,"result":…} or {"ok":false,"error":{"code",
// "message","detail"}}. The functions are described in
// docs/spec/voter-client.md §4.
func (s *Session) Call(name, arg string) string {
	var (
		res any
		err error
	)
	switch name {
	case "sync":
		res, err = s.Sync([]byte(arg))
	case "credential":
		res, err = s.Credential([]byte(arg))
	case "prepare":
		var a PrepareArgs
		if err = decodeArg(arg, &a); err == nil {
			res, err = s.Prepare(&a)
		}
	case "cast":
		res, err = s.Submit(false)
	case "challenge":
		res, err = s.Submit(true)
	case "posted":
		var a PostedArgs
		if err = decodeArg(arg, &a); err == nil {
			res, err = s.Posted(&a)
		}
	case "reveal":
		res, err = s.Reveal([]byte(arg))
	case "receiptInfo":
		res, err = ReceiptInfo([]byte(arg))
	case "checkReceipt":
		var a ReceiptArgs
		if err = decodeArg(arg, &a); err == nil {
			res, err = CheckReceiptArgs(&a)
		}
	default:
		err = problem(CodeBadInput, nil, "The voting page asked for an unknown function %q.", name)
	}
	var out []byte
	if err != nil {
		p := AsProblem(err)
		detail := ""
		if p.Err != nil {
			detail = p.Err.Error()
		}
		out, _ = json.Marshal(map[string]any{"ok": false, "error": map[string]string{"code": p.Code, "message": p.Message, "detail": detail}})
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
		return problem(CodeBadInput, err, "The voting page passed malformed data. Reload the page and try again.")
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
	Voters       int                   `json:"voters"`
	Trustees     int                   `json:"trustees"`
	Threshold    int                   `json:"threshold"`
	Contests     []ContestInfo         `json:"contests"`
	Clients      []election.ClientHash `json:"clients"`
}

// ContestInfo describes one contest and its rules.
type ContestInfo struct {
	ID            string       `json:"id"`
	Title         string       `json:"title"`
	Kind          string       `json:"kind,omitempty"`
	MinSelections int          `json:"min_selections"`
	MaxSelections int          `json:"max_selections"`
	OptionMax     int          `json:"option_max"`
	Rule          string       `json:"rule"`
	Options       []OptionInfo `json:"options"`
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
		Voters: len(m.Voters), Trustees: len(m.Trustees), Threshold: m.Threshold,
		Clients: append([]election.ClientHash{}, e.Clients...),
	}
	if e.Ballot != nil {
		in.BaseHash = hex.EncodeToString(e.Ballot.BaseHash[:])
	}
	for i := range m.Contests {
		c := &m.Contests[i]
		ci := ContestInfo{ID: c.ID, Title: c.Title, Kind: c.Kind, MinSelections: c.MinSelections,
			MaxSelections: c.MaxSelections, OptionMax: c.OptionMax, Rule: Rule(c)}
		for _, o := range c.Options {
			ci.Options = append(ci.Options, OptionInfo{ID: o.ID, Title: o.Title})
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
	return &SyncResult{Done: s.sync.Done(), Next: s.sync.Next(), Election: Info(s.sync.Election())}, nil
}

// CredentialInfo is the result of "credential".
type CredentialInfo struct {
	Election string `json:"election"`
	Public   string `json:"public"` // hex
}

// Credential loads the voter's credential file into the session, checked
// against the synced election. The private key stays inside the module.
func (s *Session) Credential(file []byte) (*CredentialInfo, error) {
	cred, err := LoadCredential(s.sync.Election(), file)
	if err != nil {
		return nil, err
	}
	s.cred, s.pending = cred, nil
	return &CredentialInfo{Election: cred.Election, Public: hex.EncodeToString(cred.Public)}, nil
}

// PrepareArgs is the argument of "prepare".
type PrepareArgs struct {
	// Choices are the counts per contest per option, in definition order.
	Choices [][]uint64 `json:"choices"`
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
		return nil, problem(CodeBadCredential, nil, "Load your credential file first.")
	}
	prev, err := ParseCode(a.Prev)
	if err != nil {
		prev = ballot.ConfirmationCode{} // a corrupted device memory must not stop the voter
	}
	p, err := Prepare(s.sync.Election(), s.cred, ballot.Choices(a.Choices), prev)
	if err != nil {
		return nil, err
	}
	s.pending = p
	return &PrepareResult{Code: p.Code.String(), Short: p.Code.Short(), Bytes: len(p.Ballot.Marshal())}, nil
}

// SubmitResult is the result of "cast" and "challenge".
type SubmitResult struct {
	// Submission is the request body for POST /records.
	Submission string `json:"submission"`
	Code       string `json:"code"`
	Short      string `json:"short"`
}

// Submit signs the pending ballot for casting, or its challenge.
func (s *Session) Submit(challenge bool) (*SubmitResult, error) {
	if s.pending == nil {
		return nil, problem(CodeNoBallot, nil, "There is no encrypted ballot to send. Mark your choices and encrypt them first.")
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
	s.pending, s.sent = nil, sub
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
	Status   int    `json:"status"`
	Body     string `json:"body"`
	BoardKey string `json:"board_key"` // optional: check the receipt's signature too
}

// PostedResult is the result of "posted".
type PostedResult struct {
	Index   uint64 `json:"index"`
	Type    string `json:"type"`
	Record  string `json:"record"`  // the record's payload
	Receipt string `json:"receipt"` // the receipt text to save
}

// Posted checks the board's answer to the last cast or challenge.
func (s *Session) Posted(a *PostedArgs) (*PostedResult, error) {
	if s.sent == nil {
		return nil, problem(CodeNoBallot, nil, "No ballot was sent.")
	}
	rec, receipt, err := Posted(s.sent, a.Status, []byte(a.Body), a.BoardKey)
	if err != nil {
		return nil, err
	}
	s.sent = nil
	return &PostedResult{Index: rec.Index, Type: rec.Type, Record: string(rec.Payload), Receipt: string(receipt.Marshal())}, nil
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
	Title      string     `json:"title"`
	Selections []Selected `json:"selections"` // empty: nothing marked
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
	for i, c := range e.Manifest.Contests {
		rc := RevealedChoice{Title: c.Title, Selections: []Selected{}}
		for k, n := range rv.Choices[i] {
			if n > 0 {
				rc.Selections = append(rc.Selections, Selected{Title: c.Options[k].Title, Count: n})
			}
		}
		res.Contests = append(res.Contests, rc)
	}
	return res, nil
}

// ReceiptInfoResult is the result of "receiptInfo".
type ReceiptInfoResult struct {
	Index int64 `json:"index"`
	Size  int64 `json:"size"` // fetch the consistency proof from this size
}

// ReceiptInfo reads a receipt's record index and tree size, unverified,
// so that the page knows which proof and record to fetch.
func ReceiptInfo(receipt []byte) (*ReceiptInfoResult, error) {
	r, err := parseReceipt(receipt)
	if err != nil {
		return nil, problem(CodeBadReceipt, err, "This file is not a ballot receipt, or it is damaged. Choose the receipt file you saved when you cast your ballot.")
	}
	size, err := receiptSize(r)
	if err != nil {
		return nil, problem(CodeBadReceipt, err, "This file is not a ballot receipt, or it is damaged. Choose the receipt file you saved when you cast your ballot.")
	}
	return &ReceiptInfoResult{Index: r.Index, Size: size}, nil
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
	Record string `json:"record"` // GET /records/{index}; optional
}

// ReceiptResult is the result of "checkReceipt".
type ReceiptResult struct {
	ReceiptStatus
	Message string `json:"message"`
}

// CheckReceiptArgs runs CheckReceipt on the page's arguments.
func CheckReceiptArgs(a *ReceiptArgs) (*ReceiptResult, error) {
	if a.BoardKey == "" {
		return nil, problem(CodeBadReceipt, nil, "The board's public key is needed to check a receipt. Enter the key your election official published.")
	}
	var rec []byte
	if a.Record != "" {
		rec = []byte(a.Record)
	}
	st, err := CheckReceipt([]byte(a.Receipt), a.BoardKey, []byte(a.Checkpoint), a.Consistency.Proof, rec)
	if err != nil {
		return nil, err
	}
	msg := fmt.Sprintf("Your receipt is valid. Your ballot is record %d on the board, inside the tree of %d records the board signed when it took your ballot, and the board's current tree of %d records still contains that history unchanged.", st.Index, st.Size, st.Latest)
	return &ReceiptResult{ReceiptStatus: *st, Message: msg}, nil
}
