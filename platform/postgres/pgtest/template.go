package pgtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chuishao/whistle/platform/postgres"
)

var templateName = regexp.MustCompile(`^[a-z0-9_]{1,20}$`)

// NewDatabaseFrom creates a fresh database for t as a copy of a template that
// build prepared (typically: every schema migrated), and returns its URL.
// The template is built once per test binary and name, whatever the number of
// tests asking at once (an advisory lock orders them), and kept on the server
// for later runs of the same binary: its name carries a hash of the test
// package and of the binary, so any change to the code or the migrations
// builds a new one. Only the newest keepTemplates of a package and name are
// kept, so that another checkout running the same tests at the same time
// (with other code) does not lose its template while cloning it. build gets
// the template's URL and must close its connections before returning.
func NewDatabaseFrom(t testing.TB, name string, build func(ctx context.Context, url string) error) string {
	t.Helper()
	if !templateName.MatchString(name) {
		t.Fatalf("pgtest: template name %q: want 1-20 of a-z, 0-9, _", name)
	}
	ctx := context.Background()
	tpl, err := ensureTemplate(ctx, name, build)
	if err != nil {
		t.Fatalf("pgtest: template %s: %v", name, err)
	}
	return newDatabase(t, tpl)
}

// keepTemplates is how many templates of one package and name stay on the server.
const keepTemplates = 8

// thisPackage is a short hash of the test binary's package path, so that two
// packages' templates of the same name do not replace each other.
func thisPackage() string {
	path := os.Args[0]
	if info, ok := debug.ReadBuildInfo(); ok && info.Path != "" {
		path = info.Path
	}
	sum := sha256.Sum256([]byte(path))
	return hex.EncodeToString(sum[:])[:8]
}

var (
	binaryHashOnce sync.Once
	binaryHash     string
	binaryHashErr  error
)

// thisBinary is a short hash of the running test binary.
func thisBinary() (string, error) {
	binaryHashOnce.Do(func() {
		path, err := os.Executable()
		if err != nil {
			binaryHashErr = err
			return
		}
		f, err := os.Open(path)
		if err != nil {
			binaryHashErr = err
			return
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			binaryHashErr = err
			return
		}
		binaryHash = hex.EncodeToString(h.Sum(nil))[:16]
	})
	return binaryHash, binaryHashErr
}

// ensureTemplate returns the name of name's template for this binary,
// building it first if no earlier test did.
func ensureTemplate(ctx context.Context, name string, build func(ctx context.Context, url string) error) (string, error) {
	hash, err := thisBinary()
	if err != nil {
		return "", fmt.Errorf("hash the test binary: %w", err)
	}
	prefix := "whistle_tpl_" + name + "_" + thisPackage() + "_"
	tpl := prefix + hash
	cfg, err := pgx.ParseConfig(AdminURL())
	if err != nil {
		return "", err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	// Session lock: held across the build's own transactions and connections.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtext($1))", prefix); err != nil {
		return "", err
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtext($1))", prefix)
	}()
	var ready bool
	err = conn.QueryRow(ctx, "SELECT datistemplate FROM pg_database WHERE datname = $1", tpl).Scan(&ready)
	if err == nil && ready {
		return tpl, nil
	}
	// A template that exists but is not marked ready is a build that failed.
	if err := dropDatabase(ctx, conn, tpl); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+tpl); err != nil {
		return "", err
	}
	if err := build(ctx, urlOf(cfg, tpl)); err != nil {
		return "", fmt.Errorf("build: %w", err)
	}
	// A clone needs the template without connections; none may come later.
	if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", tpl); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+tpl+" WITH ALLOW_CONNECTIONS false IS_TEMPLATE true"); err != nil {
		return "", err
	}
	// Templates of older builds of this package are of no more use, but
	// another checkout may still be cloning a recent one: keep the newest.
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY oid DESC OFFSET $2",
		prefix, keepTemplates)
	if err != nil {
		return "", err
	}
	old, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", err
	}
	for _, db := range old {
		_ = dropDatabase(ctx, conn, db)
	}
	return tpl, nil
}

func dropDatabase(ctx context.Context, conn *pgx.Conn, name string) error {
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+name+" IS_TEMPLATE false"); err != nil && !strings.Contains(err.Error(), "does not exist") {
		return err
	}
	_, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	return err
}

// createRetries bounds the retries of CREATE DATABASE … TEMPLATE while another
// test's clone of the same template is still being made (the server refuses
// a template that another CREATE DATABASE is copying).
const createRetries = 50

func createFrom(ctx context.Context, conn *pgx.Conn, name, tpl string) error {
	stmt := "CREATE DATABASE " + name
	if tpl != "" {
		stmt += " TEMPLATE " + tpl
	}
	var err error
	for range createRetries {
		if _, err = conn.Exec(ctx, stmt); err == nil || !strings.Contains(err.Error(), "is being accessed by other users") {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

func urlOf(cfg *pgx.ConnConfig, db string) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, db)
}

// Migrated is a template build for one service's schema: sets applied by
// postgres.Migrate as the admin, as the service does when it starts.
func Migrated(schema string, sets ...postgres.Migrations) func(ctx context.Context, url string) error {
	return func(ctx context.Context, url string) error {
		pool, err := postgres.Connect(ctx, url, schema)
		if err != nil {
			return err
		}
		defer pool.Close()
		return postgres.Migrate(ctx, pool, schema, sets...)
	}
}
