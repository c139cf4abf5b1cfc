package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	"github.com/urfave/cli/v2"
	"golang.org/x/mod/sumdb/note"

	"github.com/evote/evote/ballot"
	"github.com/evote/evote/bulletin/replica"
	"github.com/evote/evote/bulletin/store/sqlite"
)

// Files of an operator's home besides CometBFT's (replica.InitNetwork):
// its board's database and checkpoint key, its cosignature key, and the
// network's operators (replica.OperatorsFile, also in the network's
// directory, with definitionOperators beside it).
const (
	operatorDB         = "board.db"
	operatorSKey       = "board.skey"
	operatorVKey       = "board.vkey"
	operatorCosignSKey = "cosign.skey"
	operatorCosignVKey = "cosign.vkey"
	// definitionOperators is the operators as the election definition
	// names them, {"operators": [...]}, for the official to put in.
	definitionOperators = "definition-operators.json"
)

// networkCommand is "evote network": a board kept by several operators.
func networkCommand() *cli.Command {
	return &cli.Command{
		Name:  "network",
		Usage: "set up a board kept by several operators (docs/spec/replicated-board.md)",
		Subcommands: []*cli.Command{
			{
				Name:  "init",
				Usage: "write the homes of a network of operators on this machine's loopback interface",
				Description: `Writes DIR/op1, DIR/op2, …: each operator's CometBFT home (node key,
validator key, the genesis naming every operator, a config.toml that
connects it to the others on loopback ports), its board's checkpoint key
(board.skey, board.vkey), its cosignature key (cosign.skey, cosign.vkey),
its empty board database (board.db), and the network's operators
(operators.json: each one's name, board key, cosignature key and, with
--url, its board's URL). It prints the operators' board keys.
DIR/definition-operators.json holds the "operators" member of the election
definition, which names each operator's cosignature key and board key, and
with --url its board's URL as a hint for clients that fall over between
operators: put it in the definition, and every participant demands the
cosignatures of more than two thirds of the operators on the checkpoints
it acts on, and takes an operator's checkpoints only under the board key it
names for that operator.

--url gives the operators' board addresses, in order: once per operator
(repeated, or comma-separated), or once for all, a base URL with a port
that the next operators count up from (--url http://127.0.0.1:8081 makes
op2 http://127.0.0.1:8082, op3 …8083, op4 …8084). Each is http:// or
https://, a host and a port (or the scheme's), with no path, query,
fragment or user; no two alike. With them, "evote board serve --network
DIR/opN" alone runs operator N: it listens at the host and port of its own
URL (an http:// one; behind a TLS proxy, pass --addr) and gathers the
cosignatures of the other operators at theirs. Without --url, run each
operator with "evote board serve --network DIR/opN --addr ADDR --peer
NAME=URL ..." (the other operators' board URLs), and add each operator's
"url" to the definition's operators once its address is known.

init holds every operator's private keys on one machine: it is for tests
and demonstrations. For operators on separate machines, each holding only
its own keys, use "evote network join", "assemble" and "apply" (init does
the same three steps on loopback ports).`,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "dir", Usage: "`DIR` to write the operators' homes in", Required: true},
					&cli.IntFlag{Name: "operators", Usage: "number of operators: 3f+1 of them tolerate f faulty ones", Value: 4},
					&cli.StringFlag{Name: "origin", Usage: "the board's `NAME`: operator N's checkpoint origin is NAME/opN", Value: "evote-board"},
					&cli.StringSliceFlag{Name: "url", Usage: "the operators' board `URL`s, one per operator in order (repeatable), or one base URL whose port the next operators count up from; written in operators.json and definition-operators.json, whence evote board serve --network takes its address and peers"},
				},
				Action: networkInit,
			},
			{
				Name:      "join",
				Usage:     "write one operator's home on its own machine, and its public entry",
				ArgsUsage: " ",
				Description: `Run by each operator on its own machine. Writes HOME (which must not
exist): the operator's CometBFT home (node key, validator key, a
config.toml that listens at --p2p's port: with the short timeouts of a
loopback network if --p2p is a loopback address, else CometBFT's, which fit
machines across the Internet), its board's checkpoint key (board.skey,
board.vkey) and cosignature key (cosign.skey, cosign.vkey), both named
--name, its empty board database (board.db), and HOME/operator.json, its
public entry: its name, board key, cosignature key, validator public key,
node ID, p2p address and, with --url, its board's URL. operator.json holds
no private key: send it to whoever assembles the network (evote network
assemble), and keep the rest of HOME to yourself.`,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "dir", Usage: "the operator's `HOME`, which must not exist", Required: true},
					&cli.StringFlag{Name: "name", Usage: "the operator's `NAME`, its board's origin: a log name such as vote.example.org/2026/op1", Required: true},
					&cli.StringFlag{Name: "p2p", Usage: "`HOST:PORT` at which the other operators' nodes reach this one (CometBFT's p2p)", Value: "127.0.0.1:26656"},
					&cli.StringFlag{Name: "url", Usage: "the `URL` of the operator's board, http://HOST:PORT or https://HOST[:PORT]"},
				},
				Action: networkJoin,
			},
			{
				Name:      "assemble",
				Usage:     "write a network's public description from its operators' public entries",
				ArgsUsage: "OPERATOR.json ...",
				Description: `Run by anyone, such as the official, from the operator.json files that
evote network join wrote, in the operators' order. Checks them (each
name's keys are of that name; no two operators share a name, key, node ID,
p2p address or URL) and writes in --out: genesis.json (the chain ID, the
genesis time, each operator's validator with voting power 1),
operators.json and definition-operators.json (the election definition's
"operators" member). The same inputs and --genesis-time give the same
files. Send --out's files to every operator (evote network apply) and put
definition-operators.json in the election definition.`,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "out", Usage: "`DIR` to write the network's description in", Required: true},
					&cli.StringFlag{Name: "chain-id", Usage: "the network's CometBFT chain `ID`", Value: "evote"},
					&cli.TimestampFlag{Name: "genesis-time", Usage: "the genesis `TIME`, RFC 3339 (default: now)", Layout: time.RFC3339},
				},
				Action: networkAssemble,
			},
			{
				Name:      "apply",
				Usage:     "install a network's description into one operator's home",
				ArgsUsage: "DIR",
				Description: `Run by each operator on its own machine, with DIR the files of evote
network assemble. Checks that operators.json names this operator with
exactly its own entry (HOME/operator.json: its board key, cosignature key,
validator key, node ID, p2p address and URL) and that genesis.json has
every operator's validator, this one's included, with voting power 1;
refuses otherwise, naming why. Then installs the genesis, operators.json,
and every other operator's node ID and p2p address as persistent peers,
and prints the SHA-256 of the installed genesis.json and operators.json:
the same for every operator of the network, so that the operators,
comparing them, catch an assembler that sent them different descriptions.
The operator then runs "evote board serve --network HOME".`,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "dir", Usage: "the operator's `HOME`, as evote network join wrote it", Required: true},
				},
				Action: networkApply,
			},
		},
	}
}

