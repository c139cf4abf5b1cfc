package replica

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	cfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtjson "github.com/cometbft/cometbft/libs/json"
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
	// mempoolCache is the number of transactions the mempool's cache
	// remembers (CometBFT's default): more than its mempool holds.
	mempoolCache = 10000
)

// Peer is an operator's identity in CometBFT, all public: the public
// key of its validator (base64 of the 32-byte Ed25519 key, as
// genesis.json has it), the ID of its node (the hex of the first 20 bytes
// of the SHA-256 of its node key's public key) and the address, HOST:PORT,
// at which the other operators' nodes reach it (docs/spec/replicated-board.md §6).
type Peer struct {
	ValidatorKey string `json:"validator_key,omitempty"`
	NodeID       string `json:"node_id,omitempty"`
	P2P          string `json:"p2p,omitempty"`
}

// check checks that p is whole: a validator key that is an Ed25519 public
// key, a node ID of 40 lowercase hex digits, and a p2p address that is a
// host and a port from 1 to 65535.
func (p Peer) check() error {
	if k, err := base64.StdEncoding.DecodeString(p.ValidatorKey); err != nil || len(k) != ed25519.PubKeySize || base64.StdEncoding.EncodeToString(k) != p.ValidatorKey {
		return fmt.Errorf("validator_key %q is not the base64 of an Ed25519 public key", p.ValidatorKey)
	}
	if id, err := hex.DecodeString(p.NodeID); err != nil || len(id) != p2p.IDByteLength || hex.EncodeToString(id) != p.NodeID {
		return fmt.Errorf("node_id %q is not a node ID (40 lowercase hex digits)", p.NodeID)
	}
	if err := checkP2PAddr(p.P2P); err != nil {
		return err
	}
	return nil
}

// checkP2PAddr checks that addr is HOST:PORT, with a host and a port from
// 1 to 65535.
func checkP2PAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port || strings.ContainsAny(host, "@/ ,") {
		return fmt.Errorf("p2p %q is not HOST:PORT", addr)
	}
	return nil
}

// isLoopback reports whether the p2p address addr is on the loopback
// interface (127.0.0.0/8, ::1 or localhost).
func isLoopback(addr string) bool {
	host, _, _ := net.SplitHostPort(addr)
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// NewHome writes the CometBFT part of one operator's home, home, which it
// creates (it must not exist): a new node key and validator key, and a
// config.toml in which the node is named name and reached by the others
// at p2pAddr (HOST:PORT), without peers or genesis yet (ApplyNetwork adds
// them). On loopback the node listens at p2pAddr with the short timeouts
// of a loopback network; elsewhere it listens on every interface at
// p2pAddr's port, announces p2pAddr, and keeps CometBFT's timeouts, which
// fit machines across the Internet. It returns the operator's Peer, which
// holds no private key.
func NewHome(home, name, p2pAddr string) (Peer, error) {
	if err := checkP2PAddr(p2pAddr); err != nil {
		return Peer{}, fmt.Errorf("replica: %w", err)
	}
	conf := operatorConfig(home, name, p2pAddr)
	if err := makeHome(conf); err != nil {
		return Peer{}, err
	}
	nodeKey, err := p2p.LoadOrGenNodeKey(conf.NodeKeyFile())
	if err != nil {
		return Peer{}, fmt.Errorf("replica: making the node key of %s: %w", name, err)
	}
	pv, err := genValidator(conf)
	if err != nil {
		return Peer{}, fmt.Errorf("replica: making the validator key of %s: %w", name, err)
	}
	if err := writeConfig(conf); err != nil {
		return Peer{}, err
	}
	p := peerOf(pv, nodeKey)
	p.P2P = p2pAddr
	return p, nil
}

// NewGenesis returns the genesis (CometBFT's genesis.json) of a network
// whose operators' validators are those of peers, each with voting power
// 1, in that order, named names[i]: chain ID chainID, genesis time t,
// CometBFT's default consensus parameters, no app hash. It depends on its
// arguments alone.
func NewGenesis(chainID string, t time.Time, names []string, peers []Peer) ([]byte, error) {
	gen := &types.GenesisDoc{
		GenesisTime:     t.UTC(),
		ChainID:         chainID,
		InitialHeight:   1,
		ConsensusParams: types.DefaultConsensusParams(),
	}
	for i, p := range peers {
		if err := p.check(); err != nil {
			return nil, fmt.Errorf("replica: operator %d (%q): %w", i+1, names[i], err)
		}
		k, _ := base64.StdEncoding.DecodeString(p.ValidatorKey)
		pub := ed25519.PubKey(k)
		gen.Validators = append(gen.Validators, types.GenesisValidator{Address: pub.Address(), PubKey: pub, Power: 1, Name: names[i]})
	}
	if err := gen.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("replica: the genesis: %w", err)
	}
	js, err := cmtjson.MarshalIndent(gen, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("replica: the genesis: %w", err)
	}
	return append(js, '\n'), nil
}

