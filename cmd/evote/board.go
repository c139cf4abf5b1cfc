package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"github.com/urfave/cli/v2"
	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin"
	"github.com/evote/evote/bulletin/client"
	"github.com/evote/evote/bulletin/replica"
	"github.com/evote/evote/bulletin/server"
	"github.com/evote/evote/bulletin/store/sqlite"
	"github.com/evote/evote/bulletin/witness"
	"github.com/evote/evote/election"
	"github.com/evote/evote/voterclient/web"
)

// boardRand is the randomness for board keys; tests replace it.
var boardRand io.Reader = rand.Reader

// boardCommand is "evote board": run, export and verify the bulletin board.
func boardCommand() *cli.Command {
	return &cli.Command{
		Name:  "board",
		Usage: "run, export and verify the bulletin board",
		Subcommands: []*cli.Command{
			boardKeygenCommand(),
			boardServeCommand(),
			boardExportCommand(),
			boardVerifyExportCommand(),
			boardCheckCommand(),
		},
	}
}

func boardKeygenCommand() *cli.Command {
	return &cli.Command{
		Name:  "keygen",
		Usage: "create the board's checkpoint signing key (DIR/board.skey, DIR/board.vkey)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "directory to write the key files to", Required: true},
			&cli.StringFlag{Name: "origin", Aliases: []string{"name"}, Usage: "the board's name for its whole life: its checkpoint origin and its key's name, a schema-less URL-like `NAME` (e.g. vote.example.org/2026-municipal)", Value: "evote-board"},
		},
		Action: boardKeygen,
	}
}

// boardKeygen writes a new board key pair. If it fails, it leaves the
// --out directory as it found it.
func boardKeygen(c *cli.Context) (err error) {
	dir, origin := c.String("out"), c.String("origin")
	if !ballot.ValidLogName(origin) {
		return withHint(fmt.Errorf("--origin %q is not a log name", origin), "use a schema-less URL-like name without spaces or '+', such as vote.example.org/2026-municipal")
	}
	skey, vkey, err := note.GenerateKey(boardRand, origin)
	if err != nil {
		return fmt.Errorf("generating board key: %w", err)
	}
	made, err := makeKeygenDir(dir, 0o755)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			made.undo()
		}
	}()
	sPath, vPath := filepath.Join(dir, "board.skey"), filepath.Join(dir, "board.vkey")
	for _, f := range []struct {
		path, key string
		perm      os.FileMode
	}{{sPath, skey, 0o600}, {vPath, vkey, 0o644}} {
		if err := writeNewFile(f.path, []byte(f.key+"\n"), f.perm); err != nil {
			if errors.Is(err, os.ErrExist) {
				return withHint(err, "refusing to overwrite an existing key; choose another --out directory")
			}
			return fmt.Errorf("writing key file: %w", err)
		}
		made.wrote(f.path)
	}
	fmt.Fprintf(c.App.Writer, "%s\n", vkey)
	fmt.Fprintf(c.App.ErrWriter, "evote: wrote %s (secret, keep it on the board host) and %s (publish it)\n", sPath, vPath)
	return nil
}

// readKeyFile reads a one-line note key file.
func readBoardKeyFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading key: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

func boardServeCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "serve the bulletin board over HTTP",
		Description: "Serves the board in --db until SIGINT or SIGTERM. The database must exist\n" +
			"unless --init is given, which creates it (and fails if it exists). One board\n" +
			"process at a time may serve a database: it holds a lock on --db.lock.\n" +
			"GET /healthz says the process is alive, GET /readyz whether it can append.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "db", Usage: "SQLite database `FILE` (default with --network: HOME/board.db)"},
			&cli.StringFlag{Name: "network", Usage: "run as one operator of a replicated board, from its `HOME` (made by evote network init): the board's database and key default to HOME's, and the operator orders submissions with the others by consensus (docs/spec/replicated-board.md)"},
			&cli.StringFlag{Name: "addr", Usage: "listen address (loopback unless behind a TLS proxy); default with --network: the host and port of the operator's url in HOME/operators.json (evote network init --url), if it has one", Value: "127.0.0.1:8080"},
			&cli.StringFlag{Name: "key", Usage: "checkpoint signing key `FILE` (from evote board keygen)", EnvVars: []string{"EVOTE_BOARD_SKEY"}},
			&cli.BoolFlag{Name: "init", Usage: "create a new database at --db"},
			&cli.Float64Flag{Name: "rate-limit", Usage: "requests per second per client IP (0: no limit)", Value: 50},
			&cli.IntFlag{Name: "rate-burst", Usage: "requests a client IP may burst", Value: 100},
			&cli.StringSliceFlag{Name: "trusted-proxy", Usage: "a reverse proxy's `CIDR` or address (TLS terminator, load balancer) whose X-Forwarded-For names the client, so that rate limits apply per voter, not to the proxy (repeatable)"},
			&cli.Float64Flag{Name: "ballot-rate", Usage: "ballots and challenged ballots per minute per credential, from whatever address (0: no limit)", Value: 6},
			&cli.IntFlag{Name: "ballot-burst", Usage: "ballots and challenged ballots a credential may burst", Value: 10},
			&cli.IntFlag{Name: "max-payload", Usage: "largest record payload in bytes", Value: bulletin.DefaultMaxPayload},
			&cli.IntFlag{Name: "queue", Usage: "submissions waiting for the writer before 503", Value: 8192},
			&cli.IntFlag{Name: "verify-queue", Usage: "ballots in hand at once, from their signature check to their verdict, before 503 (0: 128 per CPU, about half a second of work)"},
			&cli.StringFlag{Name: "web", Usage: "also serve the voter and observer pages from `DIR` (built by scripts/build-web.sh); needs --policy election"},
			&cli.StringFlag{Name: "vkey", Usage: "the board's verifier key `FILE`, shown on the voter page for checking receipts (default: the .vkey beside --key)"},
			&cli.StringFlag{Name: "policy", Usage: "admission rules: \"election\" (the election's rules, docs/spec/election.md) or \"open\" (any well-signed record; for load tests)", Value: "election"},
			&cli.StringSliceFlag{Name: "peer", Usage: "with --network: another operator's board, as `NAME=URL`, NAME as in HOME/operators.json, whose cosignature of each checkpoint the operator gathers (repeatable; default: every other operator at its url in HOME/operators.json, if it has one); with them, /checkpoint serves checkpoints cosigned by more than two thirds of the operators"},
			&cli.StringSliceFlag{Name: "witness", Usage: "a witness to collect cosignatures from, as `URL=VKEY`: its add-checkpoint URL prefix and its cosignature verifier key (repeatable; @FILE reads one per line)"},
			&cli.IntFlag{Name: "witness-quorum", Usage: "cosignatures a checkpoint needs before /checkpoint serves it (default: all the witnesses)"},
			&cli.Uint64Flag{Name: "min-free-space", Usage: "free disk space in `MiB` beside --db below which GET /readyz says the board is not ready", Value: 64},
			&cli.StringSliceFlag{Name: "feed-origin", Usage: "a web `ORIGIN`, scheme://host[:port], whose pages may follow the websocket feed besides the board's own (--web) pages, the peers' and those of the operators the election's definition gives an address for; \"*\" for any (repeatable)"},
			&cli.StringSliceFlag{Name: "api-origin", Usage: "a web `ORIGIN`, scheme://host[:port], whose pages may post to the board from another origin (CORS); default with --peer: the peers' origins, whose voter pages fall over to this operator (repeatable); the origins of the operators the election's definition gives an address for are always allowed"},
			&cli.DurationFlag{Name: "web-hedge", Usage: "how long the voter page waits for one operator's answer to a ballot before it posts the ballot to the next operator as well, the first receipt counting (an operator whose link died during the post neither answers nor fails); 0 for one operator at a time", Value: client.DefaultHedge},
			&cli.DurationFlag{Name: "web-attempt", Usage: "how long the voter and observer pages wait for one operator's answer (to a ballot; to a read, its headers; the observer's feed, its opening) before they fall over to the next", Value: client.DefaultAttempt},
			&cli.IntFlag{Name: "max-feeds", Usage: "websocket feed subscribers served at once", Value: 1000},
			&cli.IntFlag{Name: "max-feeds-per-client", Usage: "websocket feed subscribers one client address (IPv6: one /64) may hold", Value: 16},
			&cli.StringFlag{Name: "state", Usage: "`FILE` where the board saves the election's state as it runs and when it stops, so that it restarts in seconds, not minutes (default: --db with .state appended; \"off\": replay every record at start)"},
			// Test-only: a byzantine operator, for tests and the Must-show
			// runs (scripts/), never for an election.
			&cli.BoolFlag{Name: "test-drop-ballots", Hidden: true, Usage: "TEST ONLY: with --network, play a byzantine operator that takes every ballot posted to it and drops it, never ordering it"},
		},
		Action: boardServe,
	}
}

