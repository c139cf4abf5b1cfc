// Package web serves the voter web page and the observer page of an evote
// bulletin board (docs/spec/voter-client.md §2, §7).
//
// The voter page runs the voter client, package voterclient compiled to
// WebAssembly (cmd/voterclient-wasm, built by scripts/build-web.sh), so the
// ballot is encrypted and proved in the voter's browser with the same Go
// code as the CLI. Every file the pages need is served here: the HTML, the
// script and style sheets embedded in this package, and the module and Go's
// wasm_exec.js read from a build directory. The pages load nothing from
// any other server.
//
// Register mounts the routes on the board's mux:
//
//	GET /{$}                       the voter page
//	GET /observe                   the observer page
//	GET /static/…                  app.js, observe.js, i18n.js, style.css
//	GET /voter.wasm                the voter client module
//	GET /wasm_exec.js              Go's WebAssembly support script
//	GET /election/summary          phase, counts, result table, ranked counts, write-ins (JSON)
//	GET /election/voters/{key}     whether a credential has a counted ballot
//	GET /election/operators        the operators the page posts to, in order
//	GET /messages.json             the pages' message catalogue (internal/i18n)
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/text/language"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/election"
	"github.com/evote/evote/internal/httpjson"
	"github.com/evote/evote/internal/i18n"
)

//go:embed static
var static embed.FS

// Files the build directory must hold (scripts/build-web.sh writes them).
const (
	WasmFile     = "voter.wasm"
	WasmExecFile = "wasm_exec.js"
)

// Options configure the pages.
type Options struct {
	// WasmDir is the directory holding voter.wasm and wasm_exec.js, as
	// written by scripts/build-web.sh. Required.
	WasmDir string
	// State returns the board's current election state, for example
	// (*election.Tracker).State. Required.
	State func() *election.State
	// BoardKey is the board's checkpoint verifier key (note.NewVerifier
	// format). The voter page offers it as the default key to check
	// receipts with; voters can type in one published elsewhere.
	BoardKey string
	// Operators are, on a board kept by several operators
	// (docs/spec/replicated-board.md §5.1), the other operators the voter
	// page falls over to when this one does not acknowledge a ballot:
	// each one's name, board URL and board key, in the order the page
	// tries them after this board. After them the pages take the other
	// operators that the election's definition gives a url hint for
	// (ballot.Operator.URL). Those operators' origins are the only others
	// the pages may connect to (Content-Security-Policy connect-src).
	Operators []Operator
	// Attempt bounds how long the pages wait for one operator's answer
	// (to a ballot, the answer; to a read, its headers; the observer's
	// feed, its opening) before they fall over to the next;
	// client.DefaultAttempt if zero.
	Attempt time.Duration
	// Hedge, if positive and shorter than Attempt, is how long the voter
	// page waits for one operator's answer to a ballot before it posts
	// the ballot to the next operator as well, the first receipt counting
	// (an operator whose link died during the post neither answers nor
	// fails); if zero, it posts to one operator at a time.
	Hedge time.Duration
}

// Operator is one operator of a replicated board as the voter page knows
// it (GET /election/operators).
type Operator struct {
	// Name is the operator's name, the origin of its checkpoints.
	Name string `json:"name"`
	// URL is its board's base URL: scheme://host[:port] with no path for
	// Options.Operators, the url hint as the definition gives it for the
	// others; "" for the board that serves the page.
	URL string `json:"url"`
	// BoardKey is its checkpoints' verifier key (note.NewVerifier format).
	BoardKey string `json:"board_key"`
}

// Operators is the body of GET /election/operators.
type Operators struct {
	// Operators are the boards the page posts a ballot to, in order: this
	// one (URL "") first, then the others of Options.Operators, then the
	// other operators the election's definition gives a url hint for.
	Operators []Operator `json:"operators"`
	// AttemptMS is how long, in milliseconds, the pages wait for one
	// operator's answer before they fall over to the next (Options.Attempt).
	AttemptMS int64 `json:"attempt_ms"`
	// HedgeMS is how long, in milliseconds, the voter page waits for one
	// operator's answer to a ballot before it posts the ballot to the next
	// operator as well (Options.Hedge); 0: one operator at a time.
	HedgeMS int64 `json:"hedge_ms"`
}