// networkInit writes the homes of a network of operators.
func networkInit(c *cli.Context) error {
	dir, origin, n := c.String("dir"), c.String("origin"), c.Int("operators")
	urls, err := networkURLs(c.StringSlice("url"), n)
	if err != nil {
		return err
	}
	_, ops, err := initNetwork(c.Context, dir, origin, n, urls)
	if err != nil {
		return err
	}
	for _, op := range ops {
		fmt.Fprintf(c.App.Writer, "%s\n", op.BoardKey)
	}
	defPath, home := filepath.Join(dir, definitionOperators), filepath.Join(dir, "op1")
	if urls == nil {
		fmt.Fprintf(c.App.ErrWriter, "evote: wrote the homes of %d operators in %s (their board keys above); put %s in the election definition, and run each operator with \"evote board serve --network %s --addr ADDR --peer %s=URL ...\"\n",
			n, dir, defPath, home, ops[min(1, len(ops)-1)].Name)
		return nil
	}
	fmt.Fprintf(c.App.ErrWriter, "evote: wrote the homes of %d operators in %s (their board keys above), at %s; put %s in the election definition, and run each operator with \"evote board serve --network %s\" (and so on), which serves at its URL and gathers the others' cosignatures at theirs\n",
		n, dir, strings.Join(urls, ", "), defPath, home)
	return nil
}

