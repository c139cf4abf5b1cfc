package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/store"
	"github.com/evote/evote/ceremony"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/simulate"
	"github.com/evote/evote/internal/testlog"
)

// The tests in this file follow a newcomer's first steps: the help and
// the version, the web build, a definition with a past schedule, two votes
// at once, a tally asked for twice, another election's keystore, a board
// that cannot start, a credential file with a newline, and an export that
// is cut short.

// TestFlagPlaceholders checks that every flag's help shows a one-word
// placeholder: urfave/cli takes the first back-quoted text of a flag's
// usage as its placeholder, so "(from `evote election keygen`)" showed as
// "--key evote election keygen".
func TestFlagPlaceholders(t *testing.T) {
	var walk func(path string, cmds []*cli.Command)
	walk = func(path string, cmds []*cli.Command) {
		for _, cmd := range cmds {
			p := path + " " + cmd.Name
			for _, f := range cmd.Flags {
				// "--key FILE, -k FILE\tusage…": each name and its placeholder.
				names, _, _ := strings.Cut(f.String(), "\t")
				for _, name := range strings.Split(names, ", ") {
					name, _, _ = strings.Cut(name, " [ ") // "--x P [ --x P ]" for a repeatable flag
					if fields := strings.Fields(name); len(fields) > 2 || len(fields) == 2 && !regexp.MustCompile(`^[A-Za-z][A-Za-z0-9=_.:-]*$`).MatchString(fields[1]) {
						t.Errorf("%s: flag shows as %q", p, name)
					}
				}
			}
			walk(p, cmd.Subcommands)
		}
	}
	walk("evote", newApp().Commands)

	out := mustRun(t, "election", "open", "--help")
	if !strings.Contains(out, "--key FILE ") {
		t.Errorf("election open --help:\n%s", out)
	}
}

// TestVersionFlag: evote --version and evote version print the version.
func TestVersionFlag(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		out, err := run(t, args...)
		if err != nil || !strings.Contains(out, binaryVersion()) || binaryVersion() == "" {
			t.Errorf("evote %s = %q, %v; want the version %q", args[0], out, err, binaryVersion())
		}
	}
}

// TestBuildWebRelativeDir runs scripts/build-web.sh from a folder outside
// the repository: a relative DIR, and the default one, are made in that
// folder, and the script prints the absolute path it wrote. It builds the
// WebAssembly module (seconds with a warm build cache, about 20 s without).
func TestBuildWebRelativeDir(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the WebAssembly module")
	}
	script, err := filepath.Abs("../../scripts/build-web.sh")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	if work, err = filepath.EvalSymlinks(work); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ arg, dir string }{
		{"sub/web", filepath.Join(work, "sub", "web")},
		{"", filepath.Join(work, "web-build")},
	} {
		cmd := exec.Command("sh", script)
		if tt.arg != "" {
			cmd.Args = append(cmd.Args, tt.arg)
		}
		cmd.Dir = work
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("build-web.sh %s: %v\n%s", tt.arg, err, out)
		}
		for _, name := range []string{"voter.wasm", "wasm_exec.js", "voter.wasm.sha256"} {
			if _, err := os.Stat(filepath.Join(tt.dir, name)); err != nil {
				t.Errorf("build-web.sh %s: %v", tt.arg, err)
			}
		}
		if !strings.Contains(string(out), "module:    "+filepath.Join(tt.dir, "voter.wasm")+" (") {
			t.Errorf("build-web.sh %s does not name %s:\n%s", tt.arg, tt.dir, out)
		}
	}
}

