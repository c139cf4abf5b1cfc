package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

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
(operators.json: each one's name, board key and cosignature key). It prints
the operators' board keys. DIR/definition-operators.json holds the
"operators" member of the election definition, which names each operator's
cosignature key and board key (add each one's "url" as a hint once its
address is known): put it in the definition, and every participant demands
the cosignatures of more than two thirds of the operators on the
checkpoints it acts on, and takes an operator's checkpoints only under the
board key it names for that operator. Run each operator with "evote board serve --network
DIR/opN --peer NAME=URL ..." (the other operators' board URLs), so that it
gathers their cosignatures.

For operators on several machines, each writes its own home the same way and
they exchange what config/genesis.json and persistent_peers need: every
validator key, and each node's ID and routable address; the timeouts of
config.toml want about ten times the loopback values
(docs/spec/replicated-board.md §6).`,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "dir", Usage: "`DIR` to write the operators' homes in", Required: true},
					&cli.IntFlag{Name: "operators", Usage: "number of operators: 3f+1 of them tolerate f faulty ones", Value: 4},
					&cli.StringFlag{Name: "origin", Usage: "the board's `NAME`: operator N's checkpoint origin is NAME/opN", Value: "evote-board"},
				},
				Action: networkInit,
			},
		},
	}
}

// networkInit writes the homes of a network of operators.
func networkInit(c *cli.Context) error {
	dir, origin, n := c.String("dir"), c.String("origin"), c.Int("operators")
	_, ops, err := initNetwork(c.Context, dir, origin, n)
	if err != nil {
		return err
	}
	for _, op := range ops {
		fmt.Fprintf(c.App.Writer, "%s\n", op.BoardKey)
	}
	fmt.Fprintf(c.App.ErrWriter, "evote: wrote the homes of %d operators in %s (their board keys above); put %s in the election definition, and run each operator with \"evote board serve --network %s --addr ADDR --peer %s=URL ...\"\n",
		n, dir, filepath.Join(dir, definitionOperators), filepath.Join(dir, "op1"), ops[min(1, len(ops)-1)].Name)
	return nil
}

// initNetwork writes the homes of n operators in dir, each with its board
// key and cosignature key (both named origin/opN) and empty database, the
// network's operators (replica.OperatorsFile) in dir and in every home, and
// the definition's "operators" member (definitionOperators) in dir. It
// returns the homes and the operators. If it fails after writing the homes,
// it removes them.
func initNetwork(ctx context.Context, dir, origin string, n int) (homes []string, ops []replica.Operator, err error) {
	if n < 1 {
		return nil, nil, fmt.Errorf("--operators %d: want at least 1", n)
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
		ops = append(ops, replica.Operator{Name: name, BoardKey: vkey, CosignKey: cvkey})
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
