package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/evote/evote/bulletin"
)

const (
	feedPingInterval = 30 * time.Second
	feedReadTimeout  = 75 * time.Second // > ping interval: the client answers pings
	feedPage         = pageChunk        // records read from the log at once per subscriber: its memory while it does not read
)

// closeShutdown is the close reason sent to feed subscribers when the
// board stops.
const closeShutdown = "board shutting down"

// Retry-After of the feed's refusals, in seconds: the board's slots free
// up as any subscriber leaves, a client's own only when it closes one of
// its feeds.
const (
	feedsFullRetryAfter   = "5"
	clientFeedsRetryAfter = "30"
)

var upgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 16 << 10,
	// getFeed has applied the Origin policy (feedGate.allowOrigin) before
	// upgrading, so as to answer in the API's error shape.
	CheckOrigin: func(r *http.Request) bool { return true },
}

// feedGate admits requests for GET /feed: it applies the Origin policy
// (Config.FeedOrigins) and holds each client to its share of the feed
// slots (Config.MaxFeedsPerClient) and all of them to the board's total
// (Config.MaxFeeds).
type feedGate struct {
	origins originSet
	slots   *clientShares
}

// newFeedGate returns the gate of cfg, whose defaults New has set. It
// panics if cfg.FeedOrigins holds an entry that is not an origin, a bug of
// the caller, who should have used ParseFeedOrigins.
func newFeedGate(cfg Config) *feedGate {
	return &feedGate{origins: mustOriginSet("FeedOrigins", ParseFeedOrigins, cfg.FeedOrigins, cfg.OperatorURLs), slots: newClientShares(cfg.MaxFeedsPerClient, cfg.MaxFeeds)}
}

// allowOrigin reports whether r may open a feed (originSet.allow).
func (g *feedGate) allowOrigin(r *http.Request) bool { return g.origins.allow(r) }

// originSet is an Origin policy: the listed web origins, or every origin.
type originSet struct {
	any    bool
	listed map[string]bool // as parseOrigin writes them
	boards func() []string // more boards' base URLs, whose origins are listed too (Config.OperatorURLs)
}

// mustOriginSet returns the policy of values, which parse must accept,
// and of the boards' base URLs boards returns (nil: none); field names the
// Config field, for the panic of a caller's bug.
func mustOriginSet(field string, parse func([]string) ([]string, error), values []string, boards func() []string) originSet {
	origins, err := parse(values)
	if err != nil {
		panic("bulletin/server: Config." + field + ": " + err.Error())
	}
	s := originSet{listed: make(map[string]bool), boards: boards}
	for _, o := range origins {
		s.any = s.any || o == "*"
		s.listed[o] = true
	}
	return s
}

// allow reports whether the policy admits r: it comes from no web page
// (it has no Origin header: the CLI, the verifier, observers' tools), or
// from one of the board's own pages (sameHost), or from a listed origin.
func (s originSet) allow(r *http.Request) bool {
	h := r.Header.Get("Origin")
	if h == "" || s.any {
		return true
	}
	return s.listedOrigin(h) || sameHost(r)
}

// listedOrigin reports whether the Origin header value h names a listed
// origin, or the origin of one of the boards' base URLs (or the policy
// admits every origin).
func (s originSet) listedOrigin(h string) bool {
	if s.any {
		return true
	}
	o, err := parseOrigin(h)
	if err != nil {
		return false
	}
	if s.listed[o.String()] {
		return true
	}
	if s.boards != nil {
		for _, b := range s.boards() {
			u, err := url.Parse(b)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
				continue
			}
			if bo, err := parseOrigin(u.Scheme + "://" + u.Host); err == nil && bo == o {
				return true
			}
		}
	}
	return false
}

