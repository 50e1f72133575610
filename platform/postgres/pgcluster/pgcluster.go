// Package pgcluster runs a private PostgreSQL cluster (for a chaos run, or for
// a test run: testcluster): initdb into a scratch directory with the machine's
// PostgreSQL binaries, a free loopback port, trust authentication, the
// caller's settings, and pg_ctl to restart it the hard way.
// initdb and postgres refuse to run as root, so under root the cluster runs as
// the postgres user (runuser), which must exist (Debian's postgresql package
// creates it).
package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is a running private cluster.
type Cluster struct {
	bin, dir, logFile string
	port              int
	runAs             string // "" when not root
}

// FindBin returns the directory of pg_ctl and initdb: bin when set, else the
// newest /usr/lib/postgresql/*/bin, else the directory of pg_ctl on PATH.
func FindBin(bin string) (string, error) {
	if bin != "" {
		return bin, nil
	}
	if dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin"); len(dirs) > 0 {
		return dirs[len(dirs)-1], nil
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no PostgreSQL binaries: install postgresql (15+) or pass --pg-bin")
}

// Settings are postgresql.conf lines beyond the port and sockets (name = value).
type Settings map[string]string

// Start initialises a cluster under dir (which must not exist yet) and starts
// it with settings.
func Start(ctx context.Context, bin, dir string, settings Settings) (*Cluster, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin, dir: filepath.Join(dir, "data"), logFile: filepath.Join(dir, "postgres.log"), port: port}
	if os.Geteuid() == 0 {
		c.runAs = "postgres"
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("make %s: %w", dir, err)
	}
	if c.runAs != "" {
		if err := chownTo(dir, c.runAs); err != nil {
			return nil, err
		}
	}
	if err := c.run(ctx, "initdb", "-D", c.dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions", "--no-sync"); err != nil {
		return nil, err
	}
	conf := fmt.Sprintf("port = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n", port, dir)
	for _, name := range slices.Sorted(maps.Keys(settings)) {
		conf += fmt.Sprintf("%s = %s\n", name, settings[name])
	}
	if err := appendFile(filepath.Join(c.dir, "postgresql.conf"), conf); err != nil {
		return nil, err
	}
	if err := c.pgctl(ctx, "start"); err != nil {
		return nil, err
	}
	return c, nil
}

// URL is the connection URL of database name.
func (c *Cluster) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, name)
}

// CreateDatabase creates database name.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("connect to the private cluster: %w", err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// RestartImmediate is `pg_ctl restart -m immediate`: every backend is killed
// without a checkpoint and the server recovers from its WAL on start.
func (c *Cluster) RestartImmediate(ctx context.Context) error {
	return c.pgctl(ctx, "restart", "-m", "immediate")
}

// Stop stops the server fast.
func (c *Cluster) Stop(ctx context.Context) error { return c.pgctl(ctx, "stop", "-m", "fast") }

// Discard stops the server at once, for a cluster whose data no one keeps.
func (c *Cluster) Discard(ctx context.Context) error { return c.pgctl(ctx, "stop", "-m", "immediate") }

// Ready reports whether the server accepts connections.
func (c *Cluster) Ready(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return false
	}
	_ = conn.Close(ctx)
	return true
}

func (c *Cluster) pgctl(ctx context.Context, args ...string) error {
	all := append([]string{"-D", c.dir, "-l", c.logFile, "-w", "-t", "60"}, args...)
	return c.run(ctx, "pg_ctl", all...)
}

func (c *Cluster) run(ctx context.Context, prog string, args ...string) error {
	path := filepath.Join(c.bin, prog)
	var cmd *exec.Cmd
	if c.runAs != "" {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", c.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	// pg_ctl's server must not share its starter's process group, or a
	// Ctrl-C would reach it before the starter stops it.
	cmd.SysProcAttr = detached()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", prog, strings.Join(args, " "), err, out)
	}
	return nil
}

// FreePort asks the kernel for a free loopback port.
func FreePort() (int, error) {
	ports, err := FreePorts(1)
	if err != nil {
		return 0, err
	}
	return ports[0], nil
}

// FreePorts asks the kernel for n distinct free loopback ports: every
// listener stays open until all are chosen, or the kernel could hand out a
// just-closed port twice.
func FreePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		defer func() { _ = l.Close() }()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func chownTo(dir, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("running as root, PostgreSQL must run as %q, which does not exist: %w", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return fmt.Errorf("chown %s to %s: %w", dir, name, err)
	}
	// The scratch directory's parents must let that user through.
	for p := filepath.Dir(dir); p != "/" && p != "."; p = filepath.Dir(p) {
		info, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("stat %s: %w", p, err)
		}
		if info.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(p, info.Mode().Perm()|0o001); err != nil {
				return fmt.Errorf("let %s through %s: %w", name, p, err)
			}
		}
	}
	return nil
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	if _, err := f.WriteString(text); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
