// Package server serves a bulletin board over HTTP: the JSON API for posting
// and reading records, checkpoints and proofs, and a websocket feed
// (github.com/gorilla/websocket). The API is specified in
// docs/spec/bulletin.md §8.
//
// Handler returns the complete handler; Mux returns the underlying
// http.ServeMux so other packages can mount more routes (a voter web page,
// metrics) with Go 1.22 patterns before serving.
package server

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/witness"
	"github.com/evote/evote/internal/httpjson"
)

// Config configures a Server. Log is required; zero values of the other
// fields select the defaults documented on each.
type Config struct {
	// Log is the board's log.
	Log *bulletin.Log
	// MaxBodyBytes bounds request bodies; 1 MiB + 16 KiB if 0.
	MaxBodyBytes int64
	// RateLimit is the sustained number of requests per second allowed per
	// client IP address (token bucket); 0 disables rate limiting.
	RateLimit float64
	// RateBurst is the token bucket size; ceil(RateLimit) if 0.
	RateBurst int
	// AuthorLimit is the sustained number of submissions per minute allowed
	// per author key for the types in AuthorLimitTypes (token bucket, of
	// AuthorBurst), so that one credential cannot flood the board from
	// many addresses; 0 disables it.
	AuthorLimit float64
	// AuthorBurst is that bucket's size; ceil(AuthorLimit) if 0.
	AuthorBurst int
	// AuthorLimitTypes are the record types AuthorLimit applies to: an
	// election board names its ballots and challenged ballots, not the
	// official's, trustees' or registrar's records.
	AuthorLimitTypes map[string]bool
	// TrustedProxies are the reverse proxies (TLS terminators, load
	// balancers) whose X-Forwarded-For the server believes: a request from
	// one of them is counted against the client it names, not against the
	// proxy. Without them, the whole electorate behind a proxy would share
	// one rate limit. See ParseTrustedProxies.
	TrustedProxies []netip.Prefix
	// PageSize bounds the records returned by one GET /records; 1000 if 0.
	PageSize int
	// PageWriteTimeout is how long a reader of GET /records may leave a
	// chunk of its page unread before it is cut off; 10s if 0. Pages are
	// streamed, a few records at a time, never held whole.
	PageWriteTimeout time.Duration
	// MaxPagesPerClient bounds the GET /records answers being sent to one
	// client address at once (more get 429); 4 if 0: a follower needs one.
	MaxPagesPerClient int
	// MaxPages bounds those being sent in all (more get 503); 256 if 0.
	MaxPages int
	// MaxPosts bounds the submissions being handled at once, from their
	// first byte to their answer: one more is answered 503 before its body
	// is read or its signature checked, so that a flood costs the board as
	// little as it can; 192 per CPU if 0 (the policy's own queues are
	// smaller and refuse first in normal overload).
	MaxPosts int
	// MaxFeeds bounds concurrent websocket subscribers; 1000 if 0.
	MaxFeeds int
	// MaxFeedsPerClient bounds the websocket subscribers of one client
	// address (of one /64 for IPv6, which a single subscriber commonly
	// holds whole), so that no client takes every slot of MaxFeeds (more
	// get 429); 16 if 0. An observer's page or tool holds one feed, a
	// dashboard a few; 16 leaves room for a household or small office
	// behind one NAT address, while it takes 63 addresses to fill the
	// default 1000 slots. Behind a reverse proxy, set TrustedProxies, or
	// all clients share the proxy's 16.
	MaxFeedsPerClient int
	// FeedOrigins are the web origins ("https://observer.example.org",
	// scheme://host[:port] as browsers send in the Origin header) whose
	// pages may open feeds, besides the board's own pages (an Origin whose
	// host is the request's Host). Requests without an Origin (non-browser
	// clients) are always served; "*" accepts every origin. Other origins
	// get 403: else any web page could make its visitors' browsers take
	// the feed slots. New panics on an entry ParseFeedOrigins rejects.
	FeedOrigins []string
	// APIOrigins are the web origins whose pages may use the board's API
	// from another origin (CORS, docs/spec/bulletin.md §8.2): on a
	// replicated board, the other operators' pages, whose voter page falls
	// over to this operator. Requests without an Origin and from the
	// board's own pages are always served; a preflight or a post from any
	// other origin gets 403. New panics on an entry ParseAPIOrigins
	// rejects.
	APIOrigins []string
	// OperatorURLs, if set, returns the base URLs of more boards whose
	// pages the API's and the feed's Origin policies admit as if their
	// origins were listed in APIOrigins and FeedOrigins, asked at each
	// request from an origin that is not listed: on a replicated board,
	// the url hints of the election's definition (the operators' own
	// addresses, docs/spec/replicated-board.md §5.1), which the board
	// learns only once the definition is on it, so that the other
	// operators' voter and observer pages fall over to this one. An entry
	// that is not an http(s) URL admits nothing.
	OperatorURLs func() []string
	// FeedCheckpointInterval is the least time between two checkpoints sent
	// to one subscriber; 1s if 0.
	FeedCheckpointInterval time.Duration
	// FeedWriteTimeout is how long a subscriber may leave a message unread
	// (its buffers full) before it is disconnected; 10s if 0.
	FeedWriteTimeout time.Duration
	// Logger receives one line per server-side error; slog.Default() if nil.
	Logger *slog.Logger
	// Notice, if set, says in a sentence what an appended record changed
	// (for example, which earlier ballot it supersedes); the answer to the
	// POST carries it. "" says nothing.
	Notice func(rec *bulletin.Record) string
	// Now returns the current time (rate limiter, readiness); time.Now if nil.
	Now func() time.Time
	// Storage, if set, is the log's store as GET /readyz checks it: free
	// disk space, then a write that leaves the log unchanged. Without it,
	// /readyz checks only that the log is open.
	Storage Storage
	// MinFreeSpace is the free disk space, in bytes, below which /readyz
	// says the board is not ready; 64 MiB if 0.
	MinFreeSpace uint64
	// Witnesses, if set, collects the witnesses' cosignatures: /checkpoint
	// then serves the newest checkpoint a quorum of them cosigned (the
	// log's latest until one has), and /witnesses their status.
	Witnesses *witness.Collector
	// Replica, if set, returns the counters of an operator of a
	// replicated board, which GET /metrics serves besides the board's
	// gauges.
	Replica func() ReplicaMetrics
}

