// Package stack starts the whole Whistle system for a bench run: a fresh
// database, the `make run` launcher (.bin/whistle-dev) as a child with its own
// run directory, and waits until the gateway is ready.
package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Config says how to start the stack.
type Config struct {
	// Launcher is the path of whistle-dev (built by `make build`).
	Launcher string
	// BinDir holds the service binaries.
	BinDir string
	// DatabaseURL names the bench's own database; it is created fresh and
	// dropped when the stack stops.
	DatabaseURL string
	// APIURL is where the gateway answers (the launcher's default address).
	APIURL string
	// Ports must all be free before the launcher starts: it uses fixed
	// addresses, and a NATS on another port would put the publish baseline
	// on a different server than the stack's.
	Ports []string
	// ReadyURL is the gateway's /readyz on its ops port (the launcher's
	// default: LauncherGatewayOps); empty means that one.
	ReadyURL string
	// ReadyTimeout bounds the wait for /readyz.
	ReadyTimeout time.Duration
	// Output receives the launcher's stdout and stderr.
	Output io.Writer
	Log    *slog.Logger
}

// LauncherOps are the services' ops addresses (/metrics) on `make run`.
var LauncherOps = []string{"127.0.0.1:7201", "127.0.0.1:7202", "127.0.0.1:7203", "127.0.0.1:7204", "127.0.0.1:7206"}

// LauncherGatewayOps is the gateway's ops address (/readyz, /metrics) on `make run`.
const LauncherGatewayOps = "127.0.0.1:7205"

// LauncherPorts are the fixed addresses `make run` listens on.
var LauncherPorts = append([]string{
	"127.0.0.1:8080", LauncherGatewayOps, "127.0.0.1:4333",
	"127.0.0.1:7101", "127.0.0.1:7102", "127.0.0.1:7103", "127.0.0.1:7104", "127.0.0.1:7105",
}, LauncherOps...)

// Stack is a running system.
type Stack struct {
	cfg    Config
	cmd    *exec.Cmd
	runDir string
	done   chan error
}

// Start creates the database and starts the launcher.
func Start(ctx context.Context, cfg Config) (*Stack, error) {
	for _, addr := range cfg.Ports {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("%s is taken (another `make run`, browser test or bench?); the bench needs the launcher's fixed ports: %w", addr, err)
		}
		_ = l.Close()
	}
	if err := recreateDatabase(ctx, cfg.DatabaseURL, true); err != nil {
		return nil, err
	}
	runDir, err := os.MkdirTemp("", "whistle-bench-run-")
	if err != nil {
		return nil, fmt.Errorf("make run directory: %w", err)
	}
	// Not CommandContext: a cancelled bench must still stop the children
	// gracefully (SIGINT), which Stop does.
	// --exit-on-crash: a service that dies under load ends the run, rather
	// than being restarted by the launcher and measured as a slow patch.
	cmd := exec.Command(cfg.Launcher, "--bin-dir", cfg.BinDir, "--run-dir", runDir, "--database-url", cfg.DatabaseURL, "--exit-on-crash")
	// The gateway's per-address and per-token rate limits (50/s and 20/s by
	// default) protect a real edge from one client; here that one client is
	// the load generator, so they are lifted for the bench's own stack.
	cmd.Env = append(os.Environ(), "DATABASE_URL="+cfg.DatabaseURL, "NATS_URL=",
		"WHISTLE_RATE_PER_IP=1000000", "WHISTLE_RATE_BURST_PER_IP=1000000",
		"WHISTLE_RATE_PER_TOKEN=1000000", "WHISTLE_RATE_BURST_PER_TOKEN=1000000")
	// The load puts hundreds of open whistles of one category on each street
	// within metres; intake's duplicate search (100 m) would link each new one
	// to all of them, which no real street sees, so it is narrowed unless asked for.
	if os.Getenv("WHISTLE_DUPLICATE_RADIUS_M") == "" {
		cmd.Env = append(cmd.Env, "WHISTLE_DUPLICATE_RADIUS_M=1")
	}
	cmd.Stdout = cfg.Output
	cmd.Stderr = cfg.Output
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(runDir)
		return nil, fmt.Errorf("start %s: %w", cfg.Launcher, err)
	}
	s := &Stack{cfg: cfg, cmd: cmd, runDir: runDir, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	if err := s.waitReady(ctx); err != nil {
		s.Stop(context.WithoutCancel(ctx))
		return nil, err
	}
	return s, nil
}

func (s *Stack) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ReadyTimeout)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	readyURL := s.cfg.ReadyURL
	if readyURL == "" {
		readyURL = "http://" + LauncherGatewayOps + "/readyz"
	}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, readyURL, nil)
		if err != nil {
			return fmt.Errorf("readyz request: %w", err)
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("launcher exited before the stack was ready: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", readyURL, ctx.Err())
		case <-tick.C:
		}
	}
}

// Pid is the launcher's process id: the services are its children, and it
// runs the embedded NATS server itself.
func (s *Stack) Pid() int { return s.cmd.Process.Pid }

// NATSAdmin is the embedded NATS server's admin user, which the launcher
// writes to nats-admin.env in its run directory: the server refuses anonymous
// clients, and the raw JetStream baseline needs a user that may create streams.
func (s *Stack) NATSAdmin() (user, password string, err error) {
	path := filepath.Join(s.runDir, "nats-admin.env")
	body, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("read the NATS admin user: %w", err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "NATS_USER":
			user = v
		case "NATS_PASSWORD":
			password = v
		}
	}
	if user == "" {
		return "", "", fmt.Errorf("%s names no NATS_USER", path)
	}
	return user, password, nil
}

// Stop interrupts the launcher (which stops every service), kills it if it
// takes too long, then drops the database and the run directory.
func (s *Stack) Stop(ctx context.Context) {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			s.cfg.Log.Warn("launcher did not stop within 30 s; killing it")
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	}
	if err := recreateDatabase(ctx, s.cfg.DatabaseURL, false); err != nil {
		s.cfg.Log.Warn("drop bench database", "err", err)
	}
	_ = os.RemoveAll(s.runDir)
}

// recreateDatabase drops the database named by dbURL and, when create is set,
// creates it again, connecting to the server's postgres database to do so.
func recreateDatabase(ctx context.Context, dbURL string, create bool) error {
	u, err := url.Parse(dbURL)
	if err != nil {
		return fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	name := filepath.Base(u.Path)
	if name == "" || name == "/" || name == "." {
		return errors.New("DATABASE_URL names no database")
	}
	if name == "postgres" || name == "whistle" {
		return fmt.Errorf("refusing to drop database %q: give the bench a database of its own", name)
	}
	admin := *u
	admin.Path = "/postgres"
	conn, err := pgx.Connect(ctx, admin.String())
	if err != nil {
		return fmt.Errorf("connect to postgres: %w", err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	if create {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
			return fmt.Errorf("create database %s: %w", name, err)
		}
	}
	return nil
}
