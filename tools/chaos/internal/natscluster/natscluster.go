// Package natscluster runs a three-node NATS JetStream cluster on loopback for
// a chaos run. Each node is a child process (the chaos binary itself, run as
// `chaos nats-node`, embedding nats-server), so killing a node is a real
// kill -9 of a process and restarting it recovers from its own store.
package natscluster

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/chuishao/whistle/platform/postgres/pgcluster"
	"github.com/chuishao/whistle/tools/chaos/internal/proc"
)

// NodeCommand is the chaos binary's subcommand that runs one node.
const NodeCommand = "nats-node"

// ClusterName is the cluster's name.
const ClusterName = "whistle-chaos"

// Node is one cluster member.
type Node struct {
	*proc.Proc
	ClientPort, HTTPPort int
}

// Cluster is the running cluster.
type Cluster struct {
	Nodes []*Node
}

// Start starts n nodes storing under dir, self being the chaos binary.
func Start(self, dir string, n int) (*Cluster, error) {
	type ports struct{ client, cluster, http int }
	free, err := pgcluster.FreePorts(3 * n)
	if err != nil {
		return nil, err
	}
	all := make([]ports, n)
	for i := range all {
		all[i] = ports{client: free[3*i], cluster: free[3*i+1], http: free[3*i+2]}
	}
	var routes []string
	for _, p := range all {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p.cluster))
	}
	c := &Cluster{}
	for i, p := range all {
		name := fmt.Sprintf("nats-%d", i+1)
		store := filepath.Join(dir, name)
		if err := os.MkdirAll(store, 0o700); err != nil {
			return nil, fmt.Errorf("make %s: %w", store, err)
		}
		node := &Node{ClientPort: p.client, HTTPPort: p.http, Proc: &proc.Proc{
			Name: name, Path: self, Env: os.Environ(), Log: filepath.Join(dir, name+".log"),
			Args: []string{NodeCommand, "--name", name, "--port", strconv.Itoa(p.client),
				"--cluster-port", strconv.Itoa(p.cluster), "--http-port", strconv.Itoa(p.http),
				"--routes", strings.Join(routes, ","), "--store", store},
		}}
		if err := node.Start(); err != nil {
			c.Stop()
			return nil, err
		}
		c.Nodes = append(c.Nodes, node)
	}
	return c, nil
}

// URLs is the client URL list of every node, comma separated (NATS_URL).
func (c *Cluster) URLs() string {
	var urls []string
	for _, n := range c.Nodes {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", n.ClientPort))
	}
	return strings.Join(urls, ",")
}

// Healthy reports whether node answers its /healthz (JetStream up and
// current with the cluster).
func (n *Node) Healthy(ctx context.Context) bool {
	return proc.Answers200(ctx, fmt.Sprintf("http://127.0.0.1:%d/healthz", n.HTTPPort))
}

// WaitHealthy waits until every node is healthy or ctx ends.
func (c *Cluster) WaitHealthy(ctx context.Context) error {
	for {
		ok := true
		for _, n := range c.Nodes {
			ok = ok && n.Healthy(ctx)
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("NATS cluster not healthy: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop stops every node.
func (c *Cluster) Stop() {
	for _, n := range c.Nodes {
		n.Stop(10 * time.Second)
	}
}

// RunNode is the `chaos nats-node` subcommand: one JetStream cluster member,
// until SIGTERM or SIGINT.
func RunNode(args []string) error {
	fs := flag.NewFlagSet(NodeCommand, flag.ContinueOnError)
	name := fs.String("name", "", "server name")
	port := fs.Int("port", 0, "client port")
	clusterPort := fs.Int("cluster-port", 0, "cluster (route) port")
	httpPort := fs.Int("http-port", 0, "monitoring port (/healthz)")
	routes := fs.String("routes", "", "comma-separated route URLs of every member")
	store := fs.String("store", "", "JetStream store directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := &server.Options{
		ServerName: *name, Host: "127.0.0.1", Port: *port, HTTPHost: "127.0.0.1", HTTPPort: *httpPort,
		JetStream: true, StoreDir: *store, NoSigs: true,
		Cluster: server.ClusterOpts{Name: ClusterName, Host: "127.0.0.1", Port: *clusterPort},
		Routes:  server.RoutesFromStr(*routes),
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("nats node %s: %w", *name, err)
	}
	srv.ConfigureLogger()
	srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return fmt.Errorf("nats node %s: not ready within 30 s", *name)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	srv.Shutdown()
	srv.WaitForShutdown()
	return nil
}
