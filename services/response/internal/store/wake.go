package store

import (
	"github.com/jackc/pgx/v5"

	"github.com/chuishao/whistle/platform/postgres"
)

// Wake-up topics of response's loops (postgres.Wakeups on the service's pool).
const (
	TimersTopic   = "timers"
	WebhooksTopic = "webhooks"
)

// WakeTimerPollers wakes this process's SLA pollers once tx commits: it adds
// a timer that may fall due before the one they sleep towards.
func WakeTimerPollers(tx pgx.Tx) { postgres.WakeAfterCommit(tx, TimersTopic) }

// WakeWebhookWorkers wakes this process's webhook workers once tx commits: it
// queues a delivery.
func WakeWebhookWorkers(tx pgx.Tx) { postgres.WakeAfterCommit(tx, WebhooksTopic) }
