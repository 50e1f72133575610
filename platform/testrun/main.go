// Command testrun runs a command (`make test`'s go test) in a scratch
// environment made for tests, and discards it after:
//
//	go run ./platform/testrun -- go test ./...
//
// The environment is a private PostgreSQL cluster (pgcluster: the machine's
// own server binaries) without durability — no fsync, no full-page writes,
// asynchronous commits — and a temporary directory (TMPDIR) for the command,
// both in memory (/dev/shm) when the machine has it. Every test database is a
// copy of a migrated template, every test's JetStream store and files live
// in fresh temporary directories, and go test links each test binary there:
// on this machine the copies' fsyncs, and creating files on a disk file
// system where many were just deleted, were most of the suite's set-up
// (docs/benchmarks.md). Nothing a test checks depends on surviving a power cut.
//
// The command gets the cluster in WHISTLE_TEST_DATABASE_URL (pgtest.AdminURL).
// When that is already set, or no PostgreSQL binaries are installed, the
// tests use the server pgtest would use anyway.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/chuishao/whistle/platform/postgres/pgcluster"
)

// settings trade durability for speed; max_connections leaves room for
// parallel test packages, each starting several services with their pools.
var settings = pgcluster.Settings{
	"fsync":              "off",
	"full_page_writes":   "off",
	"synchronous_commit": "off",
	"max_connections":    "400",
	"shared_buffers":     "256MB",
	"max_wal_size":       "1GB",
	"checkpoint_timeout": "30min",
}

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: testrun [--] command [args...]")
		os.Exit(2)
	}
	os.Exit(run(args))
}

func run(args []string) int {
	dir, err := os.MkdirTemp(scratch(), "whistle-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testrun:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		fmt.Fprintln(os.Stderr, "testrun:", err)
		return 1
	}
	env := []string{"TMPDIR=" + tmp}
	if os.Getenv("WHISTLE_TEST_DATABASE_URL") == "" {
		url, stop, err := startCluster(filepath.Join(dir, "pg"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "testrun:", err)
			return 1
		}
		defer stop()
		if url != "" {
			env = append(env, "WHISTLE_TEST_DATABASE_URL="+url)
		}
	}
	return runCommand(args, env)
}

// startCluster starts the private cluster under dir and returns its admin
// URL and how to discard it; the URL is "" when the machine has no
// PostgreSQL binaries (the tests then use pgtest's default server).
func startCluster(dir string) (url string, stop func(), err error) {
	ctx := context.Background()
	bin, err := pgcluster.FindBin("")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testrun: no private PostgreSQL cluster, the tests use the default server:", err)
		return "", func() {}, nil
	}
	c, err := pgcluster.Start(ctx, bin, dir, settings)
	if err != nil {
		return "", nil, fmt.Errorf("start a private PostgreSQL cluster: %w", err)
	}
	return c.URL("postgres"), func() {
		if err := c.Discard(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "testrun: stop the private PostgreSQL cluster:", err)
		}
	}, nil
}

// scratch is where the environment goes: memory (/dev/shm) when the machine
// has it, else the usual temporary directory.
func scratch() string {
	const shm = "/dev/shm"
	if info, err := os.Stat(shm); err == nil && info.IsDir() && syscall.Access(shm, 2) == nil {
		return shm
	}
	return os.TempDir()
}

// runCommand runs args with env added to this process's environment and
// returns its exit code. An interrupt or a termination is passed on to the
// command; this process waits for it to end, then cleans up.
func runCommand(args, env []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), env...)
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "testrun:", err)
		return 1
	}
	go func() {
		for s := range signals {
			_ = cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return max(exit.ExitCode(), 1)
	default:
		fmt.Fprintln(os.Stderr, "testrun:", err)
		return 1
	}
}