func boardServe(c *cli.Context) error {
	// Check every flag, and take the listening address, before opening
	// the database: a board that cannot start must not leave a new, empty
	// database behind (it would make the next --init fail).
	keyPath, dbPath, network := c.String("key"), c.String("db"), c.String("network")
	if c.Bool("test-drop-ballots") && network == "" {
		return errors.New("--test-drop-ballots needs --network: it plays a byzantine operator of a replicated board")
	}
	if network != "" {
		if c.Bool("init") {
			return withHint(errors.New("--init with --network"), "evote network init made the operator's database; drop --init")
		}
		if keyPath == "" {
			keyPath = filepath.Join(network, operatorSKey)
		}
		if dbPath == "" {
			dbPath = filepath.Join(network, operatorDB)
		}
	}
	if dbPath == "" {
		return withHint(errors.New("no database"), "pass --db FILE (with --init to create it), or --network HOME for an operator of a replicated board")
	}
	if keyPath == "" {
		return withHint(errors.New("no checkpoint signing key"), "run \"evote board keygen --out DIR\" and pass --key DIR/board.skey (or set EVOTE_BOARD_SKEY)")
	}
	skey, err := readBoardKeyFile(keyPath)
	if err != nil {
		return err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return withHint(fmt.Errorf("loading signing key %s: %w", keyPath, err), "--key takes the board.skey file, not board.vkey")
	}
	minFree := c.Uint64("min-free-space")
	if minFree == 0 || minFree > 1<<40 {
		return fmt.Errorf("--min-free-space %d: want 1 to %d MiB", minFree, uint64(1)<<40)
	}
	proxies, err := server.ParseTrustedProxies(c.StringSlice("trusted-proxy"))
	if err != nil {
		return withHint(fmt.Errorf("--trusted-proxy: %w", err), "give the proxy's address or network, such as 127.0.0.1 or 10.0.0.0/8")
	}
	feedOrigins, err := server.ParseFeedOrigins(c.StringSlice("feed-origin"))
	if err != nil {
		return withHint(fmt.Errorf("--feed-origin: %w", err), "give the origin of the page that follows the feed, such as https://observer.example.org, or \"*\" for any page")
	}
	if c.Int("max-feeds") < 1 || c.Int("max-feeds-per-client") < 1 {
		return fmt.Errorf("--max-feeds %d, --max-feeds-per-client %d: want at least 1", c.Int("max-feeds"), c.Int("max-feeds-per-client"))
	}
	vkey, err := bulletin.VerifierKey(skey)
	if err != nil {
		return err
	}
	switch c.String("policy") {
	case "election", "open":
	default:
		return fmt.Errorf("--policy %q: want \"election\" or \"open\"", c.String("policy"))
	}
	webDir, webKey := c.String("web"), ""
	if webDir != "" {
		if c.String("policy") != "election" {
			return errors.New("--web needs --policy election: the pages show an election")
		}
		if err := checkWebDir(webDir); err != nil {
			return err
		}
		if webKey, err = boardVerifierKey(c, keyPath); err != nil {
			return err
		}
	}
	witnesses, quorum, err := parseWitnesses(c)
	if err != nil {
		return err
	}
	cosignKey, operators, peers, err := operatorCosigning(c, network, vkey)
	if err != nil {
		return err
	}
	addr, err := listenAddr(c, network, vkey, operators)
	if err != nil {
		return err
	}
	apiOrigins, peerOrigins, webOperators, err := operatorPages(c, vkey, operators, peers)
	if err != nil {
		return err
	}
	// The peers' observer pages fall over to this operator's feed.
	feedOrigins = append(feedOrigins, peerOrigins...)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return withHint(fmt.Errorf("listening: %w", err), "is another board already running on %s?", addr)
	}
	defer ln.Close() // if serving never starts; http.Server closes it otherwise
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()

	logger := slog.New(slog.NewTextHandler(c.App.ErrWriter, nil))
	cfg := boardConfig{
		db:          dbPath,
		create:      c.Bool("init"),
		network:     network,
		vkey:        vkey,
		openPolicy:  c.String("policy") == "open",
		verifyQueue: c.Int("verify-queue"),
		log: bulletin.LogOptions{
			Signer:     signer,
			MaxPayload: c.Int("max-payload"),
			QueueSize:  c.Int("queue"),
			Background: true,
			// A board of fewer records replays them in well under a second:
			// it accepts submissions as soon as it answers.
			BackgroundFrom: 20000,
			Snapshot:       statePath(c.String("state"), dbPath),
			Logf:           func(format string, args ...any) { logger.Info(fmt.Sprintf(format, args...)) },
		},
		witnesses: witnesses,
		quorum:    quorum,
		cosignKey: cosignKey,
		operators: operators,
		peers:     peers,
		server: server.Config{
			MaxBodyBytes:     int64(c.Int("max-payload")) + 16<<10,
			RateLimit:        c.Float64("rate-limit"),
			RateBurst:        c.Int("rate-burst"),
			TrustedProxies:   proxies,
			AuthorLimit:      c.Float64("ballot-rate"),
			AuthorBurst:      c.Int("ballot-burst"),
			AuthorLimitTypes: map[string]bool{election.TypeBallot: true, election.TypeChallenge: true},
			Logger:           logger,
			MinFreeSpace:     minFree << 20,

			FeedOrigins:       feedOrigins,
			APIOrigins:        apiOrigins,
			MaxFeeds:          c.Int("max-feeds"),
			MaxFeedsPerClient: c.Int("max-feeds-per-client"),
		},
		webDir:       webDir,
		webKey:       webKey,
		webOperators: webOperators,
		webAttempt:   c.Duration("web-attempt"),
		webHedge:     c.Duration("web-hedge"),
		logger:       logger,
	}
	if c.Bool("test-drop-ballots") {
		fmt.Fprintf(c.App.ErrWriter, "evote: TEST ONLY: this operator drops every ballot posted to it (--test-drop-ballots)\n")
		cfg.drop = func(sub *bulletin.Submission) bool { return sub.Type == election.TypeBallot }
	}
	b, err := openBoard(ctx, cfg)
	if err != nil {
		return err
	}
	defer b.close()
	hs := b.httpServer()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Fprintf(c.App.ErrWriter, "evote: board %q with %d records listening on http://%s\n", b.log.Checkpoint().Origin, b.log.Size(), ln.Addr())

	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	fmt.Fprintf(c.App.ErrWriter, "evote: shutting down the board\n")
	b.server.Close()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}

