package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// byHand is the start of an election run by hand, one CLI command at a
// time: a board served in-process, the official's and the registrar's
// keys and the trustees' keystores, in a temporary directory.
type byHand struct {
	dir          string
	url          string
	board        []string     // the --board and --board-key flags
	served       <-chan error // board serve's end
	stop         func()       // ends board serve
	officialPub  string       // base64
	registrarPub string       // base64
	trustees     []string     // the definition's "trustees" entries, JSON
	bin          string       // evote, built once for together
}

// startByHand serves a board and makes the keys of the official, the
// registrar and n trustees (trustee-1 … trustee-n, each with a passphrase
// file).
func startByHand(t *testing.T, n int) *byHand {
	t.Helper()
	h := &byHand{dir: t.TempDir()}
	pollInterval = 20 * time.Millisecond
	mustRun(t, "board", "keygen", "--out", h.at("board"))
	ctx, stop := context.WithCancel(t.Context())
	t.Cleanup(stop)
	h.stop = stop
	h.url, h.served = startBoard(t, ctx, "--db", h.at("board.db"), "--init", "--key", h.at("board/board.skey"), "--rate-limit", "0")
	h.board = []string{"--board", h.url, "--board-key", "@" + h.at("board/board.vkey")}
	pubKey := regexp.MustCompile(`(?m)^[A-Za-z0-9+/]{43}=$`)
	h.officialPub = pubKey.FindString(mustRun(t, "election", "keygen", "--out", h.at("official.key")))
	h.registrarPub = pubKey.FindString(mustRun(t, "registrar", "keygen", "--out", h.at("registrar.key")))
	for i := 1; i <= n; i++ {
		td := h.at(fmt.Sprintf("trustee-%d", i))
		os.MkdirAll(td, 0o700)
		os.WriteFile(filepath.Join(td, "pass"), []byte(fmt.Sprintf("passphrase of trustee %d\n", i)), 0o600)
		mustRun(t, "trustee", "keygen", "--out", td, "--passphrase-file", filepath.Join(td, "pass"))
		pub, err := os.ReadFile(filepath.Join(td, "trustee.pub.json"))
		if err != nil {
			t.Fatal(err)
		}
		var keys struct {
			SignKey string `json:"sign_key"`
			EncKey  string `json:"enc_key"`
		}
		if err := json.Unmarshal(pub, &keys); err != nil {
			t.Fatal(err)
		}
		h.trustees = append(h.trustees, fmt.Sprintf(`{"name":"Trustee %d","sign_key":%q,"enc_key":%q}`, i, keys.SignKey, keys.EncKey))
	}
	return h
}

// at returns the path of name in the election's directory.
func (h *byHand) at(name string) string { return filepath.Join(h.dir, name) }

// with returns args followed by the board's flags.
func (h *byHand) with(args ...string) []string { return append(args, h.board...) }

// keystore returns the flags naming trustee i's keystore and passphrase.
func (h *byHand) keystore(i int) []string {
	td := h.at(fmt.Sprintf("trustee-%d", i))
	return []string{"--keystore", filepath.Join(td, "trustee.keystore"), "--passphrase-file", filepath.Join(td, "pass")}
}

// end stops the board and fails the test if serving it failed.
func (h *byHand) end(t *testing.T) {
	t.Helper()
	h.stop()
	if err := <-h.served; err != nil {
		t.Fatalf("board serve: %v", err)
	}
}

// definition returns an election definition of the official and the
// registrar with the given contests (JSON array elements) and trustees
// (entries of h.trustees), threshold 2 and min_counted 2, open from an
// hour ago to an hour from now.
func (h *byHand) definition(id, title string, trustees []string, contests string) string {
	now := time.Now().UTC().Truncate(time.Second)
	return fmt.Sprintf(`{
  "version": "evote/v1", "id": %q, "title": %q,
  "official": %q,
  "registrar": %q,
  "opens": %q, "closes": %q,
  "contests": [%s
  ],
  "trustees": [%s],
  "threshold": 2,
  "min_counted": 2
}`, id, title, h.officialPub, h.registrarPub, now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339), contests, strings.Join(trustees, ","))
}

// together runs evote (built once for h) in n processes at once, the
// i-th (from 1) with the arguments args(i), as participants on machines of
// their own would, and returns a function that waits for them all and
// returns their outputs, indexed from 1; one that fails fails the test.
// Processes, not apps in this one: urfave/cli's apps share global flags.
func (h *byHand) together(t *testing.T, n int, args func(i int) []string) (wait func() []string) {
	t.Helper()
	if h.bin == "" {
		h.bin = buildEvote(t)
	}
	outs := make([]string, n+1)
	var wg sync.WaitGroup
	for i := 1; i <= n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := args(i)
			out, err := exec.Command(h.bin, a...).CombinedOutput()
			outs[i] = string(out)
			if err != nil {
				t.Errorf("evote %s: %v\n%s", strings.Join(a, " "), err, out)
			}
		}()
	}
	return func() []string {
		wg.Wait()
		return outs
	}
}

// open posts definition def, has the registrar issue credentials to
// voters voter-1 … voter-n (in credentials/) and close the roll, runs the
// key ceremony of trustees 1 … trustees at once, each waiting for the
// others, then has the official post the joint key and open voting.
func (h *byHand) open(t *testing.T, def string, voters, trustees int) {
	t.Helper()
	os.WriteFile(h.at("election.json"), []byte(def), 0o644)
	mustRun(t, h.with("election", "init", "--key", h.at("official.key"), "--definition", h.at("election.json"))...)
	var ids strings.Builder
	for v := 1; v <= voters; v++ {
		fmt.Fprintf(&ids, "voter-%d\n", v)
	}
	os.WriteFile(h.at("voters.txt"), []byte(ids.String()), 0o644)
	mustRun(t, h.with("registrar", "issue", "--key", h.at("registrar.key"), "--voters", h.at("voters.txt"), "--out", h.at("credentials"))...)
	mustRun(t, h.with("registrar", "close-roll", "--key", h.at("registrar.key"))...)
	outs := h.together(t, trustees, func(i int) []string {
		return h.with(append([]string{"trustee", "ceremony", "--wait"}, h.keystore(i)...)...)
	})()
	for i, out := range outs[1:] {
		if !strings.Contains(out, "accepted") {
			t.Errorf("trustee %d ceremony:\n%s", i+1, out)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	mustRun(t, h.with("election", "finish-ceremony", "--key", h.at("official.key"))...)
	mustRun(t, h.with("election", "open", "--key", h.at("official.key"))...)
}