// contentSecurityPolicy allows the pages to run their own scripts, the
// WebAssembly module and requests to this server and the origins of
// connect (the other operators), with their websocket feeds, and nothing
// else.
func contentSecurityPolicy(connect []string) string {
	src := []string{"'self'"}
	for _, o := range connect {
		if !slices.Contains(src, o) {
			src = append(src, o)
		}
	}
	for _, o := range src[1:] {
		ws := "ws" + strings.TrimPrefix(o, "http")
		if !slices.Contains(src, ws) {
			src = append(src, ws)
		}
	}
	return "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
		"connect-src " + strings.Join(src, " ") +
		"; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

// origin returns the web origin of a board's base URL, scheme://host[:port].
func origin(u *url.URL) string { return u.Scheme + "://" + u.Host }

type handler struct {
	opts     Options
	wasm     []byte
	wasmGz   []byte // wasm, gzip-compressed once at startup
	wasmExec []byte
	wasmSum  string
	static   fs.FS
	modTime  time.Time
	peers    []string // the origins of Options.Operators
	self     string   // the name of Options.BoardKey: this operator's; "" without a key
}

// Register mounts the voter and observer pages on mux (see the package
// documentation for the routes). It reads the module once, so the bytes
// served are the ones whose SHA-256 it reports (the client_sha256 field of
// /election/summary).
func Register(mux *http.ServeMux, opts Options) error {
	h, err := newHandler(opts)
	if err != nil {
		return err
	}
	mux.HandleFunc("GET /{$}", h.page("index.html"))
	mux.HandleFunc("GET /observe", h.page("observe.html"))
	mux.Handle("GET /static/", http.StripPrefix("/static/", h.secure(http.FileServerFS(h.static))))
	mux.HandleFunc("GET /"+WasmFile, h.blob(h.wasm, h.wasmGz, "application/wasm"))
	mux.HandleFunc("GET /"+WasmExecFile, h.blob(h.wasmExec, nil, "text/javascript; charset=utf-8"))
	mux.HandleFunc("GET /election/summary", h.summary)
	mux.HandleFunc("GET /election/voters/{key}", h.voter)
	mux.HandleFunc("GET /election/operators", h.operators)
	mux.HandleFunc("GET /messages.json", h.blob(i18n.Default.JSON(), nil, "application/json"))
	return nil
}

func newHandler(opts Options) (*handler, error) {
	if opts.State == nil {
		return nil, errors.New("web: Options.State is required")
	}
	if opts.WasmDir == "" {
		return nil, errors.New("web: Options.WasmDir is required: build it with scripts/build-web.sh")
	}
	wasm, err := os.ReadFile(filepath.Join(opts.WasmDir, WasmFile))
	if err != nil {
		return nil, fmt.Errorf("web: reading the voter module (build it with scripts/build-web.sh): %w", err)
	}
	exec, err := os.ReadFile(filepath.Join(opts.WasmDir, WasmExecFile))
	if err != nil {
		return nil, fmt.Errorf("web: reading Go's wasm_exec.js (scripts/build-web.sh copies it): %w", err)
	}
	var connect []string
	for _, op := range opts.Operators {
		u, err := url.Parse(op.URL)
		if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.User != nil {
			return nil, fmt.Errorf("web: operator %q's URL %q is not scheme://host[:port]", op.Name, op.URL)
		}
		if _, err := note.NewVerifier(op.BoardKey); err != nil {
			return nil, fmt.Errorf("web: operator %q's board key: %w", op.Name, err)
		}
		connect = append(connect, origin(u))
	}
	if opts.Attempt <= 0 {
		opts.Attempt = client.DefaultAttempt
	}
	sub, err := fs.Sub(static, "static")
	if err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	zw.Write(wasm)
	if err := zw.Close(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(wasm)
	return &handler{opts: opts, wasm: wasm, wasmGz: gz.Bytes(), wasmExec: exec, wasmSum: hex.EncodeToString(sum[:]), static: sub, modTime: time.Now(),
		peers: connect, self: keyName(opts.BoardKey)}, nil
}

// secure sets the headers every page response carries.
func (h *handler) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.setSecurityHeaders(w)
		next.ServeHTTP(w, r)
	})
}

