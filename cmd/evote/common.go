package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/urfave/cli/v2"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/term"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/election"
	"github.com/evote/evote/election/follow"
	"github.com/evote/evote/election/participant"
	"github.com/evote/evote/internal/progress"
)

// boardFlags returns the flags that name the board a participant talks to
// and the key its checkpoints must verify under: for a board kept by
// several operators (docs/spec/replicated-board.md §5), each operator's URL
// and key, in the same order. Each call makes new flags: urfave/cli
// records parsing state in them, so apps must not share them.
func boardFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "board", Usage: "the board's base `URL`; for a board kept by several operators, each operator's URL (repeat the flag, or separate them with commas): a post that one operator does not acknowledge goes to the next, then to the other operators the election's definition gives an address (url) for",
			EnvVars: []string{"EVOTE_BOARD"}, Value: cli.NewStringSlice("http://127.0.0.1:8080")},
		&cli.StringSliceFlag{Name: "board-key", Usage: "the board's checkpoint verifier `KEY`, or @FILE holding it; with several --board URLs, one key per URL in the same order", EnvVars: []string{"EVOTE_BOARD_KEY"}},
		&cli.DurationFlag{Name: "board-timeout", Usage: "how long a post waits for one operator's answer before it tries the next", Value: client.DefaultAttempt},
		&cli.DurationFlag{Name: "board-hedge", Usage: "how long a post waits for one operator's answer before it goes to the next operator as well, the first acknowledgement counting (an operator whose machine or link died during the post never answers); 0 for one operator at a time", Value: client.DefaultHedge},
	}
}

