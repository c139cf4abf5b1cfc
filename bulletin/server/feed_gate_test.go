package server

import (
	"net/http/httptest"
	"slices"
	"testing"
)

func TestParseFeedOrigins(t *testing.T) {
	for _, tt := range []struct {
		in   []string
		want []string // nil: an error
	}{
		{[]string{}, []string{}},
		{[]string{"https://observer.example.org"}, []string{"https://observer.example.org"}},
		{[]string{"HTTPS://Observer.Example.ORG"}, []string{"https://observer.example.org"}},
		{[]string{"https://observer.example.org:443"}, []string{"https://observer.example.org"}},
		{[]string{"http://observer.example.org:80"}, []string{"http://observer.example.org"}},
		{[]string{"https://observer.example.org:8443"}, []string{"https://observer.example.org:8443"}},
		{[]string{"http://[2001:db8::1]:8080"}, []string{"http://[2001:db8::1]:8080"}},
		{[]string{"*"}, []string{"*"}},
		{[]string{"https://a.example, https://b.example", "http://c.example"}, []string{"https://a.example", "https://b.example", "http://c.example"}},
		{[]string{"observer.example.org"}, nil},              // no scheme
		{[]string{"https://observer.example.org/"}, nil},     // a path, even "/"
		{[]string{"https://observer.example.org/page"}, nil}, // a path
		{[]string{"https://observer.example.org?x=1"}, nil},
		{[]string{"https://observer.example.org#top"}, nil},
		{[]string{"https://user@observer.example.org"}, nil},
		{[]string{"https://observer.example.org:"}, nil},
		{[]string{"https://"}, nil},
		{[]string{"null"}, nil},
		{[]string{"https://ok.example", "bad"}, nil},
	} {
		got, err := ParseFeedOrigins(tt.in)
		switch {
		case tt.want == nil && err == nil:
			t.Errorf("ParseFeedOrigins(%q) = %q, want an error", tt.in, got)
		case tt.want != nil && err != nil:
			t.Errorf("ParseFeedOrigins(%q): %v", tt.in, err)
		case tt.want != nil && !slices.Equal(got, tt.want):
			t.Errorf("ParseFeedOrigins(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestFeedGateOrigin checks the Origin policy of GET /feed (bulletin.md §8):
// requests from no web page and from the board's own pages are served; from
// other pages only if their origin is listed, or the list holds "*".
func TestFeedGateOrigin(t *testing.T) {
	for _, tt := range []struct {
		origins      []string
		host, origin string
		want         bool
	}{
		{nil, "board.example", "", true}, // not a browser
		{nil, "board.example", "https://board.example", true},
		{nil, "board.example", "http://board.example", true}, // behind a TLS proxy the scheme is unknown
		{nil, "Board.Example:443", "https://board.example", true},
		{nil, "board.example", "https://BOARD.example", true},
		{nil, "127.0.0.1:8080", "http://127.0.0.1:8080", true},
		{nil, "[::1]:8080", "http://[::1]:8080", true},
		{nil, "board.example", "https://evil.example", false},
		{nil, "board.example", "https://board.example.evil.example", false},
		{nil, "board.example:8443", "https://board.example", false}, // another port
		{nil, "board.example", "https://board.example:8443", false},
		{nil, "127.0.0.1:8080", "http://127.0.0.1:8081", false},
		{nil, "board.example", "null", false},
		{nil, "board.example", "https://board.example/", false}, // no browser sends that
		{[]string{"https://observer.example"}, "board.example", "https://observer.example", true},
		{[]string{"https://observer.example:443"}, "board.example", "https://observer.example", true},
		{[]string{"https://observer.example"}, "board.example", "https://OBSERVER.example", true},
		{[]string{"https://observer.example"}, "board.example", "http://observer.example", false},
		{[]string{"https://observer.example"}, "board.example", "https://evil.example", false},
		{[]string{"https://observer.example"}, "board.example", "https://board.example", true},
		{[]string{"https://observer.example"}, "board.example", "", true},
		{[]string{"*"}, "board.example", "https://evil.example", true},
		{[]string{"*"}, "board.example", "null", true},
	} {
		g := newFeedGate(Config{FeedOrigins: tt.origins, MaxFeedsPerClient: 1})
		r := httptest.NewRequest("GET", "/feed", nil)
		r.Host = tt.host
		if tt.origin != "" {
			r.Header.Set("Origin", tt.origin)
		}
		if got := g.allowOrigin(r); got != tt.want {
			t.Errorf("FeedOrigins %q, Host %q: allowOrigin(Origin %q) = %v, want %v", tt.origins, tt.host, tt.origin, got, tt.want)
		}
	}
}

func TestNewFeedGatePanicsOnBadOrigin(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("newFeedGate accepted FeedOrigins [\"observer.example\"]")
		}
	}()
	newFeedGate(Config{FeedOrigins: []string{"observer.example"}})
}
