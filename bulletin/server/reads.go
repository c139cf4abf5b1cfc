package server

import (
	"net/http"
	"time"
)

// acquirePage takes one of the slots of pages of records being sent, so
// that clients who ask for pages and never read them hold a bounded share
// of the board's memory and connections, or answers the request itself:
// 429 if the client holds its share, 503 if all slots are taken.
func (s *Server) acquirePage(w http.ResponseWriter, r *http.Request) (release func(), ok bool) {
	client := s.clientKey(r)
	ok, full := s.pages.acquire(client)
	switch {
	case ok:
		return func() { s.pages.release(client) }, true
	case full:
		w.Header().Set("Retry-After", "1")
		s.error(w, r, http.StatusServiceUnavailable, "overloaded", "the board is sending as many pages of records as it can; retry shortly")
	default:
		w.Header().Set("Retry-After", "1")
		s.error(w, r, http.StatusTooManyRequests, "rate-limited", "too many pages of records are being sent to this address at once; read them before asking for more")
	}
	return nil, false
}

// pageChunk is the number of records a page is read from the log at once,
// and pageFlush the bytes gathered before a write: what a reader that does
// not read holds of the board's memory is about pageChunk records (8
// ballots are 50 KB; 8 roll records of 500 voters, 320 KB) and pageFlush
// bytes.
const (
	pageChunk = 8
	pageFlush = 64 << 10
)

// writeRecordsPage streams records [start, end) as JSON Lines, or as one
// JSON array, in chunks of pageChunk records, each written within
// Config.PageWriteTimeout: the page is never held whole, and a reader that
// stops reading is cut off.
func (s *Server) writeRecordsPage(w http.ResponseWriter, r *http.Request, start, end int64, array bool) {
	rc := http.NewResponseController(w)
	write := func(buf []byte) bool {
		rc.SetWriteDeadline(time.Now().Add(s.cfg.PageWriteTimeout))
		_, err := w.Write(buf)
		return err == nil // else the reader has gone, or stalled past the deadline
	}
	var buf []byte
	if array {
		buf = append(buf, '[')
	}
	for a := start; a < end; a += pageChunk {
		b := min(end, a+pageChunk)
		recs, err := s.log.Records(r.Context(), a, b)
		if err != nil {
			if a == start {
				s.internalError(w, r, err)
				return
			}
			// The status is sent: all that is left is to cut the response
			// short, which the client sees as an error.
			s.logger.Error("bulletin server: reading records for a page", "start", a, "end", b, "error", err)
			panic(http.ErrAbortHandler)
		}
		for i, rec := range recs {
			if array && (a > start || i > 0) {
				buf = append(buf, ',')
			}
			buf = append(buf, rec...)
			if !array {
				buf = append(buf, '\n')
			}
		}
		if b < end && len(buf) >= pageFlush {
			if !write(buf) {
				return
			}
			buf = buf[:0]
		}
	}
	if array {
		buf = append(buf, ']', '\n')
	}
	if len(buf) > 0 {
		write(buf)
	}
}
