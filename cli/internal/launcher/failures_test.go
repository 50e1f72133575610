package launcher_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/cli/internal/launcher"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
)

func TestRunRestartsAKilledServiceAndKeepsTheOthers(t *testing.T) {
	t.Parallel()
	cfg, fakeDir := testConfig(t, pgtest.NewDatabase(t))
	clk := clockwork.NewFakeClock()
	cfg.Clock = clk
	cfg.Backoff = launcher.Backoff{Initial: time.Second, Max: 4 * time.Second, Reset: time.Minute}
	out, cancel, done := startRun(t, cfg)
	waitBanner(t, out, done)
	others := map[string]int{}
	for _, s := range services {
		if s != "intake" {
			others[s] = pidOf(t, fakeDir, s)
		}
	}

	// kill -9 intake; it comes back after the backoff, on the launcher's clock.
	kill := func(n int, wait string) {
		t.Helper()
		// Count before the kill: the launcher may print the line before the
		// kill call has even returned.
		line := "intake exited (signal: killed); restarting in " + wait
		seen := strings.Count(out.String(), line)
		require.NoError(t, syscall.Kill(pidOf(t, fakeDir, "intake"), syscall.SIGKILL))
		out.waitCount(t, line, seen+1, done)
		require.NoError(t, clk.BlockUntilContext(context.Background(), 1))
		d, err := time.ParseDuration(wait)
		require.NoError(t, err)
		clk.Advance(d)
		// "restarted" comes once the launcher has noted the start time that
		// the next wait depends on (so the clock may move on); "listening"
		// once the new intake has written its pid (so it may be killed).
		out.waitCount(t, "intake restarted", n, done)
		out.waitCount(t, "fake intake listening", n+1, done)
	}
	kill(1, "1s")
	kill(2, "2s") // it died again at once: the wait doubles
	kill(3, "4s")
	kill(4, "4s") // capped
	clk.Advance(time.Minute)
	kill(5, "1s") // it stayed up a minute: back to the first wait
	require.Equal(t, 5, strings.Count(out.String(), "intake restarted"))

	// The others never stopped, and the restarted intake got the same environment.
	for name, pid := range others {
		require.Equal(t, pid, pidOf(t, fakeDir, name), name)
		require.NoError(t, syscall.Kill(pid, 0), "%s still runs", name)
		require.NoFileExists(t, filepath.Join(fakeDir, name+".stopped"))
	}
	require.Equal(t, cfg.Backends[1].OpsAddr, readEnv(t, fakeDir, "intake")["WHISTLE_OPS_ADDR"])

	cancel()
	require.NoError(t, <-done)
	for _, s := range services {
		require.FileExists(t, filepath.Join(fakeDir, s+".stopped"), "%s got SIGTERM", s)
	}
}

func TestRunWithExitOnCrashStopsEverythingWhenAChildDies(t *testing.T) {
	t.Parallel()
	cfg, fakeDir := testConfig(t, pgtest.NewDatabase(t))
	cfg.ExitOnCrash = true
	require.True(t, launcher.FromEnv(func(k string) string { return map[string]string{"WHISTLE_EXIT_ON_CRASH": "1"}[k] }).ExitOnCrash)
	require.False(t, launcher.FromEnv(func(string) string { return "" }).ExitOnCrash, "restarting is the default")
	out, _, done := startRun(t, cfg)
	waitBanner(t, out, done)

	require.NoError(t, syscall.Kill(pidOf(t, fakeDir, "response"), syscall.SIGKILL))

	err := <-done
	require.Error(t, err)
	require.Contains(t, err.Error(), "response")
	require.Contains(t, err.Error(), "killed")
	for _, s := range services {
		if s != "response" {
			require.FileExists(t, filepath.Join(fakeDir, s+".stopped"), "%s was stopped too", s)
		}
	}
}

func TestRunNamesTheServiceThatIsNotReady(t *testing.T) {
	t.Parallel()
	cfg, fakeDir := testConfig(t, pgtest.NewDatabase(t), "WHISTLE_FAKE_NEVER_READY=feedback")
	cfg.ReadyTimeout = time.Second
	_, _, done := startRun(t, cfg)
	err := <-done
	require.Error(t, err)
	require.Contains(t, err.Error(), "not ready after 1s: feedback")
	require.Contains(t, err.Error(), "503")
	require.FileExists(t, filepath.Join(fakeDir, "routing.stopped"), "the others are stopped")
}

func TestRunWithoutPostgresSaysHowToStartIt(t *testing.T) {
	t.Parallel()
	dbURL := "postgres://postgres:secret@" + freeAddr(t) + "/whistle?sslmode=disable"
	cfg, _ := testConfig(t, dbURL)
	err := launcher.Run(context.Background(), cfg, newSyncBuffer(""))
	require.Error(t, err)
	require.Contains(t, err.Error(), "pg_ctlcluster 15 main start")
	require.Contains(t, err.Error(), strings.Replace(dbURL, "secret", "xxxxx", 1), "names the URL, not the password")
	require.NotContains(t, err.Error(), "secret")
}

func TestRunNamesAMissingBinary(t *testing.T) {
	t.Parallel()
	cfg, _ := testConfig(t, "postgres://unused")
	require.NoError(t, os.Remove(filepath.Join(cfg.BinDir, "feedback")))
	err := launcher.Run(context.Background(), cfg, newSyncBuffer(""))
	require.ErrorContains(t, err, "no feedback binary at "+filepath.Join(cfg.BinDir, "feedback"))
}

func TestRunRefusesATakenPort(t *testing.T) {
	t.Parallel()
	cfg, _ := testConfig(t, pgtest.NewDatabase(t))
	lis, err := net.Listen("tcp", cfg.HTTPAddr)
	require.NoError(t, err)
	defer lis.Close()
	err = launcher.Run(context.Background(), cfg, newSyncBuffer(""))
	require.ErrorContains(t, err, "gateway HTTP (WHISTLE_HTTP_ADDR) address "+cfg.HTTPAddr+" is taken")
}

func TestDevKeySurvivesRestarts(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), ".run", "dev-key")
	first, err := launcher.LoadOrCreateKey(path)
	require.NoError(t, err)
	again, err := launcher.LoadOrCreateKey(path)
	require.NoError(t, err)
	require.True(t, first.Equal(again))
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the signing key is private")

	require.NoError(t, os.WriteFile(path, []byte("garbage"), 0o600))
	_, err = launcher.LoadOrCreateKey(path)
	require.ErrorContains(t, err, "delete it")
}
