package replica

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"
	cmttime "github.com/cometbft/cometbft/types/time"
	"github.com/spf13/viper"

	"github.com/evote/evote/bulletin"
)

// NetworkOptions shape a network of operators on one machine.
type NetworkOptions struct {
	// Operators is the number of operators, validators of equal power;
	// 4 if 0, which tolerates one faulty operator (3f+1 with f = 1).
	Operators int
	// ChainID names the network in every block and vote; "evote" if
	// empty.
	ChainID string
}

// Consensus timing of a network on loopback, where a message takes well
// under a millisecond: a proposal is awaited 400 ms (100 ms more each
// round), votes 100 ms, and a block is followed by the next after 100 ms.
// Machines across the Internet need about ten times as much
// (docs/spec/replicated-board.md §6).
const (
	timeoutPropose      = 400 * time.Millisecond
	timeoutProposeDelta = 100 * time.Millisecond
	timeoutVote         = 100 * time.Millisecond
	timeoutVoteDelta    = 50 * time.Millisecond
	timeoutCommit       = 100 * time.Millisecond
	// emptyBlocksInterval is the longest time without a block: a
	// record's time is its block's, the median of the operators' clocks
	// when they committed the block before it, so an idle network makes
	// an empty block each second to keep that time close to the present.
	emptyBlocksInterval = time.Second
	// p2pRate is each link's rate limit, each way, in bytes per second.
	p2pRate     = 64 << 20
	gossipSleep = 20 * time.Millisecond
)

// InitNetwork writes the homes of a network of operators on this
// machine's loopback interface, dir/op1, dir/op2, …, which it creates
// (dir must not hold them yet), and returns their paths. Each home is a
// CometBFT home (Config.Home): a node key, a validator key, the genesis
// naming every operator's validator with equal power, and a config.toml
// that listens on a free loopback port, connects to every other operator
// (persistent peers, no peer exchange), has the mempool keep no cache
// (LoadConfig) and uses the short timeouts of a loopback network.
func InitNetwork(dir string, opts NetworkOptions) ([]string, error) {
	n := opts.Operators
	if n == 0 {
		n = 4
	}
	if n < 1 {
		return nil, fmt.Errorf("replica: a network of %d operators", n)
	}
	chainID := opts.ChainID
	if chainID == "" {
		chainID = "evote"
	}
	ports, err := freePorts(n)
	if err != nil {
		return nil, err
	}
	homes := make([]string, n)
	confs := make([]*cfg.Config, n)
	peers := make([]string, n)
	gen := &types.GenesisDoc{
		GenesisTime:     cmttime.Now(),
		ChainID:         chainID,
		InitialHeight:   1,
		ConsensusParams: types.DefaultConsensusParams(),
	}
	for i := range n {
		name := fmt.Sprintf("op%d", i+1)
		homes[i] = filepath.Join(dir, name)
		conf := loopbackConfig(homes[i], name, ports[i])
		if err := makeHome(conf); err != nil {
			return nil, err
		}
		nodeKey, err := p2p.LoadOrGenNodeKey(conf.NodeKeyFile())
		if err != nil {
			return nil, fmt.Errorf("replica: making the node key of %s: %w", name, err)
		}
		pv, err := genValidator(conf)
		if err != nil {
			return nil, fmt.Errorf("replica: making the validator key of %s: %w", name, err)
		}
		pub, err := pv.GetPubKey()
		if err != nil {
			return nil, fmt.Errorf("replica: the validator key of %s: %w", name, err)
		}
		gen.Validators = append(gen.Validators, types.GenesisValidator{Address: pub.Address(), PubKey: pub, Power: 1, Name: name})
		confs[i], peers[i] = conf, p2p.IDAddressString(nodeKey.ID(), fmt.Sprintf("127.0.0.1:%d", ports[i]))
	}
	if err := gen.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("replica: the genesis: %w", err)
	}
	for i, conf := range confs {
		var others []string
		for j, p := range peers {
			if j != i {
				others = append(others, p)
			}
		}
		conf.P2P.PersistentPeers = strings.Join(others, ",")
		if err := gen.SaveAs(conf.GenesisFile()); err != nil {
			return nil, fmt.Errorf("replica: writing the genesis: %w", err)
		}
		if err := writeConfig(conf); err != nil {
			return nil, err
		}
	}
	return homes, nil
}