// networkJoin writes one operator's home and prints its public entry.
func networkJoin(c *cli.Context) error {
	if c.NArg() != 0 {
		return withHint(fmt.Errorf("unexpected arguments %q", c.Args().Slice()), "give the home as --dir HOME")
	}
	home := c.String("dir")
	op, err := joinNetwork(c.Context, home, c.String("name"), c.String("p2p"), c.String("url"))
	if errors.Is(err, os.ErrExist) {
		return withHint(err, "%s is already there; choose another --dir", home)
	}
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(op, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "%s\n", data)
	fmt.Fprintf(c.App.ErrWriter, "evote: wrote the home of operator %q in %s; send %s (above, public) to whoever assembles the network, and keep the rest of %s to yourself\n", op.Name, home, filepath.Join(home, operatorPublic), home)
	return nil
}

// networkAssemble writes a network's description from its operators'
// public entries.
func networkAssemble(c *cli.Context) error {
	if c.NArg() == 0 {
		return withHint(errors.New("no operators"), "give the operator.json of each operator, in order")
	}
	var ops []replica.Operator
	for _, path := range c.Args().Slice() {
		op, err := replica.ReadOperator(path)
		if err != nil {
			return err
		}
		ops = append(ops, op)
	}
	t := time.Now()
	if ts := c.Timestamp("genesis-time"); ts != nil {
		t = *ts
	}
	out := c.String("out")
	if err := assembleNetwork(out, ops, c.String("chain-id"), t); err != nil {
		return fmt.Errorf("assembling the network (operators in the order of %s): %w", strings.Join(c.Args().Slice(), ", "), err)
	}
	fmt.Fprintf(c.App.ErrWriter, "evote: wrote the network of %d operators in %s; send its files to every operator (evote network apply --dir HOME %s), and put %s in the election definition\n", len(ops), out, out, filepath.Join(out, definitionOperators))
	return nil
}

// networkApply installs a network's description into an operator's home.
func networkApply(c *cli.Context) error {
	if c.NArg() != 1 {
		return withHint(errors.New("want one DIR"), "give the directory that evote network assemble wrote")
	}
	home, dir := c.String("dir"), c.Args().First()
	if err := applyNetwork(home, dir); err != nil {
		return fmt.Errorf("applying the network of %s: %w", dir, err)
	}
	// The fingerprints of what it installed, the same for every
	// operator of one network: compared between operators, they catch an
	// assembler that sent each a different description.
	for _, f := range []struct{ name, path string }{
		{networkGenesis, filepath.Join(home, "config", networkGenesis)},
		{replica.OperatorsFile, filepath.Join(home, replica.OperatorsFile)},
	} {
		data, err := os.ReadFile(f.path)
		if err != nil {
			return fmt.Errorf("reading what was installed: %w", err)
		}
		fmt.Fprintf(c.App.Writer, "%x  %s\n", sha256.Sum256(data), f.name)
	}
	fmt.Fprintf(c.App.ErrWriter, "evote: installed the network of %s in %s (the SHA-256 of its files above: compare them with the other operators'); run \"evote board serve --network %s\"\n", dir, home, home)
	return nil
}

