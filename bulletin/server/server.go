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
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
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
	// PageSize bounds the records returned by one GET /records; 1000 if 0.
	PageSize int
	// MaxFeeds bounds concurrent websocket subscribers; 1000 if 0.
	MaxFeeds int
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
}

// Server is the HTTP front of a bulletin board.
type Server struct {
	cfg     Config
	log     *bulletin.Log
	mux     *http.ServeMux
	limiter *limiter
	feeds   chan struct{} // semaphore of MaxFeeds
	done    chan struct{}
	logger  *slog.Logger
	ready   readiness
}

// New returns a server for cfg.Log with all API routes registered.
func New(cfg Config) *Server {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = bulletin.DefaultMaxPayload + 16<<10
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = 1000
	}
	if cfg.MaxFeeds == 0 {
		cfg.MaxFeeds = 1000
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
		cfg:    cfg,
		log:    cfg.Log,
		mux:    http.NewServeMux(),
		feeds:  make(chan struct{}, cfg.MaxFeeds),
		done:   make(chan struct{}),
		logger: cfg.Logger,
	}
	if cfg.RateLimit > 0 {
		s.limiter = newLimiter(cfg.RateLimit, cfg.RateBurst, cfg.Now)
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
	if s.limiter != nil && !unlimited[r.URL.Path] {
		if ok, wait := s.limiter.allow(clientIP(r)); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			s.error(w, r, http.StatusTooManyRequests, "rate-limited", "too many requests from this address")
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// clientIP is the rate limiting key: the peer address. X-Forwarded-For is
// ignored, as it is client-controlled; put no proxy in front, or rate limit there.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
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

// rejectStatus maps a rejection code to its HTTP status.
func rejectStatus(code string) int {
	switch code {
	case bulletin.CodeMalformed, bulletin.CodeBadSignature:
		return http.StatusBadRequest
	case bulletin.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case bulletin.CodeUnauthorized, bulletin.CodeIneligible:
		return http.StatusForbidden
	case bulletin.CodeDuplicate, bulletin.CodeWrongPhase, bulletin.CodeWrongOrder, bulletin.CodeStale:
		return http.StatusConflict
	default:
		return http.StatusUnprocessableEntity
	}
}

func (s *Server) postRecord(w http.ResponseWriter, r *http.Request) {
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
	rec, receipt, err := s.log.Append(r.Context(), sub)
	var rej *bulletin.RejectError
	switch {
	case err == nil:
	case errors.As(err, &rej):
		s.error(w, r, rejectStatus(rej.Code), rej.Code, rej.Reason)
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
	recs, err := s.log.Records(r.Context(), start, end)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	var buf bytes.Buffer
	if array {
		buf.WriteByte('[')
	}
	for i, rec := range recs {
		if array && i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(rec)
		if !array {
			buf.WriteByte('\n')
		}
	}
	if array {
		buf.WriteString("]\n")
	}
	w.Write(buf.Bytes())
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