func (h *handler) setSecurityHeaders(w http.ResponseWriter) {
	hd := w.Header()
	connect := h.peers
	for _, op := range h.hinted() {
		if u, err := url.Parse(op.URL); err == nil {
			connect = append(connect, origin(u))
		}
	}
	hd.Set("Content-Security-Policy", contentSecurityPolicy(connect))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-cache")
}

// page serves the HTML page name with its <noscript> text in the
// language the browser asks for (noscriptIn): without JavaScript, the
// page's script cannot translate it.
func (h *handler) page(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := fs.ReadFile(h.static, name)
		if err != nil {
			http.Error(w, "page missing", http.StatusInternalServerError)
			return
		}
		h.setSecurityHeaders(w)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Add("Vary", "Accept-Language")
		http.ServeContent(w, r, name, h.modTime, bytes.NewReader(noscriptIn(b, readerLanguage(r))))
	}
}

// readerLanguage returns the catalogue's language that best matches the
// request's Accept-Language header (i18n.Catalogue.Match), English if
// none does.
func readerLanguage(r *http.Request) string {
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil {
		return i18n.Languages[0]
	}
	prefs := make([]string, len(tags))
	for i, t := range tags {
		prefs[i] = t.String()
	}
	return i18n.Default.Match(prefs...)
}

// noscriptText finds a page's <noscript> paragraph: its opening tag up to
// the catalogue key it names (data-i18n), the rest of the tag, and its
// text.
var noscriptText = regexp.MustCompile(`(<noscript><p [^>]*data-i18n="([a-z0-9.-]+)")([^>]*>)([^<]*(?:<[^/][^<]*)*)(</p></noscript>)`)

// noscriptIn returns page with its <noscript> paragraph in lang, marked
// with lang; page itself for English, the language of its HTML.
func noscriptIn(page []byte, lang string) []byte {
	if lang == i18n.Languages[0] {
		return page
	}
	return noscriptText.ReplaceAllFunc(page, func(m []byte) []byte {
		sub := noscriptText.FindSubmatch(m)
		msg := i18n.Default.Message(lang, string(sub[2]))
		if msg == "" {
			return m
		}
		return slices.Concat(sub[1], []byte(` lang="`+lang+`"`), sub[3], []byte(html.EscapeString(msg)), sub[5])
	})
}

// blob serves b, or its gzip encoding gz (if not nil) to clients that
// accept it: the module shrinks about 3.5 times. Either way the client
// decodes the same bytes, whose hash the page checks.
func (h *handler) blob(b, gz []byte, ctype string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h.setSecurityHeaders(w)
		w.Header().Set("Content-Type", ctype)
		body := b
		if gz != nil {
			w.Header().Add("Vary", "Accept-Encoding")
			if acceptsGzip(r) {
				w.Header().Set("Content-Encoding", "gzip")
				body = gz
			}
		}
		http.ServeContent(w, r, "", h.modTime, bytes.NewReader(body))
	}
}

func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
			if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
				return true
			}
		}
	}
	return false
}

// Summary is the body of GET /election/summary.
type Summary struct {
	election.Summary
	// Result is the published result, one line per option; absent before.
	Result []ResultLine `json:"result,omitempty"`
	// Contests are, with the result, each contest's counted ballots and
	// their weight, for an election with ballot styles or weights
	// (election.State.ResultContests); absent otherwise.
	Contests []election.ContestCount `json:"contests,omitempty"`
	// Ranked are the ranked contests, in the definition's order, with
	// their mixes, decryptions and count so far; absent if it has none.
	Ranked []RankedContest `json:"ranked,omitempty"`
	// WriteIns are the contests with a write-in, in the definition's
	// order, with their mixes, decryptions and names counted so far;
	// absent if it has none.
	WriteIns []WriteInContest `json:"write_ins,omitempty"`
	// Clients are the voter client builds published on the board.
	Clients []election.ClientHash `json:"clients"`
	// ClientSHA256 is the SHA-256 of the module this server serves.
	ClientSHA256 string `json:"client_sha256"`
	// BoardKey is the board's checkpoint verifier key, if configured.
	BoardKey string `json:"board_key,omitempty"`
}

