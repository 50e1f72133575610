// Package launcher is `make run`: it prepares Postgres, NATS and a dev signing
// key, starts every Whistle service as its own process, waits until all are
// ready, prints how to use them, and stops them together.
package launcher

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chuishao/whistle/cli/devoidc"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/embedded"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/postgres"
)

// Run launches everything and blocks until ctx is cancelled (Ctrl-C: a clean
// stop, nil). A service that dies after start-up is restarted with backoff
// while the others run on, or, with ExitOnCrash, everything is stopped and
// the error names it. out receives the children's prefixed output and the banner.
func Run(ctx context.Context, cfg Config, out io.Writer) error {
	sup := NewSupervisor(out, len("whistle-dev"))
	names := []string{"gateway"}
	for _, b := range cfg.Backends {
		names = append(names, b.Name)
	}
	for _, name := range names {
		path := filepath.Join(cfg.BinDir, name)
		if info, err := os.Stat(path); err != nil || info.IsDir() {
			return fmt.Errorf("no %s binary at %s: build the binaries first (`make run` builds them into .bin)", name, path)
		}
	}

	sup.Printf("checking PostgreSQL at %s", redactURL(cfg.DatabaseURL))
	if err := ensurePostgres(ctx, cfg.DatabaseURL); err != nil {
		return err
	}

	natsURL := cfg.NATSURL
	if natsURL == "" {
		cfg.NATSUsers = bus.NewCredentials()
		emb, err := startNATS(filepath.Join(cfg.RunDir, "nats"), cfg.NATSPort, cfg.NATSUsers)
		if err != nil {
			return err
		}
		defer func() {
			emb.Shutdown()
			sup.Printf("embedded NATS stopped")
		}()
		natsURL = emb.URL()
		sup.Printf("embedded NATS JetStream at %s (store %s)", natsURL, filepath.Join(cfg.RunDir, "nats"))
		// Written before any service starts, so a tool that waits for the
		// gateway's readiness (the bench) finds it.
		if err := writeNATSAdmin(cfg, natsURL); err != nil {
			return err
		}
	}

	key, err := LoadOrCreateKey(filepath.Join(cfg.RunDir, "dev-key"))
	if err != nil {
		return err
	}
	if cfg.TimelineKeys, err = LoadOrCreateTimelineKeys(filepath.Join(cfg.RunDir, "timeline-keys")); err != nil {
		return err
	}
	if cfg.DatabasePasswords, err = newDatabasePasswords(cfg.Backends); err != nil {
		return err
	}
	idp, devOIDC, err := startDevOIDC(cfg, key)
	if err != nil {
		return err
	}
	defer func() { _ = idp.Close() }()
	cfg.OIDC = devOIDC
	sup.Printf("dev identity provider at %s (demo people, password %s)", devOIDC.Issuer, devoidc.DemoPassword)
	plan, err := MakePlan(cfg, natsURL, key, time.Now())
	if err != nil {
		return err
	}
	if err := checkPortsFree(cfg); err != nil {
		return err
	}
	if err := migrate(ctx, sup, plan.Processes); err != nil {
		if ctx.Err() != nil {
			return nil // interrupted while migrating: still a clean stop
		}
		return err
	}

	defer func() {
		sup.Printf("stopping services")
		sup.Stop(cfg.StopGrace)
	}()
	// Routing goes first and alone: it seeds the reference data.
	first, rest := plan.Processes[:1], plan.Processes[1:]
	for _, batch := range [][]Process{first, rest} {
		for _, p := range batch {
			if err := sup.Start(p.Name, p.Binary, p.Env); err != nil {
				return err
			}
		}
		if err := waitReady(ctx, sup, batch, cfg.ReadyTimeout); err != nil {
			if ctx.Err() != nil {
				return nil // interrupted while starting: still a clean stop
			}
			return err
		}
	}

	if err := printBanner(sup, cfg, plan, key); err != nil {
		return err
	}
	if !cfg.ExitOnCrash {
		b, clk := cfg.Backoff, cfg.Clock
		if b == (Backoff{}) {
			b = DefaultBackoff
		}
		if clk == nil {
			clk = clock.Real()
		}
		keepRunning(ctx, sup, plan.Processes, b, clk)
		return nil
	}
	select {
	case <-ctx.Done():
		return nil
	case e := <-sup.Exits():
		return fmt.Errorf("%s exited (%s); stopped everything (exit on crash)", e.Name, exitReason(e))
	}
}

func ensurePostgres(ctx context.Context, dbURL string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := postgres.EnsureDatabase(ctx, dbURL); err != nil {
		return fmt.Errorf("PostgreSQL is not usable at DATABASE_URL=%s: %w\n"+
			"Start a server (on Debian: `sudo pg_ctlcluster 15 main start`) or set DATABASE_URL to one you have",
			redactURL(dbURL), err)
	}
	return nil
}

func startNATS(dir string, port int, users []bus.Credential) (*embedded.Server, error) {
	if port > 0 {
		// embedded.Start on a taken port only fails after its ready timeout; look first.
		lis, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			port = -1
		} else {
			_ = lis.Close()
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create NATS store: %w", err)
	}
	emb, err := embedded.Start(dir, "127.0.0.1", port, users...)
	if err != nil {
		return nil, fmt.Errorf("start embedded NATS (or set NATS_URL): %w", err)
	}
	return emb, nil
}

// checkPortsFree fails early, naming the port, when something else (often an
// earlier `make run`) holds one of the services' addresses.
func checkPortsFree(cfg Config) error {
	type use struct{ what, addr string }
	uses := []use{{"gateway HTTP (WHISTLE_HTTP_ADDR)", cfg.HTTPAddr}, {"gateway ops (WHISTLE_GATEWAY_OPS_ADDR)", cfg.GatewayOpsAddr}}
	for _, b := range cfg.Backends {
		uses = append(uses, use{b.Name + " gRPC", b.GRPCAddr}, use{b.Name + " ops", b.OpsAddr})
	}
	for _, u := range uses {
		lis, err := net.Listen("tcp", u.addr)
		if err != nil {
			return fmt.Errorf("%s address %s is taken (is another `make run` still running?): %w", u.what, u.addr, err)
		}
		_ = lis.Close()
	}
	return nil
}

// waitReady polls each process's /readyz until all answer 200, a child
// exits, ctx ends or timeout passes.
func waitReady(ctx context.Context, sup *Supervisor, procs []Process, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	pending := map[string]Process{}
	last := map[string]string{}
	for _, p := range procs {
		pending[p.Name] = p
		last[p.Name] = "no answer yet"
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		for name, p := range pending {
			ok, detail := probe(ctx, client, p.ReadyURL)
			if ok {
				delete(pending, name)
				sup.Printf("%s is ready", name)
				continue
			}
			last[name] = detail
		}
		if len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e := <-sup.Exits():
			return fmt.Errorf("%s exited (%s) before it was ready; see its log above", e.Name, exitReason(e))
		case <-deadline.C:
			var msgs []string
			for _, name := range slices.Sorted(maps.Keys(pending)) {
				msgs = append(msgs, fmt.Sprintf("%s (%s: %s)", name, pending[name].ReadyURL, last[name]))
			}
			return fmt.Errorf("not ready after %v: %s", timeout, strings.Join(msgs, ", "))
		case <-tick.C:
		}
	}
}

func probe(ctx context.Context, client *http.Client, url string) (bool, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err.Error()
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode == http.StatusOK {
		return true, ""
	}
	return false, fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(body)))
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