// Server is the HTTP front of a bulletin board.
type Server struct {
	cfg     Config
	log     *bulletin.Log
	mux     *http.ServeMux
	limiter *limiter
	clients clientAddrs
	pages   *clientShares // GET /records answers being sent
	posts   chan struct{} // semaphore of Config.MaxPosts
	authors *limiter      // per author key, for Config.AuthorLimitTypes
	gate    *feedGate     // Origin policy and per-client shares of the feeds
	// apiOrigins is the API's Origin policy (Config.APIOrigins).
	apiOrigins originSet
	done       chan struct{}
	logger     *slog.Logger
	ready      readiness
}

// New returns a server for cfg.Log with all API routes registered.
func New(cfg Config) *Server {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = bulletin.DefaultMaxPayload + 16<<10
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = 1000
	}
	if cfg.PageWriteTimeout == 0 {
		cfg.PageWriteTimeout = 10 * time.Second
	}
	if cfg.MaxPagesPerClient == 0 {
		cfg.MaxPagesPerClient = 4
	}
	if cfg.MaxPages == 0 {
		cfg.MaxPages = 256
	}
	if cfg.MaxPosts == 0 {
		cfg.MaxPosts = 192 * runtime.GOMAXPROCS(0)
	}
	if cfg.MaxFeeds == 0 {
		cfg.MaxFeeds = 1000
	}
	if cfg.MaxFeedsPerClient <= 0 {
		cfg.MaxFeedsPerClient = 16
	}
	if cfg.FeedCheckpointInterval == 0 {
		cfg.FeedCheckpointInterval = time.Second
	}
	if cfg.FeedWriteTimeout == 0 {
		cfg.FeedWriteTimeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MinFreeSpace == 0 {
		cfg.MinFreeSpace = 64 << 20
	}
	s := &Server{
		cfg:        cfg,
		log:        cfg.Log,
		mux:        http.NewServeMux(),
		gate:       newFeedGate(cfg),
		apiOrigins: mustOriginSet("APIOrigins", ParseAPIOrigins, cfg.APIOrigins, cfg.OperatorURLs),
		done:       make(chan struct{}),
		logger:     cfg.Logger,
		clients:    clientAddrs{trusted: cfg.TrustedProxies},
		pages:      newClientShares(cfg.MaxPagesPerClient, cfg.MaxPages),
		posts:      make(chan struct{}, cfg.MaxPosts),
	}
	if cfg.RateLimit > 0 {
		s.limiter = newLimiter(cfg.RateLimit, cfg.RateBurst, cfg.Now)
	}
	if cfg.AuthorLimit > 0 {
		burst := cfg.AuthorBurst
		if burst <= 0 {
			burst = int(math.Ceil(cfg.AuthorLimit))
		}
		s.authors = newLimiter(cfg.AuthorLimit/60, burst, cfg.Now)
	}
	s.mux.HandleFunc("POST /records", s.postRecord)
	s.mux.HandleFunc("GET /records", s.getRecords)
	s.mux.HandleFunc("GET /records/{index}", s.getRecord)
	s.mux.HandleFunc("GET /checkpoint", s.getCheckpoint)
	s.mux.HandleFunc("GET /proof/inclusion", s.getInclusion)
	s.mux.HandleFunc("GET /proof/consistency", s.getConsistency)
	s.mux.HandleFunc("GET /healthz", s.getHealth)
	s.mux.HandleFunc("GET /readyz", s.getReady)
	s.mux.HandleFunc("GET /feed", s.getFeed)
	s.mux.HandleFunc("GET /tile/", s.getTile)
	s.mux.HandleFunc("GET /metrics", s.getMetrics)
	if cfg.Witnesses != nil {
		s.mux.HandleFunc("GET /witnesses", s.getWitnesses)
	}
	return s
}

