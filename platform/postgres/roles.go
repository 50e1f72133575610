package postgres

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// OwnerRole is the role that owns a service's schema and everything in it
// (NOLOGIN): migrations run as it. Only the database admin may become it.
func OwnerRole(schema string) string { return "whistle_" + schema + "_owner" }

// RuntimeRole is the login role a service runs as: it may use its own schema
// and read and write the rows of its tables, and nothing else (no DDL, no
// TRUNCATE, no triggers, no other schema).
func RuntimeRole(schema string) string { return "whistle_" + schema }

// EnsureServiceRoles prepares schema's roles, connected as the database admin
// (a superuser, or a role with CREATEROLE that owns or may take over the
// schema): it creates the owner role (NOLOGIN) and the runtime role (LOGIN;
// its password set to password unless that is empty), lets the admin act as
// the owner, gives the schema and everything in it to the owner, and grants
// the runtime role its rights on what is there and on what the owner creates
// later. Roles are cluster-wide, so it tolerates another database's setup
// creating them at the same time. It is idempotent.
func EnsureServiceRoles(ctx context.Context, pool *pgxpool.Pool, schema, password string) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("roles of %s: %w", schema, err)
	}
	defer conn.Release()
	return ensureRoles(ctx, conn.Conn(), schema, password)
}

func ensureRoles(ctx context.Context, conn *pgx.Conn, schema, password string) error {
	if !schemaName.MatchString(schema) {
		return fmt.Errorf("invalid schema name %q", schema)
	}
	owner, runtime := OwnerRole(schema), RuntimeRole(schema)
	err := retryConcurrent(ctx, func() error {
		if err := createRole(ctx, conn, owner, "NOLOGIN"); err != nil {
			return err
		}
		if err := createRole(ctx, conn, runtime, "LOGIN"); err != nil {
			return err
		}
		if password != "" {
			// A password is set even under trust auth, so that configurations
			// behave the same where passwords are checked.
			if _, err := conn.Exec(ctx, "ALTER ROLE "+ident(runtime)+" LOGIN PASSWORD "+literal(password)); err != nil {
				return fmt.Errorf("set password of %s: %w", runtime, err)
			}
		}
		var member bool
		if err := conn.QueryRow(ctx, "SELECT pg_has_role(current_user, $1, 'USAGE')", owner).Scan(&member); err != nil {
			return fmt.Errorf("check membership of %s: %w", owner, err)
		}
		if !member {
			if _, err := conn.Exec(ctx, "GRANT "+ident(owner)+" TO current_user"); err != nil {
				return fmt.Errorf("act as %s: %w", owner, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("roles of %s: %w", schema, err)
	}
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		s := ident(schema)
		stmts := []string{
			"CREATE SCHEMA IF NOT EXISTS " + s + " AUTHORIZATION " + ident(owner),
			"ALTER SCHEMA " + s + " OWNER TO " + ident(owner),
		}
		for _, stmt := range stmts {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("schema %s: %w", schema, err)
			}
		}
		if err := adopt(ctx, tx, schema, owner); err != nil {
			return err
		}
		return grantRuntime(ctx, tx, schema)
	})
}

// adopt gives the owner role what an earlier setup (everything owned by the
// admin) created in schema: tables, views, standalone sequences, functions.
func adopt(ctx context.Context, tx pgx.Tx, schema, owner string) error {
	rows, err := tx.Query(ctx, `
		SELECT CASE WHEN c.relkind IN ('v', 'm') THEN 'VIEW' WHEN c.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
		       format('%I.%I', n.nspname, c.relname)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
		  AND pg_get_userbyid(c.relowner) <> $2
		  AND NOT (c.relkind = 'S' AND EXISTS (
		      SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
		UNION ALL
		SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, p.oid::regprocedure::text
		FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE n.nspname = $1 AND pg_get_userbyid(p.proowner) <> $2`, schema, owner)
	if err != nil {
		return fmt.Errorf("objects of %s: %w", schema, err)
	}
	objects, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var kind, name string
		err := r.Scan(&kind, &name)
		return [2]string{kind, name}, err
	})
	if err != nil {
		return fmt.Errorf("objects of %s: %w", schema, err)
	}
	for _, o := range objects {
		// kind is one of the words above and name is quoted by format/regprocedure.
		if _, err := tx.Exec(ctx, "ALTER "+o[0]+" "+o[1]+" OWNER TO "+ident(owner)); err != nil {
			return fmt.Errorf("give %s to %s: %w", o[1], owner, err)
		}
	}
	return nil
}

// grantRuntime grants the runtime role USAGE on schema and row rights on its
// tables and sequences, now and for whatever the owner creates later.
func grantRuntime(ctx context.Context, tx pgx.Tx, schema string) error {
	s, owner, runtime := ident(schema), ident(OwnerRole(schema)), ident(RuntimeRole(schema))
	var db string
	if err := tx.QueryRow(ctx, "SELECT current_database()").Scan(&db); err != nil {
		return fmt.Errorf("grants on %s: %w", schema, err)
	}
	stmts := []string{
		"GRANT CONNECT ON DATABASE " + ident(db) + " TO " + runtime,
		"GRANT USAGE ON SCHEMA " + s + " TO " + runtime,
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + s + " TO " + runtime,
		"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA " + s + " TO " + runtime,
		"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA " + s + " TO " + runtime,
		"ALTER DEFAULT PRIVILEGES FOR ROLE " + owner + " IN SCHEMA " + s + " GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO " + runtime,
		"ALTER DEFAULT PRIVILEGES FOR ROLE " + owner + " IN SCHEMA " + s + " GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO " + runtime,
		"ALTER DEFAULT PRIVILEGES FOR ROLE " + owner + " IN SCHEMA " + s + " GRANT EXECUTE ON FUNCTIONS TO " + runtime,
	}
	for _, stmt := range stmts {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("grants on %s: %w", schema, err)
		}
	}
	return nil
}

func createRole(ctx context.Context, conn *pgx.Conn, role, login string) error {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", role).Scan(&exists); err != nil {
		return fmt.Errorf("look up role %s: %w", role, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE ROLE "+ident(role)+" "+login); err != nil {
		return fmt.Errorf("create role %s: %w", role, err)
	}
	return nil
}

// retryConcurrent runs fn again when another session changed the same
// cluster-wide catalog rows (roles, memberships) at the same time.
func retryConcurrent(ctx context.Context, fn func() error) error {
	for attempt := 0; ; attempt++ {
		err := fn()
		var pgErr *pgconn.PgError
		concurrent := errors.As(err, &pgErr) && (pgErr.Code == "23505" || pgErr.Code == "42710" ||
			(pgErr.Code == "XX000" && strings.Contains(pgErr.Message, "concurrently")))
		if !concurrent || attempt == 4 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 20 * time.Millisecond):
		}
	}
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// literal quotes s as an SQL string literal (ALTER ROLE takes no parameters).
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// RoleURL is url with its user and password replaced: how a service's own
// DATABASE_URL is made from the admin's.
func RoleURL(url, role, password string) (string, error) {
	u, err := neturl.Parse(url)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("DATABASE_URL is not a postgres:// URL")
	}
	u.User = neturl.UserPassword(role, password)
	return u.String(), nil
}