// TestInitRefusesClosedWindow: a definition whose voting window is over
// is refused before anything is posted, naming the closing time.
func TestInitRefusesClosedWindow(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "election", "keygen", "--out", filepath.Join(dir, "official.key"))
	priv, err := readSigningKey(filepath.Join(dir, "official.key"))
	if err != nil {
		t.Fatal(err)
	}
	registrar, _, _ := ed25519.GenerateKey(rand.Reader)
	trustee, err := ceremony.GenerateTrusteeKeys()
	if err != nil {
		t.Fatal(err)
	}
	pub := trustee.Public()
	closes := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	def := fmt.Sprintf(`{"version":"evote/v1","id":"late","title":"Late","official":%q,"registrar":%q,
 "opens":%q,"closes":%q,
 "contests":[{"id":"q","title":"Q","min_selections":0,"max_selections":1,"options":[{"id":"y","title":"Yes"},{"id":"n","title":"No"}]}],
 "trustees":[{"name":"T","sign_key":%q,"enc_key":%q}],"threshold":1}`,
		b64(priv.Public().(ed25519.PublicKey)), b64(registrar), closes.Add(-time.Hour).Format(time.RFC3339), closes.Format(time.RFC3339),
		b64(pub.SignKey), b64(pub.EncKey))
	path := filepath.Join(dir, "election.json")
	if err := os.WriteFile(path, []byte(def), 0o644); err != nil {
		t.Fatal(err)
	}
	// The board is not there: the definition must be refused before.
	out, err := run(t, "election", "init", "--key", filepath.Join(dir, "official.key"), "--definition", path,
		"--board", "http://127.0.0.1:1", "--board-key", "unused")
	wantRefusal(t, out, err, "voting window closed at "+closes.Format(windowLayout), "refuse every ballot", `set "opens" and "closes"`)
}

// TestOpenSaysWindow: election open posts the opening record, and says
// plainly when the definition's voting window has not started or is over,
// and what voters meet then.
func TestOpenSaysWindow(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	for _, tt := range []struct {
		name          string
		opens, closes time.Time
		want          []string
	}{
		{"not started", now.Add(2 * time.Hour), now.Add(3 * time.Hour),
			[]string{"voting is open (record", "warning: the voting window has not started: it opens at " + now.Add(2*time.Hour).Format(windowLayout),
				"refuses every ballot", `voters are told "voting opens at`}},
		{"over", now.Add(-3 * time.Hour), now.Add(-2 * time.Hour),
			[]string{"voting is open (record", "warning: the voting window is over: it closed at " + now.Add(-2*time.Hour).Format(windowLayout),
				"refuses every ballot", `voters are told "voting closed at`, "evote election close"}},
		{"running", now.Add(-time.Hour), now.Add(time.Hour),
			[]string{"voting is open (record", "the board accepts ballots until " + now.Add(time.Hour).Format(windowLayout)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			skey, vkey, err := note.GenerateKey(rand.Reader, "window-lab-board")
			if err != nil {
				t.Fatal(err)
			}
			signer, err := note.NewSigner(skey)
			if err != nil {
				t.Fatal(err)
			}
			l := newLabWith(t, 3, signer, vkey, nil, 0, func(o *simulate.Options) { o.Opens, o.Closes = tt.opens, tt.closes })
			l.must(l.e.Ceremony(t.Context()))
			out := mustRun(t, append([]string{"election", "open", "--key", l.officialKey()}, l.serveGenuine()...)...)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("election open does not say %q:\n%s", w, out)
				}
			}
			if strings.Contains(tt.name, "running") == strings.Contains(out, "warning") {
				t.Errorf("election open warned wrongly:\n%s", out)
			}
			if l.tracker.State().Phase() != election.Open {
				t.Errorf("phase = %v, want open", l.tracker.State().Phase())
			}
		})
	}
}

// officialKey writes the official's key file and returns its path.
func (l *lab) officialKey() string {
	path := filepath.Join(l.dir, "official.key")
	os.Remove(path)
	l.must(writeSigningKey(path, ed25519.PrivateKey(l.e.Official)))
	return path
}