// checkWebDir checks that dir holds the files the voter and observer pages
// serve (web.Register reads them), so that a mistyped --web fails before
// the board creates or opens anything.
func checkWebDir(dir string) error {
	for _, name := range []string{web.WasmFile, web.WasmExecFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return withHint(fmt.Errorf("--web %s: %w", dir, err), "build the pages' files with scripts/build-web.sh DIR and pass that DIR to --web")
		}
	}
	return nil
}

// removeNewDatabase removes the database that board serve --init created
// at path, with its SQLite side files and lock file, when the board failed
// before serving it: it holds no record yet.
func removeNewDatabase(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal", ".lock", ".state"} {
		os.Remove(path + suffix)
	}
}

// operatorPages returns the origins whose pages may post to this board
// (--api-origin; by default the peers'), the peers' origins, and the other
// operators its voter page falls over to (docs/spec/replicated-board.md
// §5.1): each peer of --peer, with its board key from the network's
// operators, in the order of the operators after this one (the one whose
// board key is vkey).
func operatorPages(c *cli.Context, vkey string, operators []replica.Operator, peers map[string]string) ([]string, []string, []web.Operator, error) {
	values := c.StringSlice("api-origin")
	var ops []web.Operator
	var peerOrigins []string
	self := selfOperator(operators, vkey)
	for k := range operators {
		o := operators[(self+1+k)%len(operators)]
		u := peers[o.Name]
		if u == "" {
			continue
		}
		pu, err := url.Parse(u)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("--peer %s=%s: %w", o.Name, u, err)
		}
		ops = append(ops, web.Operator{Name: o.Name, URL: pu.Scheme + "://" + pu.Host, BoardKey: o.BoardKey})
		peerOrigins = append(peerOrigins, pu.Scheme+"://"+pu.Host)
	}
	if !c.IsSet("api-origin") {
		values = append(values, peerOrigins...)
	}
	origins, err := server.ParseAPIOrigins(values)
	if err != nil {
		return nil, nil, nil, withHint(fmt.Errorf("--api-origin: %w", err), "give the origin of each other operator's voter page, such as https://op2.example.org")
	}
	return origins, peerOrigins, ops, nil
}

