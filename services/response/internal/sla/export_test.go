package sla

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// FireDue fires every step due at the poller's clock, as its loop does.
func (p *Poller) FireDue(ctx context.Context, conn *pgx.Conn) error { return p.fireDue(ctx, conn) }
