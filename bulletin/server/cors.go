package server

import (
	"errors"
	"fmt"
	"net/http"
)

// The CORS answer to a listed origin (docs/spec/bulletin.md §8.2).
const (
	corsMethods = "GET, POST"
	corsHeaders = "Content-Type"
	corsExpose  = "Retry-After"
	corsMaxAge  = "600"
)

// ParseAPIOrigins parses the --api-origin values into Config.APIOrigins:
// web origins, scheme://host[:port] (several in one value separated by
// commas), written as browsers send them in the Origin header. "*" is
// refused: the board's API takes posts only from the pages it names.
func ParseAPIOrigins(values []string) ([]string, error) {
	out, err := ParseFeedOrigins(values)
	if err != nil {
		return nil, err
	}
	for _, o := range out {
		if o == "*" {
			return nil, errors.New(`"*" is not allowed here: name each origin whose pages may post to the board`)
		}
	}
	return out, nil
}

// crossOrigin applies the API's Origin policy (Config.APIOrigins,
// docs/spec/bulletin.md §8.2) to r and reports whether the request goes on.
//
//   - No Origin (not a web page), or one of the board's own pages: served
//     as always, without CORS headers.
//   - A listed origin (the pages of the network's other operators): served,
//     with Access-Control-Allow-Origin naming it; a preflight (OPTIONS with
//     Access-Control-Request-Method) is answered 204 with the methods and
//     headers the API takes.
//   - Any other origin: a preflight or a request other than GET and HEAD is
//     refused with 403, so that no other web page makes its visitors'
//     browsers post to the board; a GET or HEAD is served without CORS
//     headers, so the browser keeps the answer from the page (the record is
//     public; the page may not act on it).
func (s *Server) crossOrigin(w http.ResponseWriter, r *http.Request) bool {
	h := r.Header.Get("Origin")
	if h == "" || sameHost(r) {
		return true
	}
	preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	if s.apiOrigins.listedOrigin(h) {
		hd := w.Header()
		hd.Add("Vary", "Origin")
		hd.Set("Access-Control-Allow-Origin", h)
		hd.Set("Access-Control-Expose-Headers", corsExpose)
		if preflight {
			hd.Add("Vary", "Access-Control-Request-Method")
			hd.Set("Access-Control-Allow-Methods", corsMethods)
			hd.Set("Access-Control-Allow-Headers", corsHeaders)
			hd.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return false
		}
		return true
	}
	if preflight || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		w.Header().Add("Vary", "Origin")
		s.error(w, r, http.StatusForbidden, codeForbiddenOrigin, fmt.Sprintf("pages from %q may not post to this board: it takes posts from its own pages and the origins it lists only", h))
		return false
	}
	return true
}
