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
	"slices"
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
	// Every statement is planned with its parameters. pgx prepares each
	// statement once per connection, and Postgres may then keep a generic plan
	// chosen while the tables were still empty (a service's first minutes): a
	// sequential scan that stays after the table has grown to millions of rows.
	// The statements are few and set-based, so planning each one costs little.
	cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
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
	// Name keeps sets apart in the schema's history (the platform's, the service's).
	Name string
	FS   fs.FS
	// Then, when set, runs after the set's files on every Migrate, as the
	// schema's owner in its own transaction (search_path = the schema): a
	// step that needs the owner's rights and the service's configuration.
	Then func(ctx context.Context, tx pgx.Tx) error
	// Extensions are created (IF NOT EXISTS, in the schema) by the migrating
	// admin before the set's files: the owner role lacks the CREATE right on
	// the database that even a trusted extension such as pg_trgm needs, and
	// is not given it, since it would let the owner create schemas too.
	Extensions []string
}

// Migrate prepares schema's roles (EnsureServiceRoles, without a password)
// and applies every set's files not applied yet as the schema's owner role,
// each in its own transaction, under an advisory lock so replicas may start
// together. That takes the database admin; connected as the service's own
// role (RuntimeRole), which may not change the schema, it only checks that
// nothing is pending (CheckMigrated).
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema string, sets ...Migrations) error {
	if !schemaName.MatchString(schema) {
		return fmt.Errorf("invalid schema name %q", schema)
	}
	runtime, err := IsRuntimeRole(ctx, pool, schema)
	if err != nil {
		return err
	}
	if runtime {
		return CheckMigrated(ctx, pool, schema, sets...)
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
	if err := ensureRoles(ctx, conn.Conn(), schema, ""); err != nil {
		return fmt.Errorf("migrate %s: %w", schema, err)
	}
	s := ident(schema)
	err = asOwner(ctx, conn.Conn(), schema, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+s+`.schema_migrations (
			set_name text NOT NULL, version text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),
			PRIMARY KEY (set_name, version))`); err != nil {
			return err
		}
		// The service reads its history (CheckMigrated) but does not write it.
		_, err := tx.Exec(ctx, "REVOKE INSERT, UPDATE, DELETE ON "+s+".schema_migrations FROM "+ident(RuntimeRole(schema)))
		return err
	})
	if err != nil {
		return fmt.Errorf("migrate %s: history table: %w", schema, err)
	}
	for _, set := range sets {
		for _, ext := range set.Extensions {
			if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS "+ident(ext)+" WITH SCHEMA "+s); err != nil {
				return fmt.Errorf("migrate %s: extension %s: %w", schema, ext, err)
			}
		}
		if err := applySet(ctx, conn.Conn(), schema, set); err != nil {
			return fmt.Errorf("migrate %s: %w", schema, err)
		}
		if set.Then == nil {
			continue
		}
		if err := asOwner(ctx, conn.Conn(), schema, set.Then); err != nil {
			return fmt.Errorf("migrate %s: after %s: %w", schema, set.Name, err)
		}
	}
	return nil
}

// CheckMigrated fails, naming them, when files of sets are not applied to
// schema yet: what a service running as its own role does instead of
// migrating.
func CheckMigrated(ctx context.Context, pool *pgxpool.Pool, schema string, sets ...Migrations) error {
	if !schemaName.MatchString(schema) {
		return fmt.Errorf("invalid schema name %q", schema)
	}
	var pending []string
	for _, set := range sets {
		files, err := fs.Glob(set.FS, "*.sql")
		if err != nil {
			return fmt.Errorf("list %s migrations: %w", set.Name, err)
		}
		var applied []string
		err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, "SELECT version FROM "+ident(schema)+".schema_migrations"+" WHERE set_name = $1", set.Name)
			if err != nil {
				return err
			}
			applied, err = pgx.CollectRows(rows, pgx.RowTo[string])
			return err
		})
		var pgErr *pgconn.PgError
		if err != nil && !(errors.As(err, &pgErr) && (pgErr.Code == "42P01" || pgErr.Code == "3F000" || pgErr.Code == "42501")) {
			return fmt.Errorf("check migrations of %s: %w", schema, err)
		}
		for _, file := range files {
			if version := strings.TrimSuffix(file, ".sql"); !slices.Contains(applied, version) {
				pending = append(pending, set.Name+"/"+version)
			}
		}
	}
	if len(pending) > 0 {
		return fmt.Errorf("schema %s is not migrated (%s pending): run the migration as the database admin first "+
			"(the service with WHISTLE_MIGRATE_ONLY=true and the admin's DATABASE_URL; docs/operations.md)", schema, strings.Join(pending, ", "))
	}
	return nil
}

// IsRuntimeRole tells whether pool connects as schema's runtime role.
func IsRuntimeRole(ctx context.Context, pool *pgxpool.Pool, schema string) (bool, error) {
	var user string
	if err := pool.QueryRow(ctx, "SELECT current_user").Scan(&user); err != nil {
		return false, fmt.Errorf("who am i: %w", err)
	}
	return user == RuntimeRole(schema), nil
}

// asOwner runs fn in a transaction as schema's owner role, with search_path
// the schema.
func asOwner(ctx context.Context, conn *pgx.Conn, schema string, fn func(context.Context, pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL ROLE "+ident(OwnerRole(schema))); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "SET LOCAL search_path TO "+ident(schema)); err != nil {
			return err
		}
		return fn(ctx, tx)
	})
}

func applySet(ctx context.Context, conn *pgx.Conn, schema string, set Migrations) error {
	s := ident(schema)
	files, err := fs.Glob(set.FS, "*.sql")
	if err != nil {
		return fmt.Errorf("list %s migrations: %w", set.Name, err)
	}
	sort.Strings(files)
	for _, file := range files {
		version := strings.TrimSuffix(file, ".sql")
		var done bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+s+".schema_migrations WHERE set_name = $1 AND version = $2)",
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
		err = asOwner(ctx, conn, schema, func(ctx context.Context, tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO "+s+".schema_migrations (set_name, version) VALUES ($1, $2)", set.Name, version)
			return err
		})
		if err != nil {
			return fmt.Errorf("apply %s/%s: %w", set.Name, file, err)
		}
	}
	return nil
}