// Mux returns the server's ServeMux, to register more routes, for example
//
//	srv.Mux().Handle("GET /{$}", votePage)
//
// Routes added there get the same body limit and rate limiting.
func (s *Server) Mux() *http.ServeMux { return s.mux }

// Handler returns the server's handler: the mux behind the request body
// limit and the per-IP rate limiter. Every response carries
// X-Content-Type-Options: nosniff, so that browsers take the JSON, text and
// tiles for what their Content-Type says.
func (s *Server) Handler() http.Handler {
	return http.MaxBytesHandler(http.HandlerFunc(s.serveHTTP), s.cfg.MaxBodyBytes)
}

// Close ends all websocket feeds. Use http.Server.Shutdown for the rest.
func (s *Server) Close() {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
}

// unlimited are the paths the rate limiter lets through: an operator's
// probes and monitoring.
var unlimited = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if !s.crossOrigin(w, r) {
		return
	}
	if s.limiter != nil && !unlimited[r.URL.Path] {
		if ok, wait := s.limiter.allow(s.clientKey(r)); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			s.error(w, r, http.StatusTooManyRequests, "rate-limited", "too many requests from this address")
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// error answers with status and the JSON error body. msg is for the
// public: it must hold no internal detail (see internalError).
func (s *Server) error(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	writeJSON(w, status, bulletin.ErrorResponse{Error: msg, Code: code})
}

// internalError logs err and answers 500 without it: errors of the store
// or the log carry paths and database text that are not the public's.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	s.logger.Error("bulletin server", "method", r.Method, "path", r.URL.Path, "status", http.StatusInternalServerError, "error", err)
	s.error(w, r, http.StatusInternalServerError, "internal", "internal error")
}

// storageError logs err, an append that failed for a reason other than the
// rules (a read-only, full or failing database), and answers 503 with
// Retry-After and a message without it.
func (s *Server) storageError(w http.ResponseWriter, r *http.Request, err error) {
	s.logger.Error("bulletin server", "method", r.Method, "path", r.URL.Path, "status", http.StatusServiceUnavailable, "error", err)
	w.Header().Set("Retry-After", storageRetryAfter)
	s.error(w, r, http.StatusServiceUnavailable, codeUnavailable, msgCannotWrite)
}