// ApplyNetwork installs a network's genesis (its JSON) and its operators'
// peers into the operator's home, as NewHome wrote it: config/genesis.json,
// and as persistent_peers in config.toml every peer but the home's own.
// It refuses, naming why, and changes nothing, unless the genesis has
// exactly the validators of peers, in order, each with voting power 1, and
// CometBFT's default consensus parameters and no app hash; unless the
// home's own validator key and node ID are among peers, in the same
// entry; and unless the home has not yet run (it has no block).
func ApplyNetwork(home string, genesis []byte, peers []Peer) error {
	conf, err := LoadConfig(home)
	if err != nil {
		return err
	}
	gen, err := types.GenesisDocFromJSON(genesis)
	if err != nil {
		return fmt.Errorf("replica: the network's genesis: %w", err)
	}
	if err := checkGenesis(gen, peers); err != nil {
		return fmt.Errorf("replica: the network's genesis: %w", err)
	}
	own, err := ownPeer(conf)
	if err != nil {
		return err
	}
	self := slices.IndexFunc(peers, func(p Peer) bool { return p.ValidatorKey == own.ValidatorKey })
	switch {
	case self < 0:
		return fmt.Errorf("replica: the network leaves out this operator: no validator in it has the validator key %s of %s", own.ValidatorKey, conf.PrivValidatorKeyFile())
	case peers[self].NodeID != own.NodeID:
		return fmt.Errorf("replica: the network gives this operator's validator the node ID %s, not its own, %s (%s)", peers[self].NodeID, own.NodeID, conf.NodeKeyFile())
	}
	if _, err := os.Stat(filepath.Join(conf.DBDir(), "blockstore.db")); err == nil {
		return fmt.Errorf("replica: %s has already run a network (%s exists): a network's genesis cannot change under it", home, filepath.Join(conf.DBDir(), "blockstore.db"))
	}
	var others []string
	for i, p := range peers {
		if i != self {
			others = append(others, p2p.IDAddressString(p2p.ID(p.NodeID), p.P2P))
		}
	}
	conf.P2P.PersistentPeers = strings.Join(others, ",")
	if err := os.WriteFile(conf.GenesisFile(), genesis, 0o644); err != nil {
		return fmt.Errorf("replica: writing the genesis: %w", err)
	}
	return writeConfig(conf)
}

// checkGenesis checks that gen's validators are exactly those of peers,
// in order, each of voting power 1, and that it has CometBFT's default
// consensus parameters and no app hash or state.
func checkGenesis(gen *types.GenesisDoc, peers []Peer) error {
	if len(gen.Validators) != len(peers) {
		return fmt.Errorf("it has %d validators for %d operators", len(gen.Validators), len(peers))
	}
	for i, v := range gen.Validators {
		if base64.StdEncoding.EncodeToString(v.PubKey.Bytes()) != peers[i].ValidatorKey || v.PubKey.Type() != ed25519.KeyType {
			return fmt.Errorf("validator %d (%q) is not operator %d's validator key %s", i+1, v.Name, i+1, peers[i].ValidatorKey)
		}
		if v.Power != 1 {
			return fmt.Errorf("validator %d (%q) has voting power %d, not 1 as every operator", i+1, v.Name, v.Power)
		}
	}
	if !reflect.DeepEqual(gen.ConsensusParams, types.DefaultConsensusParams()) {
		return errors.New("its consensus parameters are not CometBFT's defaults")
	}
	if len(gen.AppHash) != 0 || len(gen.AppState) != 0 {
		return errors.New("it has an app hash or app state: a board starts empty")
	}
	return nil
}