// readKeyArg returns the value of a flag that holds a key inline or, as
// @FILE, in a file.
func readKeyArg(v, flag string) (string, error) {
	if v == "" {
		return "", withHint(fmt.Errorf("--%s is required", flag), "pass the board's verifier key (the .vkey file written by `evote board keygen`) as --%s @FILE", flag)
	}
	if name, ok := strings.CutPrefix(v, "@"); ok {
		b, err := os.ReadFile(name)
		if err != nil {
			return "", fmt.Errorf("--%s: %w", flag, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return v, nil
}

// boardKeys returns the keys of --board-key, one per --board URL.
func boardKeys(c *cli.Context) ([]string, error) {
	urls, args := c.StringSlice("board"), c.StringSlice("board-key")
	if len(args) == 0 {
		args = []string{""} // readKeyArg explains
	}
	if len(args) != len(urls) {
		return nil, withHint(fmt.Errorf("%d --board URLs and %d --board-key keys", len(urls), len(args)),
			"give each operator's key, in the order of its --board URL")
	}
	keys := make([]string, len(args))
	for i, a := range args {
		var err error
		if keys[i], err = readKeyArg(a, "board-key"); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// boardConn is the board a participant talks to: the operator it reads,
// and every operator, which posts fall over between (client.Boards): the
// ones named by --board, in order, then, once a follower has verified the
// election's definition (setDefinition), the other operators it gives a
// url hint for (docs/spec/replicated-board.md §5.1).
type boardConn struct {
	*client.Client // the operator read
	read           int
	opts           client.BoardsOptions

	mu     sync.Mutex
	def    *ballot.Manifest          // the election's definition, once known (accept)
	all    *client.Boards            // the named operators, then the hinted ones
	hinted map[*client.Client]string // the hinted operators' names; nil until a definition was verified
}

// newBoardConn returns the board of the operators' clients, reading the
// first; posts wait attempt for each operator's answer, go to the next
// operator as well after hedge (client.BoardsOptions), and say on w when
// they fall over or hedge to the next, and go only to operators whose key
// is the one the election's definition names for them (accept).
func newBoardConn(clients []*client.Client, attempt, hedge time.Duration, w io.Writer) (*boardConn, error) {
	b := &boardConn{Client: clients[0]}
	b.opts = client.BoardsOptions{
		Attempt: attempt,
		Hedge:   hedge,
		OnFailover: func(from, to *client.Client, err error) {
			fmt.Fprintf(w, "evote: the board operator %s did not acknowledge the post (%v); posting it to %s instead (posting twice is safe)\n", from.URL(), err, b.where(to))
		},
		OnHedge: func(from, to *client.Client) {
			fmt.Fprintf(w, "evote: the board operator %s has not answered the post within %v; posting it to %s as well (posting twice is safe)\n", from.URL(), hedge, b.where(to))
		},
		Accept: b.accept,
	}
	all, err := client.NewBoards(clients, b.opts)
	if err != nil {
		return nil, err
	}
	b.all = all
	return b, nil
}

// setDefinition tells the board the election's definition, as a follower
// verified it. The first time, the operators it gives a url hint for that
// --board does not name (by their key's name, or by their URL) are added
// after the named ones, each under the board key the definition names
// for it: a hint is only an address (accept).
func (b *boardConn) setDefinition(m *ballot.Manifest) {
	if m == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.def = m
	if b.hinted != nil {
		return
	}
	b.hinted = map[*client.Client]string{}
	clients := b.all.Clients()
	named := map[string]bool{}
	for _, cl := range clients {
		named[cl.URL()] = true
		if v, err := note.NewVerifier(cl.Key()); err == nil {
			named[v.Name()] = true
		}
	}
	for _, op := range m.Operators {
		if op.URL == "" || named[op.Name] || named[strings.TrimSuffix(op.URL, "/")] {
			continue
		}
		// The definition's parser checked the URL and the key.
		cl, err := client.New(op.URL, op.BoardKey, nil)
		if err != nil {
			continue
		}
		b.hinted[cl] = op.Name
		clients = append(clients, cl)
	}
	if all, err := client.NewBoards(clients, b.opts); err == nil {
		b.all = all
	}
}

// where names the operator of cl for the participant: its URL, and its
// name if the election's definition hinted at it (hint).
func (b *boardConn) where(cl *client.Client) string {
	if name, ok := b.hint(cl); ok {
		return hintedAt(name, cl.URL())
	}
	return cl.URL()
}

// hint returns the name of the operator whose client cl is, if the
// election's definition hinted at it rather than --board naming it.
func (b *boardConn) hint(cl *client.Client) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	name, ok := b.hinted[cl]
	return name, ok
}

// boards returns the operators posts go to.
func (b *boardConn) boards() *client.Boards {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.all
}

// accept is the Boards' Accept (docs/spec/replicated-board.md §5.1): an
// operator is posted to only under the board key the election's
// definition names for it (election.CheckBoardKey). The definition is the
// one a follower verified (setDefinition) or, before, record 0 of the
// operator read, which the participant's follower verifies with the rest
// before the command acts on the board. A board without a definition yet
// names no key, and every operator is posted to. An operator found at the
// address the definition hints at is posted to only if its checkpoint is
// signed with that key: the hint is an address, and whoever answers there
// under another key is left out, named.
func (b *boardConn) accept(ctx context.Context, cl *client.Client) error {
	b.mu.Lock()
	m := b.def
	b.mu.Unlock()
	if m == nil {
		rec, err := b.Client.Record(ctx, 0)
		var he *client.HTTPError
		switch {
		case errors.As(err, &he) && he.Status == 404:
			return nil
		case err != nil:
			return fmt.Errorf("reading the election's definition to check the operator's key: %w", err)
		case rec.Type != election.TypeDefinition:
			return fmt.Errorf("record 0 of %s is %q, not the election's definition", b.Client.URL(), rec.Type)
		}
		if m, err = ballot.ParseCanonicalManifest(rec.Payload); err != nil {
			return fmt.Errorf("reading the election's definition to check the operator's key: %w", err)
		}
		b.mu.Lock()
		if b.def == nil {
			b.def = m
		}
		b.mu.Unlock()
	}
	if err := election.CheckBoardKey(m, cl.Key()); err != nil {
		return err
	}
	if name, ok := b.hint(cl); ok {
		if _, err := cl.Checkpoint(ctx); err != nil {
			return fmt.Errorf("%s does not serve a checkpoint signed by the board key the definition names for it: %w", hintedAt(name, cl.URL()), err)
		}
	}
	return nil
}

// hintedAt names the operator name at url, a hint of the election's
// definition.
func hintedAt(name, url string) string {
	return fmt.Sprintf("the operator %q at %s, the address the election's definition gives for it,", name, url)
}

// boardClients returns a client per operator named by boardFlags, in order.
func boardClients(c *cli.Context) ([]*client.Client, error) {
	keys, err := boardKeys(c)
	if err != nil {
		return nil, err
	}
	clients := make([]*client.Client, len(keys))
	for i, url := range c.StringSlice("board") {
		if clients[i], err = client.New(url, keys[i], nil); err != nil {
			return nil, err
		}
	}
	return clients, nil
}

// boardClient returns the board named by boardFlags. With several
// operators, it reads the first whose signed checkpoint it can get, and
// says so for each one it passes over.
func boardClient(c *cli.Context) (*boardConn, error) {
	clients, err := boardClients(c)
	if err != nil {
		return nil, err
	}
	b, err := newBoardConn(clients, c.Duration("board-timeout"), c.Duration("board-hedge"), c.App.ErrWriter)
	if err != nil {
		return nil, err
	}
	if len(clients) == 1 {
		return b, nil
	}
	for i, cl := range clients {
		ctx, cancel := context.WithTimeout(c.Context, c.Duration("board-timeout"))
		_, err = cl.Checkpoint(ctx)
		cancel()
		if err == nil {
			b.Client, b.read = cl, i
			return b, nil
		}
		fmt.Fprintf(c.App.ErrWriter, "evote: cannot read the board operator %s: %v\n", cl.URL(), err)
	}
	return nil, withHint(errors.New("no board operator could be read"), "are the operators running? name them with --board URL (or EVOTE_BOARD)")
}

// boardRefusal explains an error of following the board: a board that
// could not be reached, or one whose records do not verify, in which case
// the command did what refused says (for example "posted nothing").
func boardRefusal(err error, refused string) error {
	if errors.Is(err, follow.ErrRefused) {
		return withHint(err, "the board sent records that do not verify, so this command %s; "+
			"tell the election official and observers, and keep this output as evidence", refused)
	}
	return boardHint(err)
}

// follower is a participant's verified follower of the board
// (follow.Follower) that, after each sync, tells the participant's board
// connection the definition it verified (boardConn.setDefinition), so that
// its posts may fall over to the operators the definition gives a url
// hint for.
type follower struct {
	*follow.Follower
	conn *boardConn // nil: nobody to tell
}

// follower returns a follower of the operator b reads (newFollower) that
// tells b the definition it verified.
func (b *boardConn) follower() *follower {
	f := newFollower(b.Client)
	f.conn = b
	return f
}

// newFollower returns a follower of the board that shows its progress on
// standard error when a sync has many records to read.
func newFollower(cl *client.Client) *follower {
	f := follow.New(cl)
	var bar *progress.Bar
	f.SetProgress(func(done, total int64) {
		if total < progressThreshold && bar == nil {
			return
		}
		if bar == nil {
			bar = progress.New(os.Stderr, "reading the board")
		}
		if done == total {
			bar.Done(fmt.Sprintf("%d records", total))
			bar = nil
			return
		}
		bar.Show(float64(done)/float64(total), fmt.Sprintf("%d/%d records, %.0f/s", done, total, bar.Rate(done)))
	})
	return &follower{Follower: f}
}

// progressThreshold is the number of records from which reading a board
// shows a progress bar; smaller boards are read too fast to need one.
const progressThreshold = 10_000

// boardState connects to the board named by boardFlags and replays its
// records into the election state, verifying every one.
func boardState(c *cli.Context) (*boardConn, *election.State, error) {
	cl, err := boardClient(c)
	if err != nil {
		return nil, nil, err
	}
	st, err := syncBoard(c.Context, cl.follower(), 0)
	if err != nil {
		return nil, nil, boardRefusal(err, "acted on nothing and posted nothing")
	}
	return cl, st, nil
}

// witnessWait bounds how long a command waits for the board's checkpoint
// to be cosigned by the witnesses' quorum, or to cover a record it needs.
var witnessWait = 30 * time.Second

// syncBoard replays the board through f until its checkpoint, cosigned as
// the definition requires, covers at least size records; it waits up to
// witnessWait, since a board with witnesses serves the newest checkpoint a
// quorum of them cosigned, a moment after its latest record. It tells the
// follower's board connection the definition it verified.
func syncBoard(ctx context.Context, f *follower, size int64) (*election.State, error) {
	ctx, cancel := context.WithTimeout(ctx, witnessWait)
	defer cancel()
	st, err := f.SyncTo(ctx, size)
	if err == nil && f.conn != nil {
		f.conn.setDefinition(st.Manifest())
	}
	return st, err
}

// officialKey reads the official's signing key named by --key.
func officialKey(c *cli.Context) (election.KeySigner, error) {
	key, err := readSigningKey(c.String("key"))
	if err != nil {
		return nil, err
	}
	return election.KeySigner(key), nil
}

// officialAndBoard reads the official's key and connects to the board.
func officialAndBoard(c *cli.Context) (election.KeySigner, *boardConn, error) {
	key, err := officialKey(c)
	if err != nil {
		return nil, nil, err
	}
	cl, err := boardClient(c)
	if err != nil {
		return nil, nil, err
	}
	return key, cl, nil
}

// boardHint adds advice to an error of talking to the board, when the
// board could not be reached at all.
func boardHint(err error) error {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return withHint(err, "is the board running? name it with --board URL (or EVOTE_BOARD)")
	}
	return err
}

// waitFor polls the board through f until cond holds for its state,
// printing what it waits for once.
func waitFor(ctx context.Context, c *cli.Context, f *follower, what string, cond func(*election.State) bool) (*election.State, error) {
	told := false
	for {
		st, err := syncBoard(ctx, f, 0)
		if err != nil {
			return nil, boardRefusal(err, "acted on nothing and posted nothing")
		}
		if cond(st) {
			return st, nil
		}
		if !c.Bool("wait") {
			return nil, withHint(fmt.Errorf("waiting for %s", what), "run again later, or pass --wait to keep polling the board")
		}
		if !told {
			fmt.Fprintf(c.App.ErrWriter, "waiting for %s…\n", what)
			told = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

// pollInterval is how often waitFor asks the board again.
var pollInterval = 500 * time.Millisecond

// waitFlag returns a new --wait flag.
func waitFlag() cli.Flag {
	return &cli.BoolFlag{Name: "wait", Usage: "keep polling the board until the step can be done"}
}

// post signs v as a record of type typ and posts it, explaining a refusal.
func post(ctx context.Context, cl *boardConn, s election.Signer, typ string, v any) (*bulletin.Record, *bulletin.Receipt, error) {
	p, err := submit(ctx, cl, s, typ, v)
	if err != nil {
		return nil, nil, err
	}
	return p.Record, p.Receipt, nil
}

// submit is post, also returning the board's notice.
func submit(ctx context.Context, cl *boardConn, s election.Signer, typ string, v any) (*client.Posted, error) {
	sub, err := election.NewSubmission(s, typ, v)
	if err != nil {
		return nil, err
	}
	return submitSigned(ctx, cl, sub)
}

// submitSigned posts a signed submission, explaining a refusal.
func submitSigned(ctx context.Context, cl *boardConn, sub *bulletin.Submission) (*client.Posted, error) {
	p, err := cl.boards().Submit(ctx, sub, cl.read)
	if errors.Is(err, client.ErrNoOperator) {
		return nil, withHint(fmt.Errorf("the %s record was not acknowledged: %w", sub.Type, err),
			"whether it reached the board is not known; run the command again when an operator answers: posting it again is safe, the board never takes it twice")
	}
	if err != nil {
		err = fmt.Errorf("the board refused the %s record: %w", sub.Type, err)
		var rej *bulletin.RejectError
		if errors.As(err, &rej) && rej.Code == bulletin.CodeTooLarge {
			return nil, withHint(err, "the %s record is %d bytes; the board operator can raise the limit with `evote board serve --max-payload BYTES`", sub.Type, len(sub.Payload))
		}
		return nil, boardHint(err)
	}
	return p, nil
}

// boardPost returns the participant.PostFunc that posts to the board
// behind cl as post does.
func boardPost(cl *boardConn) participant.PostFunc {
	return func(ctx context.Context, sub *bulletin.Submission) (*bulletin.Record, *bulletin.Receipt, error) {
		p, err := submitSigned(ctx, cl, sub)
		if err != nil {
			return nil, nil, err
		}
		return p.Record, p.Receipt, nil
	}
}

// writeSigningKey stores an Ed25519 private key as a PKCS #8 PEM file that
// only its owner can read. It refuses to overwrite a file.
func writeSigningKey(path string, priv ed25519.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	return writeNewFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
}

// readSigningKey reads a key written by writeSigningKey.
func readSigningKey(path string) (ed25519.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: not a PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an Ed25519 key", path)
	}
	return priv, nil
}

// writeNewFile writes data to a file that must not exist yet. If writing
// fails, it removes the file it created.
func writeNewFile(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return withHint(err, "refusing to overwrite %s; move it away first", path)
		}
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// keygenDir is the output directory of a keygen, which a failed keygen
// leaves as it found it: undo removes the files the keygen wrote (wrote)
// and the directories it created, and nothing that was there before.
type keygenDir struct {
	dirs  []string // created, outermost first
	files []string
}

// makeKeygenDir creates dir and its missing parents with perm, one at a
// time, recording each it created.
func makeKeygenDir(dir string, perm os.FileMode) (*keygenDir, error) {
	var missing []string // innermost first
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); !errors.Is(err, fs.ErrNotExist) || filepath.Dir(d) == d {
			break
		}
		missing = append(missing, d)
	}
	k := &keygenDir{}
	for i := len(missing) - 1; i >= 0; i-- {
		err := os.Mkdir(missing[i], perm)
		switch {
		case err == nil:
			k.dirs = append(k.dirs, missing[i])
		case !errors.Is(err, fs.ErrExist): // made by another meanwhile: not ours to remove
			k.undo()
			return nil, fmt.Errorf("creating key directory: %w", err)
		}
	}
	return k, nil
}

// wrote records a file the keygen created, for undo.
func (k *keygenDir) wrote(path string) { k.files = append(k.files, path) }

// undo removes the recorded files, then the created directories, innermost
// first; a directory that is not empty stays.
func (k *keygenDir) undo() {
	for _, f := range k.files {
		os.Remove(f)
	}
	for i := len(k.dirs) - 1; i >= 0; i-- {
		os.Remove(k.dirs[i])
	}
}

// replaceFile atomically replaces path with data: it writes and syncs a
// temporary file of a unique name in the same directory, then renames it
// over path. Concurrent calls do not collide: each writes its own
// temporary file, and path ends up holding the data of one of them. A
// failed call removes its temporary file.
func replaceFile(path string, data []byte, perm os.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	return nil
}

// passphraseFlag returns a new --passphrase-file flag.
func passphraseFlag() cli.Flag {
	return &cli.StringFlag{Name: "passphrase-file", Usage: "read the keystore passphrase from `FILE` (else $EVOTE_PASSPHRASE, else a prompt)"}
}

// minPassphrase is the fewest characters a new keystore's passphrase may
// have. Argon2id slows each guess; it cannot make up for a short passphrase.
const minPassphrase = 8

// readPassphrase returns the keystore passphrase from --passphrase-file,
// $EVOTE_PASSPHRASE or, on a terminal, a prompt. With confirm set, for a
// new keystore, the prompt asks twice and a passphrase shorter than
// minPassphrase characters is refused; passphrases of existing keystores
// are taken as they are. A passphrase file that group or others may read
// gets a warning.
func readPassphrase(c *cli.Context, confirm bool) ([]byte, error) {
	p, err := passphraseInput(c, confirm)
	if err != nil {
		return nil, err
	}
	if n := utf8.RuneCount(p); confirm && n < minPassphrase {
		return nil, withHint(fmt.Errorf("the passphrase has %d characters; a keystore's needs at least %d", n, minPassphrase),
			"choose a longer passphrase: a few unrelated words are easy to remember and hard to guess")
	}
	return p, nil
}

// passphraseInput reads the passphrase for readPassphrase.
func passphraseInput(c *cli.Context, confirm bool) ([]byte, error) {
	if name := c.String("passphrase-file"); name != "" {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("reading the passphrase: %w", err)
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o044 != 0 {
			fmt.Fprintf(c.App.ErrWriter, "evote: warning: the passphrase file %s is readable by group or others (mode %04o); run chmod 600 %s\n", name, fi.Mode().Perm(), name)
		}
		b, err := io.ReadAll(f)
		if err != nil {
			return nil, fmt.Errorf("reading the passphrase: %w", err)
		}
		return bytes.TrimRight(b, "\r\n"), nil
	}
	if p := os.Getenv("EVOTE_PASSPHRASE"); p != "" {
		return []byte(p), nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return nil, withHint(errors.New("no passphrase given"), "use --passphrase-file FILE or set EVOTE_PASSPHRASE")
	}
	fmt.Fprint(os.Stderr, "Keystore passphrase: ")
	p, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return nil, err
	}
	if confirm {
		fmt.Fprint(os.Stderr, "Again: ")
		q, err := term.ReadPassword(fd)
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(p, q) {
			return nil, errors.New("the passphrases differ")
		}
	}
	if len(p) == 0 {
		return nil, errors.New("empty passphrase")
	}
	return p, nil
}

// out is where a command prints its results.
func out(c *cli.Context) io.Writer { return c.App.Writer }