// operatorCosigning returns, for the operator whose home is network and
// whose board key is vkey, its cosignature key, the network's operators
// (from its home, as evote network init wrote them) and the other
// operators' URLs, by name: those of --peer if it is given, else those
// that the network's operators give (replica.PeerURLs); none for a home
// without a cosignature key (made by an older evote). It says on stderr
// which peers the operator gathers cosignatures from.
func operatorCosigning(c *cli.Context, network, vkey string) (string, []replica.Operator, map[string]string, error) {
	if network == "" {
		if len(c.StringSlice("peer")) > 0 {
			return "", nil, nil, errors.New("--peer without --network: only an operator of a replicated board has peers")
		}
		return "", nil, nil, nil
	}
	cosignKey, err := readBoardKeyFile(filepath.Join(network, operatorCosignSKey))
	if errors.Is(err, os.ErrNotExist) && len(c.StringSlice("peer")) == 0 {
		return "", nil, nil, nil
	}
	if err != nil {
		return "", nil, nil, withHint(fmt.Errorf("reading the operator's cosignature key: %w", err), "evote network init writes it in each operator's home")
	}
	opsFile := filepath.Join(network, replica.OperatorsFile)
	ops, err := replica.ReadOperators(opsFile)
	if err != nil {
		return "", nil, nil, err
	}
	peers, from := map[string]string{}, "--peer"
	for _, arg := range c.StringSlice("peer") {
		name, url, ok := strings.Cut(arg, "=")
		if !ok || name == "" || !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
			return "", nil, nil, withHint(fmt.Errorf("--peer %q is not NAME=URL", arg), "give each other operator as its name in %s, \"=\", and its board's URL, such as op2=http://127.0.0.1:8082", replica.OperatorsFile)
		}
		peers[name] = url
	}
	if self := selfOperator(ops, vkey); len(peers) == 0 && self >= 0 {
		peers, from = replica.PeerURLs(ops, ops[self].Name), "the operators' urls in "+opsFile
	}
	var named []string
	for _, op := range ops {
		if u, ok := peers[op.Name]; ok {
			named = append(named, fmt.Sprintf("%s at %s", op.Name, u))
		}
	}
	if len(named) == 0 {
		fmt.Fprintf(c.App.ErrWriter, "evote: no peers: this operator gathers no other operator's cosignatures, so participants whose definition names the operators take none of its checkpoints (give --peer NAME=URL, or the operators' URLs to evote network init --url)\n")
	} else {
		fmt.Fprintf(c.App.ErrWriter, "evote: gathering cosignatures from the operators %s (from %s)\n", strings.Join(named, ", "), from)
	}
	return cosignKey, ops, peers, nil
}

// listenAddr returns the address board serve listens at: --addr if it is
// given; for the operator of a network whose board key is vkey, if the
// network's operators give its URL (evote network init --url), that URL's
// host and port (urlListenAddr), which it says on stderr; else --addr's
// default.
func listenAddr(c *cli.Context, network, vkey string, operators []replica.Operator) (string, error) {
	self := selfOperator(operators, vkey)
	if c.IsSet("addr") || self < 0 || operators[self].URL == "" {
		return c.String("addr"), nil
	}
	op := operators[self]
	addr, err := urlListenAddr(op.URL)
	if err != nil {
		return "", withHint(fmt.Errorf("operator %q's url in %s: %w", op.Name, filepath.Join(network, replica.OperatorsFile), err), "pass --addr, the address its board listens at")
	}
	fmt.Fprintf(c.App.ErrWriter, "evote: operator %q listens at %s, the address of its url %s in %s\n", op.Name, addr, op.URL, filepath.Join(network, replica.OperatorsFile))
	return addr, nil
}

// selfOperator returns the index in operators of the operator whose board
// key is vkey, the one a board serve --network runs, or -1.
func selfOperator(operators []replica.Operator, vkey string) int {
	return slices.IndexFunc(operators, func(o replica.Operator) bool { return o.BoardKey == vkey })
}

