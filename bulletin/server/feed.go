package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/websocket"

	"github.com/evote/evote/bulletin"
)

const (
	feedPingInterval = 30 * time.Second
	feedReadTimeout  = 75 * time.Second // > ping interval: the client answers pings
	feedPage         = 256              // records read from the log at once per subscriber
)

// closeShutdown is the close reason sent to feed subscribers when the
// board stops.
const closeShutdown = "board shutting down"

var upgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 16 << 10,
	// The feed is public, read-only data: any web page may follow it.
	CheckOrigin: func(r *http.Request) bool { return true },
}

// getFeed streams records from index from= onwards, in order, then live, and
// the latest signed checkpoint each time the subscriber has received every
// record it covers (at most once per FeedCheckpointInterval).
//
// Back-pressure: a subscriber is a cursor into the log, not a queue. Its
// buffer is one page of records; a subscriber that falls behind is served
// from the log's cache or the store at its own pace, so no record is ever
// dropped or repeated. A subscriber that leaves a message unread for
// FeedWriteTimeout is disconnected: the connection is dropped without a close
// frame, because after a timed-out write the stream may end in a partial
// message (clients see an abnormal closure, 1006) and resume from the next
// index they need.
func (s *Server) getFeed(w http.ResponseWriter, r *http.Request) {
	from, err := queryInt(r, "from", 0)
	if err != nil {
		s.error(w, r, http.StatusBadRequest, "bad-request", err.Error())
		return
	}
	select {
	case s.feeds <- struct{}{}:
		defer func() { <-s.feeds }()
	default:
		w.Header().Set("Retry-After", "5")
		s.error(w, r, http.StatusServiceUnavailable, "overloaded", "too many feed subscribers")
		return
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade already replied
	}
	defer conn.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Read loop: handles pings, pongs and close; subscribers send nothing else.
		defer cancel()
		conn.SetReadLimit(1024)
		conn.SetReadDeadline(time.Now().Add(feedReadTimeout))
		conn.SetPongHandler(func(string) error {
			return conn.SetReadDeadline(time.Now().Add(feedReadTimeout))
		})
		for {
			if _, _, err := conn.NextReader(); err != nil {
				return
			}
		}
	}()
	reason, err := s.streamFeed(ctx, conn, from)
	if err != nil && ctx.Err() == nil {
		s.logger.Info("bulletin feed ended", "remote", r.RemoteAddr, "error", err)
	}
	if reason != "" {
		msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, reason)
		conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	}
}

// streamFeed writes the feed until the subscriber leaves or the server or
// log closes. It returns the close reason to send, if any.
func (s *Server) streamFeed(ctx context.Context, conn *websocket.Conn, from int64) (string, error) {
	next := from
	sentCP := int64(-1)
	var lastCP time.Time
	ping := time.NewTicker(feedPingInterval)
	defer ping.Stop()
	var buf bytes.Buffer
	send := func(m bulletin.FeedMessage) error {
		buf.Reset()
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(m); err != nil {
			return err
		}
		conn.SetWriteDeadline(time.Now().Add(s.cfg.FeedWriteTimeout))
		return conn.WriteMessage(websocket.TextMessage, bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	}
	for {
		if ctx.Err() != nil {
			return "", nil
		}
		changed := s.log.Changed()
		size := s.log.Size()
		if next < size {
			end := min(size, next+feedPage)
			recs, err := s.log.Records(ctx, next, end)
			if err != nil {
				return closeShutdown, fmt.Errorf("reading records [%d, %d): %w", next, end, err)
			}
			for _, rec := range recs {
				if err := send(bulletin.FeedMessage{Type: bulletin.FeedRecord, Record: rec}); err != nil {
					return "", err
				}
				next++
			}
			continue
		}
		var cpTimer <-chan time.Time
		if cp := s.log.Checkpoint(); cp.Size > next {
			continue // more records arrived; send them first
		} else if cp.Size == next && cp.Size != sentCP {
			if wait := s.cfg.FeedCheckpointInterval - time.Since(lastCP); wait > 0 {
				cpTimer = time.After(wait)
			} else {
				if err := send(bulletin.FeedMessage{Type: bulletin.FeedCheckpoint, Checkpoint: string(cp.Note)}); err != nil {
					return "", err
				}
				sentCP, lastCP = cp.Size, time.Now()
				continue
			}
		}
		select {
		case <-changed:
		case <-cpTimer:
		case <-ping.C:
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(s.cfg.FeedWriteTimeout)); err != nil {
				return "", err
			}
		case <-ctx.Done():
			return "", nil
		case <-s.done:
			return closeShutdown, nil
		case <-s.log.Done():
			return closeShutdown, nil
		}
	}
}