// networkURLs returns the board URLs of n operators that the values of
// --url give: one per operator, or, for several operators, one base URL
// with a port that the next operators' ports count up from. Each must be
// http:// or https://, a host with an optional port, and nothing else (an
// operator's board is served at the root of its address, where evote
// board serve --network listens); no two may name the same host and port.
// None if values is empty.
func networkURLs(values []string, n int) ([]string, error) {
	const hint = "give each operator's board address as http://HOST:PORT, such as --url http://127.0.0.1:8081 (the next operators then get ports 8082, 8083, …)"
	if len(values) == 0 {
		return nil, nil
	}
	if len(values) != 1 && len(values) != n {
		return nil, withHint(fmt.Errorf("--url given %d times for %d operators", len(values), n), "give one --url per operator, in order, or a single base URL whose port the next operators count up from")
	}
	var us []*url.URL
	for _, v := range values {
		u, err := url.Parse(v)
		switch {
		case err != nil:
			return nil, withHint(fmt.Errorf("--url %q: %w", v, err), hint)
		case u.Scheme != "http" && u.Scheme != "https":
			return nil, withHint(fmt.Errorf("--url %q: the scheme is not http or https", v), hint)
		case u.Host == "" || u.Hostname() == "":
			return nil, withHint(fmt.Errorf("--url %q has no host", v), hint)
		case u.User != nil:
			return nil, withHint(fmt.Errorf("--url %q names a user", v), hint)
		case u.Path != "" || u.RawPath != "":
			return nil, withHint(fmt.Errorf("--url %q has a path (%q): an operator's board is served at the root of its address", v, u.Path), hint)
		case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(v, "#"):
			return nil, withHint(fmt.Errorf("--url %q has a query or fragment", v), hint)
		case !ballot.ValidBoardURL(v):
			return nil, withHint(fmt.Errorf("--url %q is not the web address of a board", v), hint)
		}
		us = append(us, u)
	}
	if len(us) == 1 && n > 1 {
		base := us[0]
		port, err := strconv.Atoi(base.Port())
		if err != nil {
			return nil, withHint(fmt.Errorf("--url %q: a single URL for %d operators needs a port to count up from", values[0], n), "give a port, such as --url http://127.0.0.1:8081, or one --url per operator")
		}
		if port+n-1 > 65535 {
			return nil, withHint(fmt.Errorf("--url %q: operator %d's port would be %d, past 65535", values[0], n, port+n-1), "start from a lower port")
		}
		us = nil
		for i := range n {
			u := *base
			u.Host = net.JoinHostPort(base.Hostname(), strconv.Itoa(port+i))
			us = append(us, &u)
		}
	}
	urls := make([]string, len(us))
	seen := map[string]int{}
	for i, u := range us {
		urls[i] = u.String()
		// The same host and port under either scheme is one listening
		// address.
		addr := strings.ToLower(u.Host)
		if u.Port() == "" {
			addr = net.JoinHostPort(strings.ToLower(u.Hostname()), map[string]string{"http": "80", "https": "443"}[u.Scheme])
		}
		if j, ok := seen[addr]; ok {
			return nil, withHint(fmt.Errorf("--url %q: operators %d and %d would share the address %s", urls[i], j+1, i+1, addr), "give each operator its own host and port")
		}
		seen[addr] = i
	}
	return urls, nil
}

// initNetwork writes the homes of n operators in dir, each with its board
// key and cosignature key (both named origin/opN) and empty database, the
// network's operators (replica.OperatorsFile) in dir and in every home, and
// the definition's "operators" member (definitionOperators) in dir; urls,
// if not nil, are the operators' board URLs, in order (networkURLs). It
// does what operators on separate machines do, on loopback ports: each
// operator joins (joinNetwork), dir is assembled from their public entries
// (assembleNetwork), and each home applies it (applyNetwork). It returns
// the homes and the operators. If it fails after writing the homes, it
// removes them.
func initNetwork(ctx context.Context, dir, origin string, n int, urls []string) (homes []string, ops []replica.Operator, err error) {
	if n < 1 {
		return nil, nil, fmt.Errorf("--operators %d: want at least 1", n)
	}
	if urls != nil && len(urls) != n {
		return nil, nil, fmt.Errorf("%d URLs for %d operators", len(urls), n)
	}
	if !ballot.ValidLogName(origin + "/op1") {
		return nil, nil, withHint(fmt.Errorf("--origin %q is not a log name", origin), "use a schema-less URL-like name without spaces or '+', such as vote.example.org/2026-municipal")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	addrs, err := replica.LoopbackAddrs(n)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			for _, home := range homes {
				os.RemoveAll(home)
			}
		}
	}()
	for i := range n {
		home := filepath.Join(dir, fmt.Sprintf("op%d", i+1))
		var url string
		if urls != nil {
			url = urls[i]
		}
		op, err := joinNetwork(ctx, home, fmt.Sprintf("%s/op%d", origin, i+1), addrs[i], url)
		if errors.Is(err, os.ErrExist) {
			return homes, nil, withHint(err, "the network is already there; choose another --dir")
		}
		if err != nil {
			return homes, nil, err
		}
		homes, ops = append(homes, home), append(ops, op)
	}
	if err := assembleNetwork(dir, ops, "evote", time.Now()); err != nil {
		return homes, nil, err
	}
	for _, home := range homes {
		if err := applyNetwork(home, dir); err != nil {
			return homes, nil, err
		}
	}
	return homes, ops, nil
}