// writeJSON encodes v without HTML escaping, so embedded records keep their bytes.
func writeJSON(w http.ResponseWriter, status int, v any) { httpjson.Write(w, status, v) }

// rejectStatus returns the HTTP status of a rejection: the one its policy
// set, or the one of its generic code, or 422 (docs/spec/bulletin.md §8).
func rejectStatus(rej *bulletin.RejectError) int {
	if rej.Status != 0 {
		return rej.Status
	}
	switch rej.Code {
	case bulletin.CodeMalformed, bulletin.CodeBadSignature:
		return http.StatusBadRequest
	case bulletin.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case bulletin.CodeDuplicate:
		return http.StatusConflict
	default:
		return http.StatusUnprocessableEntity
	}
}

func (s *Server) postRecord(w http.ResponseWriter, r *http.Request) {
	select {
	case s.posts <- struct{}{}:
		defer func() { <-s.posts }()
	default:
		w.Header().Set("Retry-After", "1")
		s.error(w, r, http.StatusServiceUnavailable, "overloaded", "the board is handling as many submissions as it can; retry shortly")
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			s.error(w, r, http.StatusRequestEntityTooLarge, bulletin.CodeTooLarge, fmt.Sprintf("request body is larger than %d bytes", mbe.Limit))
		case errors.Is(err, os.ErrDeadlineExceeded): // http.Server.ReadTimeout
			s.error(w, r, http.StatusRequestTimeout, "timeout", "the request body did not arrive in time")
		default: // the text would name the connection's addresses
			s.error(w, r, http.StatusBadRequest, bulletin.CodeMalformed, "the request body could not be read")
		}
		return
	}
	sub, err := bulletin.ParseSubmission(body)
	if err != nil {
		s.error(w, r, http.StatusBadRequest, bulletin.CodeMalformed, err.Error())
		return
	}
	if s.authors != nil && s.cfg.AuthorLimitTypes[sub.Type] {
		if ok, wait := s.authors.allow(string(sub.Author)); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			s.error(w, r, http.StatusTooManyRequests, "rate-limited", fmt.Sprintf("too many %s records from this key; wait before posting another", sub.Type))
			return
		}
	}
	rec, receipt, err := s.log.Append(r.Context(), sub)
	var rej *bulletin.RejectError
	switch {
	case err == nil:
	case errors.As(err, &rej):
		s.error(w, r, rejectStatus(rej), rej.Code, rej.Reason)
		return
	case errors.Is(err, bulletin.ErrQueueFull), errors.Is(err, bulletin.ErrClosed):
		w.Header().Set("Retry-After", "1")
		s.error(w, r, http.StatusServiceUnavailable, "overloaded", err.Error())
		return
	case r.Context().Err() != nil:
		s.error(w, r, http.StatusServiceUnavailable, "canceled", err.Error())
		return
	default:
		s.storageError(w, r, err)
		return
	}
	enc, err := rec.MarshalJSON()
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/records/%d", rec.Index))
	resp := bulletin.AppendResponse{Record: enc, Receipt: string(receipt.Marshal())}
	if s.cfg.Notice != nil {
		resp.Notice = s.cfg.Notice(rec)
	}
	writeJSON(w, http.StatusCreated, resp)
}

// queryInt parses an optional non-negative integer query parameter.
func queryInt(r *http.Request, name string, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("query parameter %s=%q is not a non-negative integer", name, v)
	}
	return n, nil
}