// ownPeer returns the validator key and node ID of the home of conf.
func ownPeer(conf *cfg.Config) (Peer, error) {
	nodeKey, err := p2p.LoadNodeKey(conf.NodeKeyFile())
	if err != nil {
		return Peer{}, fmt.Errorf("replica: reading the node key: %w", err)
	}
	pv, err := loadValidator(conf)
	if err != nil {
		return Peer{}, err
	}
	return peerOf(pv, nodeKey), nil
}

// peerOf returns the validator key and node ID of an operator whose
// validator is pv and whose node key is nodeKey.
func peerOf(pv *privval.FilePV, nodeKey *p2p.NodeKey) Peer {
	return Peer{ValidatorKey: base64.StdEncoding.EncodeToString(pv.Key.PubKey.Bytes()), NodeID: string(nodeKey.ID())}
}

// InitNetwork writes the homes of a network of operators on this
// machine's loopback interface, dir/op1, dir/op2, …, which it creates
// (dir must not hold them yet), and returns their paths: each operator's
// home as NewHome writes it, on a free loopback port, with the network's
// genesis (NewGenesis, the time now) and peers applied (ApplyNetwork).
func InitNetwork(dir string, opts NetworkOptions) ([]string, error) {
	n := cmp.Or(opts.Operators, 4)
	if n < 1 {
		return nil, fmt.Errorf("replica: a network of %d operators", n)
	}
	addrs, err := LoopbackAddrs(n)
	if err != nil {
		return nil, err
	}
	homes := make([]string, n)
	names := make([]string, n)
	peers := make([]Peer, n)
	for i := range n {
		names[i] = fmt.Sprintf("op%d", i+1)
		homes[i] = filepath.Join(dir, names[i])
		if peers[i], err = NewHome(homes[i], names[i], addrs[i]); err != nil {
			return nil, err
		}
	}
	js, err := NewGenesis(cmp.Or(opts.ChainID, "evote"), cmttime.Now(), names, peers)
	if err != nil {
		return nil, err
	}
	for _, home := range homes {
		if err := ApplyNetwork(home, js, peers); err != nil {
			return nil, err
		}
	}
	return homes, nil
}

// operatorConfig returns the configuration of operator name, whose home
// is home, reached by the others at p2pAddr, without its peers: on
// loopback it listens there, with the short timeouts of a loopback
// network; elsewhere it listens on every interface at p2pAddr's port,
// announces p2pAddr, and keeps CometBFT's timeouts.
func operatorConfig(home, name, p2pAddr string) *cfg.Config {
	conf := cfg.DefaultConfig()
	conf.SetRoot(home)
	conf.Moniker = name
	// The board's HTTP API is the operator's public interface; CometBFT's
	// RPC is not served.
	conf.RPC.ListenAddress = ""
	conf.TxIndex.Indexer = "null"
	conf.FilterPeers = true // App.Query

	conf.P2P.PexReactor = false
	// Without peer exchange the address book serves nothing: the peers
	// are the persistent ones the assembled network names. A strict book
	// refuses private addresses (10.0.0.0/8, 192.168.0.0/16, …), as of
	// operators on one private network, and CometBFT logs each refusal
	// as an error at every start.
	conf.P2P.AddrBookStrict = false
	conf.P2P.FlushThrottleTimeout = 10 * time.Millisecond
	// Each ballot (about 5 kB) crosses each link twice, in the mempool
	// and in its block: CometBFT's default of 5 MB/s a link would cap a
	// board near 500 ballots/s.
	conf.P2P.SendRate, conf.P2P.RecvRate = p2pRate, p2pRate

	// The cache of the transactions the mempool saw turns away, before
	// CheckTx, a copy of one it holds or held: without it, two peers'
	// copies gossiped at once could both be added, and the commit of
	// their block removes only one, leaving the other in the mempool
	// until the operator stops. A post of a transaction the cache turns
	// away is answered by the log (mempoolSequencer.Submit).
	conf.Mempool.CacheSize = mempoolCache
	// CheckTx admits a transaction before its proofs are checked: a
	// recheck after each block evicts those found invalid (App.CheckTx).
	conf.Mempool.Recheck = true
	conf.Mempool.MaxTxBytes = bulletin.DefaultMaxPayload + 64<<10

	c := conf.Consensus
	c.CreateEmptyBlocks, c.CreateEmptyBlocksInterval = true, emptyBlocksInterval
	if !isLoopback(p2pAddr) {
		_, port, _ := net.SplitHostPort(p2pAddr)
		conf.P2P.ListenAddress = "tcp://" + net.JoinHostPort("0.0.0.0", port)
		conf.P2P.ExternalAddress = p2pAddr
		return conf
	}
	conf.P2P.ListenAddress = "tcp://" + p2pAddr
	conf.P2P.AllowDuplicateIP = true // every operator is at 127.0.0.1
	c.TimeoutPropose, c.TimeoutProposeDelta = timeoutPropose, timeoutProposeDelta
	c.TimeoutPrevote, c.TimeoutPrevoteDelta = timeoutVote, timeoutVoteDelta
	c.TimeoutPrecommit, c.TimeoutPrecommitDelta = timeoutVote, timeoutVoteDelta
	c.TimeoutCommit = timeoutCommit
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

// configFile returns the path of the CometBFT configuration of the
// operator's home.
func configFile(home string) string { return filepath.Join(home, "config", "config.toml") }

// writeConfig writes conf to its home's config.toml. CometBFT's writer
// exits the process if the file cannot be written, so it is created here
// first.
func writeConfig(conf *cfg.Config) error {
	path := configFile(conf.RootDir)
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		return fmt.Errorf("replica: writing the configuration: %w", err)
	}
	cfg.WriteConfigFile(path, conf)
	return nil
}

