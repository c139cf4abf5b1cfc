package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/evote/evote/bulletin"
)

// Health and readiness (docs/spec/bulletin.md §8): GET /healthz says the
// process is up and answering, and checks nothing else; GET /readyz says
// whether the board can append now. An orchestrator restarts a board whose
// /healthz fails and sends no traffic to one whose /readyz fails; a board
// whose disk is full is alive but not ready, and restarting it helps no one.

// Storage is what GET /readyz checks of the log's store. *sqlite.Store
// implements it.
type Storage interface {
	// CheckWrite makes a small durable write to the store that leaves the
	// log unchanged, and returns the error an append would meet now (a
	// read-only, full or failing database).
	CheckWrite(ctx context.Context) error
	// FreeSpace returns the bytes available to the store on its file
	// system, or an error wrapping errors.ErrUnsupported if it cannot tell.
	FreeSpace() (uint64, error)
}

const (
	// readyInterval is how long a /readyz verdict is reused: the write
	// probe syncs the database to disk, and /readyz is not rate limited.
	readyInterval = time.Second
	// readyTimeout bounds one readiness check.
	readyTimeout = 5 * time.Second
	// storageRetryAfter is the Retry-After, in seconds, of the answers that
	// the board cannot store records now.
	storageRetryAfter = "10"
)

// Codes and messages of the storage failures. They say what an operator
// must fix, and nothing of the error, which goes to the server's log.
const (
	codeUnavailable = "unavailable"
	// codeForbiddenOrigin refuses a web page whose origin the board does
	// not list (Config.FeedOrigins, Config.APIOrigins).
	codeForbiddenOrigin = "forbidden-origin"
	codeDiskFull        = "disk-full"
	codeStarting        = "starting"
	msgCannotWrite      = "the board cannot write to its database"
	msgDiskFull         = "the board's disk is nearly full"
	msgShuttingDown     = "the board is shutting down"
)

// readiness is the latest /readyz verdict.
type readiness struct {
	mu        sync.Mutex
	checked   time.Time // zero before the first check
	code, msg string    // "" when ready
}

// getHealth answers that the process is alive. It checks nothing else: see
// getReady.
func (s *Server) getHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, bulletin.HealthResponse{Status: "ok", Size: s.log.Size()})
}

// getReady answers whether the board can append now: 200, or 503 with
// Retry-After and the reason.
func (s *Server) getReady(w http.ResponseWriter, r *http.Request) {
	if code, msg := s.checkReady(r.Context()); code != "" {
		w.Header().Set("Retry-After", storageRetryAfter)
		s.error(w, r, http.StatusServiceUnavailable, code, msg)
		return
	}
	writeJSON(w, http.StatusOK, bulletin.HealthResponse{Status: "ready", Size: s.log.Size()})
}

// checkReady returns the code and message of why the board cannot append
// now, or "" if it can. It checks again at most once per readyInterval;
// concurrent callers wait for one check.
func (s *Server) checkReady(ctx context.Context) (code, msg string) {
	s.ready.mu.Lock()
	defer s.ready.mu.Unlock()
	now := s.cfg.Now()
	if age := now.Sub(s.ready.checked); !s.ready.checked.IsZero() && age >= 0 && age < readyInterval {
		return s.ready.code, s.ready.msg
	}
	// The verdict is shared: a client that hangs up must not cut it short.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readyTimeout)
	defer cancel()
	code, msg = s.probe(ctx)
	s.ready.checked, s.ready.code, s.ready.msg = now, code, msg
	return code, msg
}

// probe checks that the log is open and, with Config.Storage, that the
// disk has room and a write commits.
func (s *Server) probe(ctx context.Context) (code, msg string) {
	select {
	case <-s.log.Done():
		return codeUnavailable, msgShuttingDown
	default:
	}
	if replayed, total, done, err := s.log.Replay(); !done {
		return codeStarting, fmt.Sprintf("the board is starting: it has replayed %d of its %d records", replayed, total)
	} else if err != nil {
		s.logger.Error("bulletin server: readiness: the stored log was not replayed", "error", err)
		return codeUnavailable, msgCannotWrite
	}
	st := s.cfg.Storage
	if st == nil {
		return "", ""
	}
	free, err := st.FreeSpace()
	switch {
	case errors.Is(err, errors.ErrUnsupported):
	case err != nil:
		s.logger.Error("bulletin server: readiness: checking free space", "error", err)
		return codeUnavailable, msgCannotWrite
	case free < s.cfg.MinFreeSpace:
		s.logger.Error("bulletin server: readiness: disk nearly full", "free_bytes", free, "min_free_bytes", s.cfg.MinFreeSpace)
		return codeDiskFull, msgDiskFull
	}
	if err := st.CheckWrite(ctx); err != nil {
		s.logger.Error("bulletin server: readiness: write probe failed", "error", err)
		return codeUnavailable, msgCannotWrite
	}
	return "", ""
}