// sameHost reports whether r comes from one of the board's own pages: its
// Origin's host[:port] is r.Host. The scheme is not compared, as a TLS
// proxy hides the one the browser used. "null" (a sandboxed or file:
// page) and garbage are no page of the board's.
func sameHost(r *http.Request) bool {
	o, err := parseOrigin(r.Header.Get("Origin"))
	return err == nil && o.host == stripDefaultPort(o.scheme, strings.ToLower(r.Host))
}

// origin is a web origin, as a browser sends it in the Origin header:
// lowercase, without the scheme's default port.
type origin struct {
	scheme, host string // host is host[:port]
}

func (o origin) String() string { return o.scheme + "://" + o.host }

// parseOrigin parses scheme://host[:port], and nothing else: no user, path
// (not even "/"), query or fragment.
func parseOrigin(v string) (origin, error) {
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || u.Host == "" || strings.HasSuffix(u.Host, ":") {
		return origin{}, fmt.Errorf("%q is not an origin, scheme://host[:port] as browsers send it in the Origin header", v)
	}
	o := origin{scheme: strings.ToLower(u.Scheme), host: strings.ToLower(u.Host)}
	if o.String() != strings.ToLower(v) {
		return origin{}, fmt.Errorf("%q is not an origin, scheme://host[:port] as browsers send it in the Origin header: it has more (a user, path, query or fragment)", v)
	}
	o.host = stripDefaultPort(o.scheme, o.host)
	return o, nil
}

// stripDefaultPort removes the default port of scheme from host[:port].
func stripDefaultPort(scheme, host string) string {
	switch scheme {
	case "http", "ws":
		return strings.TrimSuffix(host, ":80")
	case "https", "wss":
		return strings.TrimSuffix(host, ":443")
	}
	return host
}

// ParseFeedOrigins parses the --feed-origin values into Config.FeedOrigins:
// web origins, scheme://host[:port] (several in one value separated by
// commas), or "*" for every origin. It writes them as browsers do in the
// Origin header, lowercase and without the scheme's default port.
func ParseFeedOrigins(values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		for _, f := range strings.Split(v, ",") {
			f = strings.TrimSpace(f)
			switch f {
			case "":
				continue
			case "*":
				out = append(out, f)
				continue
			}
			o, err := parseOrigin(f)
			if err != nil {
				return nil, err
			}
			out = append(out, o.String())
		}
	}
	return out, nil
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
//
// Admission (docs/spec/bulletin.md §8, feed admission), before the upgrade
// and in this order: a request from a web page whose origin the policy
// refuses gets 403 (feedGate.allowOrigin); from past the end of the log
// gets 416, as there is nothing to wait for there (from equal to the size
// waits for the next record); a client holding its share of the slots
// gets 429, and any client while the board holds MaxFeeds, 503.
func (s *Server) getFeed(w http.ResponseWriter, r *http.Request) {
	if !s.gate.allowOrigin(r) {
		s.error(w, r, http.StatusForbidden, codeForbiddenOrigin, fmt.Sprintf("pages from %q may not open this board's feed", r.Header.Get("Origin")))
		return
	}
	from, err := queryInt(r, "from", 0)
	if err != nil {
		s.error(w, r, http.StatusBadRequest, "bad-request", err.Error())
		return
	}
	if size := s.log.Size(); from > size {
		w.Header().Set("Evote-Log-Size", strconv.FormatInt(size, 10))
		s.error(w, r, http.StatusRequestedRangeNotSatisfiable, "past-end", fmt.Sprintf("from %d is past the end of the log (size %d)", from, size))
		return
	}
	client := s.clientKey(r)
	ok, full := s.gate.slots.acquire(client)
	switch {
	case full:
		w.Header().Set("Retry-After", feedsFullRetryAfter)
		s.error(w, r, http.StatusServiceUnavailable, "overloaded", "too many feed subscribers")
		return
	case !ok:
		w.Header().Set("Retry-After", clientFeedsRetryAfter)
		s.error(w, r, http.StatusTooManyRequests, "rate-limited", "too many feeds from this address")
		return
	}
	defer s.gate.slots.release(client)
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