// LoadConfig reads the CometBFT configuration of the operator's home
// (config/config.toml, over CometBFT's defaults) and checks it. The
// mempool must recheck its transactions after each block: that evicts
// those whose proofs, checked after CheckTx admitted them, failed
// (App.CheckTx).
func LoadConfig(home string) (*cfg.Config, error) {
	conf := cfg.DefaultConfig()
	v := viper.New()
	v.SetConfigFile(configFile(home))
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
	if !conf.Mempool.Recheck {
		return nil, errors.New("replica: the configuration of " + home + ": [mempool] recheck must be true for a board")
	}
	return conf, nil
}

// LoopbackAddrs returns n distinct addresses, 127.0.0.1:PORT, whose
// ports are free on the loopback interface now, chosen at random below
// the kernel's ephemeral range (ephemeralPortsFrom). A node listens at
// its port only once it starts, and a port of the ephemeral range may
// meanwhile become the local port of any outgoing connection of the
// machine, which would make the node fail to start, "address already in
// use"; the kernel never gives a port below that range to a connection.
func LoopbackAddrs(n int) ([]string, error) {
	high := ephemeralPortsFrom()
	addrs := make([]string, 0, n)
	for tries := 0; len(addrs) < n; tries++ {
		if tries == 1000 {
			return nil, fmt.Errorf("replica: no free loopback port between %d and %d found in %d tries", minLoopbackPort, high-1, tries)
		}
		var r [4]byte
		if _, err := rand.Read(r[:]); err != nil {
			return nil, fmt.Errorf("replica: choosing a port: %w", err)
		}
		port := minLoopbackPort + int(binary.BigEndian.Uint32(r[:])%uint32(high-minLoopbackPort))
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue // taken: try another
		}
		defer l.Close() // held until all are chosen, so that none repeats
		addrs = append(addrs, l.Addr().String())
	}
	return addrs, nil
}

// minLoopbackPort is the lowest port LoopbackAddrs chooses: above the
// ports of well-known services.
const minLoopbackPort = 10000

// ephemeralPortsFrom returns the first port of the range from which the
// kernel takes the local ports of outgoing connections: Linux's
// ip_local_port_range, else 32768, the first of Linux's default range,
// below those of the BSDs, macOS and Windows (49152).
func ephemeralPortsFrom() int {
	const fallback = 32768
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return fallback
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return fallback
	}
	low, err := strconv.Atoi(f[0])
	if err != nil || low < minLoopbackPort+1000 || low > fallback {
		return fallback
	}
	return low
}