// loopbackConfig returns the configuration of operator name, whose home
// is home, listening on the loopback port, without its peers.
func loopbackConfig(home, name string, port int) *cfg.Config {
	conf := cfg.DefaultConfig()
	conf.SetRoot(home)
	conf.Moniker = name
	// The board's HTTP API is the operator's public interface; CometBFT's
	// RPC is not served.
	conf.RPC.ListenAddress = ""
	conf.TxIndex.Indexer = "null"
	conf.FilterPeers = true // App.Query

	conf.P2P.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", port)
	conf.P2P.PexReactor = false
	conf.P2P.AddrBookStrict = false  // loopback addresses are not routable
	conf.P2P.AllowDuplicateIP = true // every operator is at 127.0.0.1
	conf.P2P.FlushThrottleTimeout = 10 * time.Millisecond
	// Each ballot (about 5 kB) crosses each link twice, in the mempool
	// and in its block: CometBFT's default of 5 MB/s a link would cap a
	// board near 500 ballots/s.
	conf.P2P.SendRate, conf.P2P.RecvRate = p2pRate, p2pRate

	conf.Mempool.CacheSize = 0
	// CheckTx admits a transaction before its proofs are checked: a
	// recheck after each block evicts those found invalid (App.CheckTx).
	conf.Mempool.Recheck = true
	conf.Mempool.MaxTxBytes = bulletin.DefaultMaxPayload + 64<<10

	c := conf.Consensus
	c.TimeoutPropose, c.TimeoutProposeDelta = timeoutPropose, timeoutProposeDelta
	c.TimeoutPrevote, c.TimeoutPrevoteDelta = timeoutVote, timeoutVoteDelta
	c.TimeoutPrecommit, c.TimeoutPrecommitDelta = timeoutVote, timeoutVoteDelta
	c.TimeoutCommit = timeoutCommit
	c.CreateEmptyBlocks, c.CreateEmptyBlocksInterval = true, emptyBlocksInterval
	c.PeerGossipSleepDuration = gossipSleep
	return conf
}

// makeHome creates conf's home, which must not exist, with its config
// and data directories.
func makeHome(conf *cfg.Config) error {
	if err := os.Mkdir(conf.RootDir, 0o700); err != nil {
		return fmt.Errorf("replica: creating the operator's home: %w", err)
	}
	for _, d := range []string{filepath.Dir(conf.GenesisFile()), conf.DBDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("replica: creating the operator's home: %w", err)
		}
	}
	return nil
}

// genValidator makes and saves a new validator key and its empty
// last-signed state; privval panics if it cannot save them.
func genValidator(conf *cfg.Config) (pv *privval.FilePV, err error) {
	defer func() {
		if r := recover(); r != nil {
			pv, err = nil, fmt.Errorf("%v", r)
		}
	}()
	pv = privval.GenFilePV(conf.PrivValidatorKeyFile(), conf.PrivValidatorStateFile())
	pv.Save()
	return pv, nil
}

// writeConfig writes conf to its home's config.toml. CometBFT's writer
// exits the process if the file cannot be written, so it is created here
// first.
func writeConfig(conf *cfg.Config) error {
	path := filepath.Join(conf.RootDir, "config", "config.toml")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		return fmt.Errorf("replica: writing the configuration: %w", err)
	}
	cfg.WriteConfigFile(path, conf)
	return nil
}

// LoadConfig reads the CometBFT configuration of the operator's home
// (config/config.toml, over CometBFT's defaults) and checks it. The
// mempool must keep no cache of the transactions it saw: a submission
// posted again after it was committed must reach a block, where the rules
// answer it (a duplicate), whereas a cache would drop it and leave its
// poster waiting. It must recheck its transactions after each block: that
// evicts those whose proofs, checked after CheckTx admitted them, failed
// (App.CheckTx).
func LoadConfig(home string) (*cfg.Config, error) {
	conf := cfg.DefaultConfig()
	v := viper.New()
	v.SetConfigFile(filepath.Join(home, "config", "config.toml"))
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("replica: reading the configuration of %s: %w", home, err)
	}
	if err := v.Unmarshal(conf); err != nil {
		return nil, fmt.Errorf("replica: reading the configuration of %s: %w", home, err)
	}
	conf.SetRoot(home)
	if err := conf.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("replica: the configuration of %s: %w", home, err)
	}
	if conf.Mempool.CacheSize != 0 {
		return nil, errors.New("replica: the configuration of " + home + ": [mempool] cache_size must be 0 for a board")
	}
	if !conf.Mempool.Recheck {
		return nil, errors.New("replica: the configuration of " + home + ": [mempool] recheck must be true for a board")
	}
	return conf, nil
}

// freePorts returns n distinct TCP ports that are free on the loopback
// interface now.
func freePorts(n int) ([]int, error) {
	ports := make([]int, n)
	for i := range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("replica: finding a free port: %w", err)
		}
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}