// MixProgress is a mix-net contest's progress after the close
// (docs/spec/election.md §2.5, §2.6): its mixes and the decryptions of its
// last mix.
type MixProgress struct {
	// Threshold is the number of mixes, then of decryptions, it needs.
	Threshold int `json:"threshold"`
	// Mixes are the trustees whose mixes are on the board, in order.
	Mixes []uint32 `json:"mixes"`
	// Decryptions are the trustees whose decryptions of the last mix are
	// on the board, in order.
	Decryptions []uint32 `json:"decryptions"`
}

// mixProgress returns the progress of the mix-net contest at manifest
// index i of st's election, with empty lists rather than nil.
func mixProgress(st *election.State, i int) MixProgress {
	p := MixProgress{Threshold: st.Manifest().Threshold, Mixes: st.Mixes(i), Decryptions: []uint32{}}
	if p.Mixes == nil {
		p.Mixes = []uint32{}
	}
	for _, d := range st.MixPartials(i) {
		p.Decryptions = append(p.Decryptions, d.Trustee)
	}
	return p
}

// RankedContest is a ranked contest's progress after the close and its
// count (docs/spec/election.md §2.5–§2.7), for the observer page.
type RankedContest struct {
	Contest string `json:"contest"`
	Title   string `json:"title"`
	// Method is the contest's method (ballot.MethodIRV, …).
	Method string `json:"method"`
	// Candidates are the titles of the contest's options, in order: the
	// count's candidate numbers index them.
	Candidates []string `json:"candidates"`
	MixProgress
	// Count is the posted count (election.RankedCount), absent before.
	Count json.RawMessage `json:"count,omitempty"`
}

// rankedContests returns the ranked contests of st's election with their
// progress and counts.
func rankedContests(st *election.State) []RankedContest {
	m := st.Manifest()
	if m == nil {
		return nil
	}
	var out []RankedContest
	for i, c := range m.Contests {
		if !c.Ranked() {
			continue
		}
		rc := RankedContest{Contest: c.ID, Title: c.Title, Method: c.Method, MixProgress: mixProgress(st, i)}
		for _, o := range c.Options {
			rc.Candidates = append(rc.Candidates, o.Title)
		}
		if r := st.RankedResult(i); r != nil {
			rc.Count = r.Count
		}
		out = append(out, rc)
	}
	return out
}

// WriteInContest is a contest with a write-in: its progress after the
// close and the names counted (docs/spec/ranked.md §8.6), for the
// observer page.
type WriteInContest struct {
	Contest string `json:"contest"`
	Title   string `json:"title"`
	// Option is the title of the write-in's option.
	Option string `json:"option"`
	MixProgress
	// Count is the posted count (election.WriteInCount), absent before.
	Count json.RawMessage `json:"count,omitempty"`
}

// writeInContests returns the contests with a write-in of st's election
// with their progress and counts.
func writeInContests(st *election.State) []WriteInContest {
	m := st.Manifest()
	if m == nil {
		return nil
	}
	var out []WriteInContest
	for i, c := range m.Contests {
		if c.WriteIn == nil {
			continue
		}
		wc := WriteInContest{Contest: c.ID, Title: c.Title, Option: c.Options[c.WriteIn.Option].Title, MixProgress: mixProgress(st, i)}
		if r := st.WriteInResult(i); r != nil {
			wc.Count = r.Count
		}
		out = append(out, wc)
	}
	return out
}

// ResultLine is one option's count in the published result.
type ResultLine struct {
	Contest      string `json:"contest"`
	ContestTitle string `json:"contest_title"`
	Option       string `json:"option"`
	Title        string `json:"title"`
	Count        uint64 `json:"count"`
}

