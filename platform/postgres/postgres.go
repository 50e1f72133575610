// Package postgres connects to PostgreSQL with pgx and migrates a service's schema.
// Every service owns one schema; its pool's search_path points there, so the
// service's SQL names its tables unqualified and cannot reach another's by accident.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"runtime"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

var schemaName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// Connect opens a pool whose search_path is schema. Its transactions can wake
// the service's loops after they commit (WakeAfterCommit, Wakeups).
func Connect(ctx context.Context, url, schema string) (*pgxpool.Pool, error) {
	if !schemaName.MatchString(schema) {
		return nil, fmt.Errorf("invalid schema name %q", schema)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = defaultPoolConns()
	}
	newCommitter().install(cfg) // the pool's tracer: wake-ups after commit, statement counts
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres at %s: %w", redact(cfg), err)
	}
	return pool, nil
}

// defaultPoolConns is a service pool's size unless DATABASE_URL sets
// pool_max_conns. pgx's own default, max(4, CPUs), is too small here: a
// service keeps up to three connections for its long-lived loops (outbox
// relay, SLA poller, webhook worker), and what is left must serve requests and
// the consumers' batches (which may hold half the pool), so on 2 cores a
// batch could wait out its timeout for a connection.
func defaultPoolConns() int32 {
	return int32(max(10, 2*runtime.NumCPU()))
}

func redact(cfg *pgxpool.Config) string {
	return fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
}

// EnsureDatabase creates the database named in url if it does not exist,
// connecting to the server's "postgres" database to do so.
func EnsureDatabase(ctx context.Context, url string) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	name := cfg.Database
	admin := cfg.Copy()
	admin.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to postgres at %s:%d: %w", cfg.Host, cfg.Port, err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // created concurrently
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// Migrations is a named set of numbered SQL files (0001_init.sql, ...), applied
// in file-name order. Files are never edited once landed: a change is a new file.
type Migrations struct {
	// Name keeps sets apart in the schema's history (platform, intake, ...).
	Name string
	FS   fs.FS
}

// Migrate creates schema if needed and applies every set's files not applied yet,
// each in its own transaction, under an advisory lock so replicas may start together.
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema string, sets ...Migrations) error {
	if !schemaName.MatchString(schema) {
		return fmt.Errorf("invalid schema name %q", schema)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", schema, err)
	}
	defer conn.Release()
	lockKey := "whistle.migrate." + schema
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtext($1))", lockKey); err != nil {
		return fmt.Errorf("migrate %s: lock: %w", schema, err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtext($1))", lockKey)
	}()

	ident := pgx.Identifier{schema}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+ident); err != nil {
		return fmt.Errorf("migrate %s: create schema: %w", schema, err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+ident+`.schema_migrations (
		set_name text NOT NULL, version text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),
		PRIMARY KEY (set_name, version))`); err != nil {
		return fmt.Errorf("migrate %s: history table: %w", schema, err)
	}
	for _, set := range sets {
		if err := applySet(ctx, conn.Conn(), ident, set); err != nil {
			return fmt.Errorf("migrate %s: %w", schema, err)
		}
	}
	return nil
}

func applySet(ctx context.Context, conn *pgx.Conn, ident string, set Migrations) error {
	files, err := fs.Glob(set.FS, "*.sql")
	if err != nil {
		return fmt.Errorf("list %s migrations: %w", set.Name, err)
	}
	sort.Strings(files)
	for _, file := range files {
		version := strings.TrimSuffix(file, ".sql")
		var done bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+ident+".schema_migrations WHERE set_name = $1 AND version = $2)",
			set.Name, version).Scan(&done); err != nil {
			return fmt.Errorf("check %s/%s: %w", set.Name, version, err)
		}
		if done {
			continue
		}
		body, err := fs.ReadFile(set.FS, file)
		if err != nil {
			return fmt.Errorf("read %s/%s: %w", set.Name, file, err)
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SET LOCAL search_path TO "+ident); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO "+ident+".schema_migrations (set_name, version) VALUES ($1, $2)", set.Name, version)
			return err
		})
		if err != nil {
			return fmt.Errorf("apply %s/%s: %w", set.Name, file, err)
		}
	}
	return nil
}
