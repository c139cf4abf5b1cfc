package server

import (
	"net/http/httptest"
	"testing"
)

// TestClientAddrs checks whose address a request is counted against: the
// peer, unless a trusted proxy forwards it, and never an address the
// client wrote itself.
func TestClientAddrs(t *testing.T) {
	trusted, err := ParseTrustedProxies([]string{"127.0.0.1", "10.0.0.0/8, ::1"})
	if err != nil {
		t.Fatal(err)
	}
	c := clientAddrs{trusted: trusted}
	for _, tc := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"direct client", "203.0.113.7:5000", nil, "203.0.113.7"},
		{"direct client claiming to be forwarded", "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"through the proxy", "127.0.0.1:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"client forges a header the proxy appends to", "127.0.0.1:4000", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted proxies", "127.0.0.1:4000", []string{"198.51.100.1, 10.1.2.3"}, "198.51.100.1"},
		{"header split over two lines", "127.0.0.1:4000", []string{"1.2.3.4", "198.51.100.2"}, "198.51.100.2"},
		{"proxy sends no header", "127.0.0.1:4000", nil, "127.0.0.1"},
		{"garbage in the header", "127.0.0.1:4000", []string{"198.51.100.1, not-an-address"}, "127.0.0.1"},
		{"IPv6 proxy", "[::1]:4000", []string{"2001:db8::5"}, "2001:db8::5"},
	} {
		r := httptest.NewRequest("GET", "/records", nil)
		r.RemoteAddr = tc.peer
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := c.of(r); got != tc.want {
			t.Errorf("%s: client %q, want %q", tc.name, got, tc.want)
		}
	}
	if _, err := ParseTrustedProxies([]string{"proxy.example"}); err == nil {
		t.Error("a host name was taken as a trusted proxy")
	}
}

// TestClientKey checks which client a request's rate limits and shares
// are counted against: its address, and for IPv6 its /64.
func TestClientKey(t *testing.T) {
	trusted, err := ParseTrustedProxies([]string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{clients: clientAddrs{trusted: trusted}}
	for _, tt := range []struct {
		peer, xff, want string
	}{
		{"203.0.113.7:5000", "", "203.0.113.7"},
		{"[::ffff:203.0.113.7]:5000", "", "203.0.113.7"},
		{"[2001:db8:1:2:3:4:5:6]:5000", "", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:5000", "", "2001:db8:1:2::/64"},
		{"[2001:db8:1:3::1]:5000", "", "2001:db8:1:3::/64"},
		{"[fe80::1%eth0]:5000", "", "fe80::/64"},
		{"127.0.0.1:4000", "2001:db8:9:9::7", "2001:db8:9:9::/64"}, // through a trusted proxy
		{"127.0.0.1:4000", "198.51.100.1", "198.51.100.1"},
		{"203.0.113.7:5000", "198.51.100.1", "203.0.113.7"}, // a header the client wrote
	} {
		r := httptest.NewRequest("GET", "/feed", nil)
		r.RemoteAddr = tt.peer
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := s.clientKey(r); got != tt.want {
			t.Errorf("clientKey(peer %s, X-Forwarded-For %q) = %q, want %q", tt.peer, tt.xff, got, tt.want)
		}
	}
}
