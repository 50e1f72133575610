// Package pgtest gives each test its own empty database on the real PostgreSQL
// server (WHISTLE_TEST_DATABASE_URL, default the local one), dropped at cleanup.
package pgtest

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// AdminURL is the server the test databases are created on.
func AdminURL() string {
	if u := os.Getenv("WHISTLE_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// NewDatabase creates a fresh database for t and returns its URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	return newDatabase(t, "")
}

// newDatabase creates a database for t, a copy of tpl ("" for an empty one),
// dropped at cleanup.
func newDatabase(t testing.TB, tpl string) string {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(AdminURL())
	if err != nil {
		t.Fatalf("pgtest: parse admin url: %v", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("pgtest: connect to postgres (is it running on %s:%d?): %v", cfg.Host, cfg.Port, err)
	}
	defer conn.Close(ctx)
	name := "whistle_test_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
	if err := createFrom(ctx, conn, name, tpl); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.ConnectConfig(context.Background(), cfg)
		if err != nil {
			t.Logf("pgtest: drop %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("pgtest: drop %s: %v", name, err)
		}
	})
	return urlOf(cfg, name)
}