// Files of the network's public description, which evote network
// assemble writes and evote network apply installs: CometBFT's genesis,
// besides replica.OperatorsFile and definitionOperators; and an operator's
// own public entry, which evote network join writes in its home.
const (
	networkGenesis = "genesis.json"
	operatorPublic = "operator.json"
)

// joinNetwork writes the home of one operator, home (which must not
// exist), on its own machine: its CometBFT home (replica.NewHome), reached
// by the other operators at p2p (HOST:PORT), its board key and
// cosignature key, both named name, its empty board database, and its
// public entry (operatorPublic): its name, verifier keys, validator key,
// node ID, p2p address and, if given, its board's URL. It returns that
// entry, which holds no private key. If it fails, it removes home.
func joinNetwork(ctx context.Context, home, name, p2p, url string) (op replica.Operator, err error) {
	if !ballot.ValidLogName(name) {
		return op, withHint(fmt.Errorf("the operator name %q is not a log name", name), "use a schema-less URL-like name without spaces or '+', such as vote.example.org/2026-municipal/op1")
	}
	if url != "" {
		if _, err := networkURLs([]string{url}, 1); err != nil {
			return op, err
		}
	}
	if err := os.MkdirAll(filepath.Dir(home), 0o755); err != nil {
		return op, fmt.Errorf("creating %s: %w", filepath.Dir(home), err)
	}
	peer, err := replica.NewHome(home, name, p2p)
	if err != nil {
		return op, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(home)
		}
	}()
	vkey, err := writeKeyPair(home, operatorSKey, operatorVKey, name, false)
	if err != nil {
		return op, fmt.Errorf("writing operator %q's board key: %w", name, err)
	}
	// The cosignature key is another key of the same name, whose verifier
	// key is of tlog-cosignature's type (0x04).
	cvkey, err := writeKeyPair(home, operatorCosignSKey, operatorCosignVKey, name, true)
	if err != nil {
		return op, fmt.Errorf("writing operator %q's cosignature key: %w", name, err)
	}
	st, err := sqlite.Create(ctx, filepath.Join(home, operatorDB))
	if err != nil {
		return op, err
	}
	st.Close()
	op = replica.Operator{Name: name, BoardKey: vkey, CosignKey: cvkey, URL: url, Peer: peer}
	if err := writeJSONFile(filepath.Join(home, operatorPublic), op); err != nil {
		return op, fmt.Errorf("writing the operator's public entry: %w", err)
	}
	return op, nil
}

// assembleNetwork writes the public description of the network of the
// operators ops, in that order, in dir (whose files must not exist yet):
// the genesis (networkGenesis: chain ID chainID, genesis time t, each
// operator's validator with voting power 1), the operators
// (replica.OperatorsFile) and the definition's "operators" member
// (definitionOperators). It checks the operators first
// (replica.CheckOperators; each must have its peer, as evote network join
// writes it), and writes nothing if they fail. Its output depends on its
// arguments alone.
func assembleNetwork(dir string, ops []replica.Operator, chainID string, t time.Time) error {
	if err := replica.CheckOperators(ops); err != nil {
		return err
	}
	names := make([]string, len(ops))
	peers := make([]replica.Peer, len(ops))
	for i, op := range ops {
		if op.Peer == (replica.Peer{}) {
			return withHint(fmt.Errorf("operator %d (%q) has no validator_key, node_id or p2p", i+1, op.Name), "each operator's entry is the operator.json that evote network join wrote in its home")
		}
		names[i], peers[i] = op.Name, op.Peer
	}
	genesis, err := replica.NewGenesis(chainID, t, names, peers)
	if err != nil {
		return err
	}
	def, err := ballot.MarshalOperators(replica.DefinitionOperators(ops, nil))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	if err := writeNewFile(filepath.Join(dir, networkGenesis), genesis, 0o644); err != nil {
		return fmt.Errorf("writing the genesis: %w", err)
	}
	if err := writeJSONFile(filepath.Join(dir, replica.OperatorsFile), ops); err != nil {
		return fmt.Errorf("writing the operators: %w", err)
	}
	if err := writeNewFile(filepath.Join(dir, definitionOperators), def, 0o644); err != nil {
		return fmt.Errorf("writing the definition's operators: %w", err)
	}
	return nil
}