func (h *handler) summary(w http.ResponseWriter, r *http.Request) {
	st := h.opts.State()
	s := Summary{Summary: st.Summary(), Ranked: rankedContests(st), WriteIns: writeInContests(st), Clients: st.ClientHashes(), ClientSHA256: h.wasmSum, BoardKey: h.opts.BoardKey}
	if s.Clients == nil {
		s.Clients = []election.ClientHash{}
	}
	if st.Result() != nil {
		if table, err := st.ResultTable(); err == nil {
			// A ranked contest's sums of ranks are no votes: its count is
			// in Ranked.
			titles, ranked := map[string]string{}, map[string]bool{}
			if m := st.Manifest(); m != nil {
				for _, c := range m.Contests {
					titles[c.ID], ranked[c.ID] = c.Title, c.Ranked()
				}
			}
			for _, l := range table {
				if ranked[l.Contest] {
					continue
				}
				s.Result = append(s.Result, ResultLine{Contest: l.Contest, ContestTitle: titles[l.Contest], Option: l.Option, Title: l.Title, Count: l.Count})
			}
			s.Contests = st.ResultContests()
		}
	}
	writeJSON(w, http.StatusOK, s)
}

// VoterStatus is the body of GET /election/voters/{key}.
type VoterStatus struct {
	// Credential is the hex credential public key asked about.
	Credential string `json:"credential"`
	// Cast is true if a ballot of this credential counts now.
	Cast bool `json:"cast"`
	// Index is that ballot's record index, if Cast.
	Index uint64 `json:"index,omitempty"`
}

// voter tells whether a credential has a counted ballot, so that the page
// can tell a voter that casting again replaces it. This is public: ballots
// on the board carry their credential.
func (h *handler) voter(w http.ResponseWriter, r *http.Request) {
	key, err := hex.DecodeString(r.PathValue("key"))
	if err != nil || len(key) != ed25519.PublicKeySize {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the credential key must be 64 hexadecimal digits", "code": "bad-request"})
		return
	}
	st := VoterStatus{Credential: hex.EncodeToString(key)}
	st.Index, st.Cast = h.opts.State().CastBallot(key)
	writeJSON(w, http.StatusOK, st)
}

// keyName returns the name of the note verifier key vkey; "" if vkey is
// not one (or empty).
func keyName(vkey string) string {
	if v, err := note.NewVerifier(vkey); err == nil {
		return v.Name()
	}
	return ""
}

// hinted returns the operators that the election's definition gives a url
// hint for, other than this board and those of Options.Operators, in the
// definition's order from the one after this board's operator
// (docs/spec/voter-client.md §2.3): each with its url hint and the board
// key the definition names for it.
func (h *handler) hinted() []Operator {
	m := h.opts.State().Manifest()
	if m == nil {
		return nil
	}
	self := h.self
	skip := map[string]bool{self: true}
	for _, op := range h.opts.Operators {
		skip[op.Name] = true
	}
	start := slices.IndexFunc(m.Operators, func(op ballot.Operator) bool { return op.Name == self }) + 1
	var out []Operator
	for k := range m.Operators {
		op := m.Operators[(start+k)%len(m.Operators)]
		if op.URL != "" && !skip[op.Name] {
			out = append(out, Operator{Name: op.Name, URL: op.URL, BoardKey: op.BoardKey})
		}
	}
	return out
}

// operators answers the boards the voter page posts a ballot to, in order
// (docs/spec/voter-client.md §5.7): this one, then Options.Operators, then
// the other operators the election's definition gives a url hint for.
func (h *handler) operators(w http.ResponseWriter, r *http.Request) {
	ops := Operators{AttemptMS: h.opts.Attempt.Milliseconds(), HedgeMS: client.EffectiveHedge(h.opts.Hedge, h.opts.Attempt).Milliseconds()}
	if h.opts.BoardKey != "" {
		ops.Operators = append(ops.Operators, Operator{Name: h.self, BoardKey: h.opts.BoardKey})
	}
	ops.Operators = append(ops.Operators, h.opts.Operators...)
	ops.Operators = append(ops.Operators, h.hinted()...)
	if ops.Operators == nil {
		ops.Operators = []Operator{}
	}
	writeJSON(w, http.StatusOK, ops)
}

// writeJSON answers v as JSON that no cache keeps.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	httpjson.Write(w, status, v)
}
