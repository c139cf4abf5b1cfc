package server

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies parses the --trusted-proxy values: CIDR prefixes
// (10.0.0.0/8) or single addresses (127.0.0.1).
func ParseTrustedProxies(values []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range values {
		for _, f := range strings.Split(v, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			if p, err := netip.ParsePrefix(f); err == nil {
				out = append(out, p.Masked())
				continue
			}
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q is neither an address nor a CIDR prefix", f)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		}
	}
	return out, nil
}

// clientAddrs finds the address of the client a request comes from, the
// key of its rate limits: the TCP peer, unless the peer is one of the
// trusted proxies, in which case X-Forwarded-For names the client. Proxies
// append the address they received the request from to that header, so
// the client is its rightmost entry that is not itself a trusted proxy;
// what lies to the left of it was written by the client, and is ignored.
type clientAddrs struct {
	trusted []netip.Prefix
}

func (c clientAddrs) isTrusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// of returns the client address of r.
func (c clientAddrs) of(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || len(c.trusted) == 0 || !c.isTrusted(peer) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" {
			continue
		}
		a, err := netip.ParseAddr(hop)
		if err != nil {
			// A proxy we trust wrote garbage, or the client did and a proxy
			// passed it on: either way nothing to its left can be trusted.
			return host
		}
		if !c.isTrusted(a) {
			return a.Unmap().String()
		}
	}
	return host // only proxies: the request comes from one of them
}

// clientKey is the key of r's client for its rate limits and its shares of
// pages and feeds: its address (clientAddrs), and for IPv6 that address's
// /64, since one subscriber (a home, a virtual machine) is commonly given
// a whole /64 and would otherwise get a bucket and a share per address.
func (s *Server) clientKey(r *http.Request) string {
	addr := s.clients.of(r)
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	if a = a.Unmap().WithZone(""); a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64) // cannot fail for IPv6
	return p.String()
}