// applyNetwork installs the network described in dir (as assembleNetwork
// wrote it) into the operator's home: the genesis and the other
// operators' node IDs and p2p addresses (replica.ApplyNetwork), and the
// operators (replica.OperatorsFile). It refuses, naming why and changing
// nothing, a description whose operators leave out the home's operator
// or give it other keys, node ID, p2p address or URL than its own entry
// (operatorPublic) does, whose entry does not carry the home's own board
// and cosignature keys, or whose genesis does not have every operator's
// validator, the home's included, with voting power 1.
func applyNetwork(home, dir string) error {
	own, err := replica.ReadOperator(filepath.Join(home, operatorPublic))
	if err != nil {
		return withHint(err, "%s is the home that evote network join wrote", home)
	}
	for _, k := range []struct{ file, key, what string }{{operatorVKey, own.BoardKey, "board_key"}, {operatorCosignVKey, own.CosignKey, "cosign_key"}} {
		vkey, err := readBoardKeyFile(filepath.Join(home, k.file))
		if err != nil {
			return fmt.Errorf("reading the operator's keys: %w", err)
		}
		if vkey != k.key {
			return fmt.Errorf("%s: its %s is not the home's own, %s", filepath.Join(home, operatorPublic), k.what, filepath.Join(home, k.file))
		}
	}
	opsFile := filepath.Join(dir, replica.OperatorsFile)
	ops, err := replica.ReadOperators(opsFile)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(ops, func(o replica.Operator) bool { return o.Name == own.Name })
	if i < 0 {
		return withHint(fmt.Errorf("%s leaves out this operator, %q", opsFile, own.Name), "ask whoever assembled the network to include %s", filepath.Join(home, operatorPublic))
	}
	if field := differingField(ops[i], own); field != "" {
		return withHint(fmt.Errorf("%s gives this operator, %q, another %s than its own (%s)", opsFile, own.Name, field, filepath.Join(home, operatorPublic)), "ask whoever assembled the network to use %s as this operator wrote it", filepath.Join(home, operatorPublic))
	}
	peers := make([]replica.Peer, len(ops))
	for j, op := range ops {
		if op.Peer == (replica.Peer{}) {
			return fmt.Errorf("%s: operator %d (%q) has no validator_key, node_id or p2p", opsFile, j+1, op.Name)
		}
		peers[j] = op.Peer
	}
	genesis, err := os.ReadFile(filepath.Join(dir, networkGenesis))
	if err != nil {
		return fmt.Errorf("reading the network's genesis: %w", err)
	}
	if err := replica.ApplyNetwork(home, genesis, peers); err != nil {
		return err
	}
	list, err := json.MarshalIndent(ops, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(home, replica.OperatorsFile), append(list, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the operators: %w", err)
	}
	return nil
}

// differingField returns the JSON name of the first member in which a and
// b differ, or "" if they are the same.
func differingField(a, b replica.Operator) string {
	for _, f := range []struct {
		name string
		a, b string
	}{
		{"board_key", a.BoardKey, b.BoardKey},
		{"cosign_key", a.CosignKey, b.CosignKey},
		{"validator_key", a.ValidatorKey, b.ValidatorKey},
		{"node_id", a.NodeID, b.NodeID},
		{"p2p", a.P2P, b.P2P},
		{"url", a.URL, b.URL},
	} {
		if f.a != f.b {
			return f.name
		}
	}
	return ""
}

// writeJSONFile writes v, indented, to path, which must not exist.
func writeJSONFile(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeNewFile(path, append(data, '\n'), 0o644)
}

// writeKeyPair generates a note key named name and writes its signer key
// to dir/skeyFile and its verifier key to dir/vkeyFile, both new; for a
// cosignature key (cosign) the verifier key is the tlog-cosignature one.
// It returns the verifier key.
func writeKeyPair(dir, skeyFile, vkeyFile, name string, cosign bool) (string, error) {
	skey, vkey, err := note.GenerateKey(boardRand, name)
	if err != nil {
		return "", err
	}
	if cosign {
		if vkey, err = fnote.VKeyToCosignatureV1(vkey); err != nil {
			return "", err
		}
	}
	if err := writeNewFile(filepath.Join(dir, skeyFile), []byte(skey+"\n"), 0o600); err != nil {
		return "", err
	}
	if err := writeNewFile(filepath.Join(dir, vkeyFile), []byte(vkey+"\n"), 0o644); err != nil {
		return "", err
	}
	return vkey, nil
}