// TestDeviceStateConcurrent: two votes at once on one device folder both
// replace the device state; neither fails on the other's temporary file,
// and none is left behind.
func TestDeviceStateConcurrent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".evote-device")
	var wg sync.WaitGroup
	errs := make(chan error, 2*50)
	for w := range 2 {
		wg.Go(func() {
			for i := range 50 {
				errs <- replaceFile(path, fmt.Appendf(nil, "writer %d, write %d\n", w, i), 0o600)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("replaceFile: %v", err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil || !regexp.MustCompile(`^writer [01], write 49\n$`).Match(got) {
		t.Errorf("device state = %q, %v; want one writer's last write", got, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("device state mode: %v, %v; want 0600", fi.Mode(), err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Errorf("left in the folder: %v", left)
	}
}

// TestTallyTwice: evote tally --wait on an election already tallied says
// so and prints the result at once, instead of waiting for ever.
func TestTallyTwice(t *testing.T) {
	l := closedLab(t, 3)
	l.must(l.e.Decrypt(t.Context(), 1))
	l.must(l.e.Decrypt(t.Context(), 2))
	_, err := l.e.Tally(t.Context())
	l.must(err)
	size := l.log.Size()
	board := l.serveGenuine()
	for _, wait := range []bool{true, false} {
		args := append([]string{"tally", "--key", l.officialKey()}, board...)
		if wait {
			args = append(args, "--wait")
		}
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		var stdout, stderr testlog.Buffer
		app := newApp()
		app.Writer, app.ErrWriter = &stdout, &stderr
		err := app.RunContext(ctx, append([]string{"evote"}, args...))
		cancel()
		out := stdout.String() + stderr.String()
		if err != nil || !strings.Contains(out, "the result is already on the board") || !regexp.MustCompile(`mayor\s+Option alice\s+\d+`).MatchString(out) {
			t.Errorf("tally (--wait %v) of a tallied election: %v\n%s", wait, err, out)
		}
	}
	if l.log.Size() != size {
		t.Errorf("the board grew from %d to %d records", size, l.log.Size())
	}
}

// TestDecryptOtherElection: a trustee who runs decrypt with the keystore
// of another election is told so at once, with both elections' manifest
// hashes, and nothing is posted, even with --wait before the close.
func TestDecryptOtherElection(t *testing.T) {
	here := newLab(t, 3)
	here.open()
	other := closedLab(t, 3)
	size := here.log.Size()
	mh, err := here.e.Manifest.Hash()
	here.must(err)
	otherMH, err := other.e.Manifest.Hash()
	here.must(err)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	var stdout, stderr testlog.Buffer
	app := newApp()
	app.Writer, app.ErrWriter = &stdout, &stderr
	err = app.RunContext(ctx, append(append([]string{"evote", "trustee", "decrypt", "--wait"}, other.keystore(1)...), here.serveGenuine()...))
	wantRefusal(t, stdout.String()+stderr.String(), err,
		fmt.Sprintf("this keystore is for another election (manifest hash %x)", otherMH),
		fmt.Sprintf("the board holds the election %q (id %q, manifest hash %x)", here.e.Manifest.Title, here.e.Manifest.ID, mh),
		"nothing was decrypted or posted")
	if ctx.Err() != nil {
		t.Error("decrypt waited for the close")
	}
	if here.log.Size() != size {
		t.Errorf("the board grew from %d to %d records", size, here.log.Size())
	}
}

// TestBoardServeFailsCleanly: board serve --init with a flag that cannot
// work fails before it creates the database, so that the next --init,
// corrected, does not find an empty database in its way.
func TestBoardServeFailsCleanly(t *testing.T) {
	dir := t.TempDir()
	keyDir := filepath.Join(dir, "key")
	mustRun(t, "board", "keygen", "--out", keyDir)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no web dir", []string{"--web", filepath.Join(dir, "nosuchdir")}, "nosuchdir"},
		{"web with open policy", []string{"--web", dir, "--policy", "open"}, "--web needs --policy election"},
		{"bad policy", []string{"--policy", "closed"}, `--policy "closed"`},
		{"bad witness", []string{"--witness", "nokey"}, "not URL=VKEY"},
		{"address in use", []string{"--addr", busy.Addr().String()}, "listening"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := filepath.Join(dir, "board.db")
			args := append([]string{"board", "serve", "--init", "--db", db, "--key", filepath.Join(keyDir, "board.skey"), "--addr", "127.0.0.1:0"}, tt.args...)
			out, err := run(t, args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("board serve %s = %v, want %q\n%s", tt.name, err, tt.want, out)
			}
			if left, _ := filepath.Glob(db + "*"); len(left) != 0 {
				t.Errorf("the failed board serve left %v", left)
			}
		})
	}
}

// TestCredentialWithNewline: a credential file that an editor or a copy
// ended with a newline (or CRLF) is the same credential.
func TestCredentialWithNewline(t *testing.T) {
	l := newLab(t, 3)
	board := l.serveGenuine()
	cred := l.credential(0)
	data, err := os.ReadFile(cred)
	l.must(err)
	for _, end := range []string{"\n", "\r\n", "\n\n  "} {
		l.must(os.WriteFile(cred, append(bytes.Clone(data), end...), 0o600))
		out, err := run(t, append([]string{"voter", "check-roll", "--credential", cred}, board...)...)
		if err != nil || !strings.Contains(out, "ON THE ROLL") {
			t.Errorf("check-roll of a credential ending in %q: %v\n%s", end, err, out)
		}
	}
}

// TestVerifyExportAnchored: board verify-export takes evote verify's flag
// names (and still its old ones), says that a file cut inside a record is
// truncated, and does not say that a file cut at a line's end holds unless
// a checkpoint shows it or --no-checkpoint --unanchored-ok accepts it.
func TestVerifyExportAnchored(t *testing.T) {
	dir := t.TempDir()
	skey, vkey, err := note.GenerateKey(rand.Reader, "export-lab-board")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	l, err := bulletin.OpenLog(t.Context(), store.NewMemory(), bulletin.NewOpenPolicy, bulletin.LogOptions{Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var export []byte
	for i := range 5 {
		rec, _, err := l.Append(t.Context(), bulletin.Sign(testKey(), "note", fmt.Appendf(nil, `{"i":%d}`, i)))
		if err != nil {
			t.Fatal(err)
		}
		enc, err := rec.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		export = append(append(export, enc...), '\n')
	}
	at := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	full, key, cp := at("export.jsonl", export), at("board.vkey", []byte(vkey+"\n")), at("checkpoint.txt", l.Checkpoint().Note)
	lines := bytes.SplitAfter(export, []byte("\n"))
	cut := at("cut.jsonl", bytes.Join(lines[:3], nil))
	truncated := at("truncated.jsonl", export[:len(export)-20])

	verify := func(args ...string) (string, error) {
		t.Helper()
		stdout, stderr, err := runEvote(t, append([]string{"board", "verify-export"}, args...)...)
		var msg strings.Builder
		if err != nil {
			printError(&msg, err)
		}
		return stdout + stderr + msg.String(), err
	}
	for _, tt := range []struct {
		name   string
		args   []string
		status int // 0 success, else the exit status
		want   []string
	}{
		{"verify's names", []string{"--record", full, "--checkpoint", cp, "--board-key", "@" + key}, 0,
			[]string{"ok: 5 records", "ok: the first 5 records match the signed checkpoint"}},
		{"key file", []string{"--record", full, "--checkpoint", cp, "--board-key-file", key}, 0, []string{"match the signed checkpoint"}},
		{"old names", []string{"--in", full, "--vkey", key, "--checkpoint", cp}, 0, []string{"match the signed checkpoint"}},
		{"old and new", []string{"--in", full, "--record", full, "--vkey", key, "--checkpoint", cp}, 1, []string{"--record and --in"}},
		{"no checkpoint", []string{"--record", full}, 1, []string{"no checkpoint given", "--no-checkpoint"}},
		{"cut, no checkpoint", []string{"--record", cut}, 1, []string{"no checkpoint given"}},
		{"cut, unanchored", []string{"--record", cut, "--no-checkpoint"}, 3,
			[]string{"ok: 3 records", "warning: no checkpoint given: the file may be missing records at the end", "unanchored"}},
		{"cut, unanchored ok", []string{"--record", cut, "--no-checkpoint", "--unanchored-ok"}, 0, []string{"warning: no checkpoint given"}},
		{"cut, checkpoint", []string{"--record", cut, "--checkpoint", cp, "--board-key", "@" + key}, 1,
			[]string{"signs 5 records, but the export holds only 3: records from 3 on are missing"}},
		{"truncated", []string{"--record", truncated, "--checkpoint", cp, "--board-key", "@" + key}, 1,
			[]string{"the export ends in the middle of record 4 (line 5): the file is truncated", "the 4 records before it verify"}},
		{"checkpoint without key", []string{"--record", full, "--checkpoint", cp}, 1, []string{"needs the board's key"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := verify(tt.args...)
			var st *statusError
			switch {
			case tt.status == 0 && err != nil, tt.status != 0 && err == nil:
				t.Errorf("exit: %v, want status %d\n%s", err, tt.status, out)
			case tt.status == 3 && (!errors.As(err, &st) || st.status != 3):
				t.Errorf("exit: %v, want status 3\n%s", err, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "altered") {
				t.Errorf("output speaks of altered records:\n%s", out)
			}
		})
	}
	help := mustRun(t, "board", "verify-export", "--help")
	if strings.Contains(help, "--in") || strings.Contains(help, "--vkey") || !strings.Contains(help, "--record FILE") {
		t.Errorf("verify-export --help:\n%s", help)
	}
}