func (s *Server) getRecords(w http.ResponseWriter, r *http.Request) {
	size := s.log.Size()
	start, err := queryInt(r, "start", 0)
	if err != nil {
		s.error(w, r, http.StatusBadRequest, "bad-request", err.Error())
		return
	}
	end, err := queryInt(r, "end", size)
	if err != nil {
		s.error(w, r, http.StatusBadRequest, "bad-request", err.Error())
		return
	}
	if start > size {
		s.error(w, r, http.StatusNotFound, "not-found", fmt.Sprintf("start %d is beyond the log size %d", start, size))
		return
	}
	end = min(end, size, start+int64(s.cfg.PageSize))
	if end < start {
		s.error(w, r, http.StatusBadRequest, "bad-request", fmt.Sprintf("end %d is before start %d", end, start))
		return
	}
	if r.Method != http.MethodHead {
		release, ok := s.acquirePage(w, r)
		if !ok {
			return
		}
		defer release()
	}
	array := r.URL.Query().Get("format") == "array"
	if array {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "application/jsonl")
	}
	w.Header().Set("Evote-Log-Size", strconv.FormatInt(size, 10))
	w.Header().Set("Evote-Next", strconv.FormatInt(end, 10))
	if r.Method == http.MethodHead {
		return // the headers say it all; building the page would be wasted
	}
	s.writeRecordsPage(w, r, start, end, array)
}

func (s *Server) getRecord(w http.ResponseWriter, r *http.Request) {
	i, err := strconv.ParseInt(r.PathValue("index"), 10, 64)
	if err != nil || i < 0 {
		s.error(w, r, http.StatusBadRequest, "bad-request", fmt.Sprintf("record index %q is not a non-negative integer", r.PathValue("index")))
		return
	}
	if size := s.log.Size(); i >= size {
		s.error(w, r, http.StatusNotFound, "not-found", fmt.Sprintf("record %d is beyond the log size %d", i, size))
		return
	}
	recs, err := s.log.Records(r.Context(), i, i+1)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(recs[0][:len(recs[0]):len(recs[0])], '\n'))
}

func (s *Server) getCheckpoint(w http.ResponseWriter, r *http.Request) {
	cp := s.log.Checkpoint()
	if s.cfg.Witnesses != nil {
		if c := s.cfg.Witnesses.Checkpoint(); c != nil {
			cp = c
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(cp.Note)
}

func (s *Server) getWitnesses(w http.ResponseWriter, r *http.Request) {
	resp := bulletin.WitnessesResponse{Witnesses: s.cfg.Witnesses.Status()}
	if c := s.cfg.Witnesses.Checkpoint(); c != nil {
		resp.Cosigned = c.Size
	}
	resp.Size = s.log.Size()
	httpjson.Write(w, http.StatusOK, resp)
}

func (s *Server) getInclusion(w http.ResponseWriter, r *http.Request) {
	if !r.URL.Query().Has("index") {
		s.error(w, r, http.StatusBadRequest, "bad-request", "missing query parameter index")
		return
	}
	index, err := queryInt(r, "index", 0)
	if err != nil {
		s.error(w, r, http.StatusBadRequest, "bad-request", err.Error())
		return
	}
	size, err := queryInt(r, "size", s.log.Size())
	if err != nil {
		s.error(w, r, http.StatusBadRequest, "bad-request", err.Error())
		return
	}
	if n := s.log.Size(); index >= size || size > n {
		s.error(w, r, http.StatusNotFound, "not-found", fmt.Sprintf("no inclusion proof of record %d in the tree of size %d (log size %d)", index, size, n))
		return
	}
	p, err := s.log.InclusionProof(index, size)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, bulletin.InclusionProofResponse{Index: index, Size: size, Proof: p})
}

func (s *Server) getConsistency(w http.ResponseWriter, r *http.Request) {
	if !r.URL.Query().Has("old") {
		s.error(w, r, http.StatusBadRequest, "bad-request", "missing query parameter old")
		return
	}
	old, err := queryInt(r, "old", 0)
	if err != nil {
		s.error(w, r, http.StatusBadRequest, "bad-request", err.Error())
		return
	}
	newSize, err := queryInt(r, "new", s.log.Size())
	if err != nil {
		s.error(w, r, http.StatusBadRequest, "bad-request", err.Error())
		return
	}
	if n := s.log.Size(); old < 1 || old > newSize || newSize > n {
		s.error(w, r, http.StatusNotFound, "not-found", fmt.Sprintf("no consistency proof from size %d to size %d (log size %d)", old, newSize, n))
		return
	}
	p, err := s.log.ConsistencyProof(old, newSize)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, bulletin.ConsistencyProofResponse{Old: old, New: newSize, Proof: p})
}