// urlListenAddr returns the host and port that a board whose base URL is
// u listens at, when the board serves that URL itself: u must be http://
// (the board serves plain HTTP; an https:// URL is a TLS proxy's, which
// forwards to an address the URL does not say) with no path; the port is
// 80 if u names none.
func urlListenAddr(u string) (string, error) {
	pu, err := url.Parse(u)
	switch {
	case err != nil:
		return "", err
	case pu.Scheme != "http":
		return "", fmt.Errorf("%q is not http://: the board serves plain HTTP, behind a TLS proxy for https://, at an address the url does not say", u)
	case pu.Path != "" || pu.Host == "":
		return "", fmt.Errorf("%q is not a host and port alone", u)
	case pu.Port() == "":
		return net.JoinHostPort(pu.Hostname(), "80"), nil
	}
	return pu.Host, nil
}

// parseWitnesses returns the witnesses of --witness and the quorum of
// --witness-quorum (default: all of them), or none.
func parseWitnesses(c *cli.Context) ([]witness.Witness, int, error) {
	var args []string
	for _, arg := range c.StringSlice("witness") {
		if name, ok := strings.CutPrefix(arg, "@"); ok {
			data, err := os.ReadFile(name)
			if err != nil {
				return nil, 0, fmt.Errorf("--witness: %w", err)
			}
			args = append(args, strings.Fields(string(data))...)
			continue
		}
		args = append(args, arg)
	}
	var ws []witness.Witness
	for _, arg := range args {
		url, vkey, ok := strings.Cut(arg, "=")
		if !ok || url == "" {
			return nil, 0, withHint(fmt.Errorf("--witness %q is not URL=VKEY", arg), "give each witness as its add-checkpoint URL prefix, \"=\", and its cosignature verifier key")
		}
		v, err := fnote.NewVerifierForCosignatureV1(vkey)
		if err != nil {
			return nil, 0, fmt.Errorf("--witness %s: not a witness cosignature key: %w", url, err)
		}
		ws = append(ws, witness.Witness{URL: url, Verifier: v})
	}
	quorum := c.Int("witness-quorum")
	switch {
	case len(ws) == 0 && quorum > 0:
		return nil, 0, errors.New("--witness-quorum without --witness")
	case len(ws) == 0:
		return nil, 0, nil
	case quorum == 0:
		quorum = len(ws)
	case quorum > len(ws):
		return nil, 0, fmt.Errorf("--witness-quorum %d is more than the %d witnesses", quorum, len(ws))
	}
	return ws, quorum, nil
}

// boardVerifierKey returns the board's verifier key from --vkey or from
// the .vkey file that `board keygen` wrote beside the signing key.
func boardVerifierKey(c *cli.Context, skeyPath string) (string, error) {
	path := c.String("vkey")
	if path == "" {
		path = strings.TrimSuffix(skeyPath, ".skey") + ".vkey"
	}
	vkey, err := readBoardKeyFile(path)
	if err != nil {
		return "", withHint(err, "pass the board's verifier key file with --vkey")
	}
	return vkey, nil
}

func boardExportCommand() *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "write every record of a board database as JSON Lines",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "db", Usage: "SQLite database `FILE` (may be in use by a running board)", Required: true},
			&cli.StringFlag{Name: "out", Usage: "output `FILE`, or - for standard output", Required: true},
		},
		Action: func(c *cli.Context) error {
			st, err := sqlite.OpenReadOnly(c.Context, c.String("db"))
			if err != nil {
				return err
			}
			defer st.Close()
			var w io.Writer = c.App.Writer
			var f *os.File
			if out := c.String("out"); out != "-" {
				if f, err = os.Create(out); err != nil {
					return fmt.Errorf("creating export: %w", err)
				}
				w = f
			}
			n, err := bulletin.Export(c.Context, st, w)
			if err != nil {
				if f != nil {
					f.Close()
				}
				return err
			}
			if f != nil {
				if err := f.Sync(); err != nil {
					f.Close()
					return fmt.Errorf("writing export: %w", err)
				}
				if err := f.Close(); err != nil {
					return fmt.Errorf("writing export: %w", err)
				}
			}
			fmt.Fprintf(c.App.ErrWriter, "evote: exported %d records\n", n)
			return nil
		},
	}
}
