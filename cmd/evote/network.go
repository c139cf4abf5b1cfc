package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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

For operators on several machines, each writes its own home the same way and
they exchange what config/genesis.json and persistent_peers need: every
validator key, and each node's ID and routable address; the timeouts of
config.toml want about ten times the loopback values
(docs/spec/replicated-board.md §6).`,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "dir", Usage: "`DIR` to write the operators' homes in", Required: true},
					&cli.IntFlag{Name: "operators", Usage: "number of operators: 3f+1 of them tolerate f faulty ones", Value: 4},
					&cli.StringFlag{Name: "origin", Usage: "the board's `NAME`: operator N's checkpoint origin is NAME/opN", Value: "evote-board"},
					&cli.StringSliceFlag{Name: "url", Usage: "the operators' board `URL`s, one per operator in order (repeatable), or one base URL whose port the next operators count up from; written in operators.json and definition-operators.json, whence evote board serve --network takes its address and peers"},
				},
				Action: networkInit,
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
// returns the homes and the operators. If it fails after writing the homes,
// it removes them.
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
	homes, err = replica.InitNetwork(dir, replica.NetworkOptions{Operators: n})
	if errors.Is(err, os.ErrExist) {
		return nil, nil, withHint(err, "the network is already there; choose another --dir")
	}
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
	for i, home := range homes {
		name := fmt.Sprintf("%s/op%d", origin, i+1)
		vkey, err := writeKeyPair(home, operatorSKey, operatorVKey, name, false)
		if err != nil {
			return nil, nil, fmt.Errorf("writing operator %d's board key: %w", i+1, err)
		}
		// The cosignature key is another key of the same name, whose
		// verifier key is of tlog-cosignature's type (0x04).
		cvkey, err := writeKeyPair(home, operatorCosignSKey, operatorCosignVKey, name, true)
		if err != nil {
			return nil, nil, fmt.Errorf("writing operator %d's cosignature key: %w", i+1, err)
		}
		st, err := sqlite.Create(ctx, filepath.Join(home, operatorDB))
		if err != nil {
			return nil, nil, err
		}
		st.Close()
		op := replica.Operator{Name: name, BoardKey: vkey, CosignKey: cvkey}
		if urls != nil {
			op.URL = urls[i]
		}
		ops = append(ops, op)
	}
	list, err := json.MarshalIndent(ops, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	for _, d := range append([]string{dir}, homes...) {
		if err := writeNewFile(filepath.Join(d, replica.OperatorsFile), append(list, '\n'), 0o644); err != nil {
			return nil, nil, fmt.Errorf("writing the operators: %w", err)
		}
	}
	def, err := ballot.MarshalOperators(replica.DefinitionOperators(ops, nil))
	if err != nil {
		return nil, nil, err
	}
	if err := writeNewFile(filepath.Join(dir, definitionOperators), def, 0o644); err != nil {
		return nil, nil, fmt.Errorf("writing the definition's operators: %w", err)
	}
	return homes, ops, nil
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
