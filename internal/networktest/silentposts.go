package networktest

import (
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"testing"
)

// SilentPosts returns a handler for a front of the board at target that
// passes every request on to it except a post of a record (POST /records):
// that one it reads, and then holds without answering until the poster
// gives up or the test ends, as an operator whose link died while it held
// the post, so that neither an answer nor an error reaches the poster. The
// board never sees the post.
func SilentPosts(t testing.TB, target string) http.Handler {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/records" {
			proxy.ServeHTTP(w, r)
			return
		}
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-t.Context().Done():
		}
	})
}
