package ctl

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/postgres"
)

// outboxCmd is whistlectl outbox: the events a service's outbox relay could
// never publish (too large for NATS, a bad subject or headers), listed and
// replayed. Unlike the other commands it talks to the service's Postgres
// schema, not to the gateway: dead letters are raw events (with residents'
// words in them) that only operators with database access handle.
func outboxCmd(e *env) *cobra.Command {
	var service, dbURL string
	cmd := &cobra.Command{
		Use:   "outbox",
		Short: "Operators: a service's outbox dead letters (events that could never be published); list and replay",
		Long: "Talks to Postgres (--database-url or DATABASE_URL), in the schema of --service.\n" +
			"A dead letter is an event the service's relay could never publish; the relay moved it aside\n" +
			"so the events behind it went on (docs/operations.md, \"Outbox dead letters\").",
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&service, "service", "", "the service (intake, routing, response, feedback)")
	pf.StringVar(&dbURL, "database-url", "", "Postgres URL (env DATABASE_URL)")
	connect := func(cmd *cobra.Command) (*pgxpool.Pool, error) {
		if service == "" {
			return nil, errors.New("--service is required")
		}
		url := firstOf(dbURL, e.getenv("DATABASE_URL"))
		if url == "" {
			return nil, errors.New("no database: pass --database-url or set DATABASE_URL")
		}
		return postgres.Connect(cmd.Context(), url, service)
	}

	var limit int32
	list := &cobra.Command{
		Use:   "dead-letters",
		Short: "List a service's dead letters, the most recent failure first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pool, err := connect(cmd)
			if err != nil {
				return err
			}
			defer pool.Close()
			dead, err := outbox.ListDeadLetters(cmd.Context(), pool, limit)
			if err != nil {
				return err
			}
			return e.emitValue(dead, func() error {
				t := newTable(e.out, "EVENT ID", "SUBJECT", "BYTES", "ERROR", "FAILED")
				for _, d := range dead {
					t.row(d.EventID, d.Subject, strconv.Itoa(d.Size), truncate(d.Error, 60), d.FailedAt.Local().Format(TimeLayout))
				}
				return t.flush()
			})
		},
	}
	list.Flags().Int32Var(&limit, "limit", 100, "at most this many")

	replay := &cobra.Command{
		Use:   "replay EVENT_ID",
		Short: "Move a dead letter back into the outbox under its event id (after fixing the cause)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pool, err := connect(cmd)
			if err != nil {
				return err
			}
			defer pool.Close()
			if err := outbox.ReplayDeadLetter(cmd.Context(), pool, args[0]); err != nil {
				return err
			}
			return e.emitValue(map[string]string{"replayed": args[0]}, func() error {
				_, err := fmt.Fprintln(e.out, "back in the outbox:", args[0])
				return err
			})
		},
	}
	cmd.AddCommand(list, replay)
	return cmd
}
