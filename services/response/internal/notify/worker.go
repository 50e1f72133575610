package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/retry"
	"github.com/chuishao/whistle/services/response/internal/store"
)

// Defaults of the Worker's knobs.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultBackoff     = 30 * time.Second
	DefaultMaxBackoff  = time.Hour
	DefaultMaxAttempts = 8
	DefaultRecheck     = time.Second
)

// Worker posts due deliveries. Any number of workers may share a schema: a
// delivery is claimed with FOR UPDATE SKIP LOCKED and held while it is posted.
type Worker struct {
	Pool  *pgxpool.Pool
	Clock clock.Clock
	Log   *slog.Logger
	// Egress is where deliveries may go (the zero value: public addresses only).
	Egress Egress
	client *http.Client
	// Timeout bounds one attempt (real time: it guards against a stuck receiver).
	Timeout time.Duration
	// Backoff is the wait after the first failure; it doubles with each
	// further failure, up to MaxBackoff.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// MaxAttempts failures make a delivery a dead letter.
	MaxAttempts int
	// Recheck is how often, in real time, the worker looks again although no
	// writer of its process woke it and no retry fell due: it covers the
	// deliveries other processes queue and a clock that another process moved.
	// Deadlines themselves are waited for on the clock.
	Recheck time.Duration
}

func (w *Worker) defaults() {
	if w.Timeout <= 0 {
		w.Timeout = DefaultTimeout
	}
	w.client = w.Egress.Client(w.Timeout)
	if w.Backoff <= 0 {
		w.Backoff = DefaultBackoff
	}
	if w.MaxBackoff <= 0 {
		w.MaxBackoff = DefaultMaxBackoff
	}
	if w.MaxAttempts <= 0 {
		w.MaxAttempts = DefaultMaxAttempts
	}
	if w.Recheck <= 0 {
		w.Recheck = DefaultRecheck
	}
}

// Run delivers until ctx is cancelled, reconnecting with backoff after a
// database failure (the deliveries wait in their table meanwhile).
func (w *Worker) Run(ctx context.Context) error {
	w.defaults()
	queued, stop := postgres.Wakeups(w.Pool, store.WebhooksTopic)
	defer stop()
	return retry.Forever(ctx, w.Log, "webhook worker", func(ctx context.Context) error {
		return w.deliverAndWait(ctx, queued)
	})
}

// deliverAndWait posts what is due, then sleeps until the next retry falls
// due, a transaction of this process queues a delivery (queued), or Recheck
// passes (another process's deliveries).
func (w *Worker) deliverAndWait(ctx context.Context, queued <-chan struct{}) error {
	conn, err := w.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	defer conn.Release()
	var wake wakeup
	recheck := time.NewTimer(w.Recheck)
	defer recheck.Stop()
	for {
		for {
			sent, err := w.deliverOne(ctx, conn.Conn())
			if err != nil {
				return err
			}
			if !sent {
				break
			}
		}
		if err := w.nextWake(ctx, conn.Conn(), &wake); err != nil {
			return err
		}
		recheck.Reset(w.Recheck)
		select {
		case <-wake.c:
			wake = wakeup{}
		case <-queued:
		case <-recheck.C:
		case <-ctx.Done():
			return nil
		}
	}
}

// lockRetry is how soon to look again at a due delivery another worker holds.
const lockRetry = 50 * time.Millisecond

// wakeup is a wait on the clock for the retry due at at.
type wakeup struct {
	at time.Time
	c  <-chan time.Time
}

// nextWake sets wake to fire when the next retry falls due on the clock, or
// never when none is pending. A wait for the same time is kept rather than
// started again, so rechecks do not pile up timers.
func (w *Worker) nextWake(ctx context.Context, conn *pgx.Conn, wake *wakeup) error {
	next, err := store.New(conn).NextWebhookDeliveryDue(ctx)
	if errors.Is(err, pgx.ErrNoRows) {
		*wake = wakeup{}
		return nil
	}
	if err != nil {
		return fmt.Errorf("next webhook delivery due: %w", err)
	}
	if wake.c != nil && wake.at.Equal(next) {
		return nil
	}
	wait := next.Sub(w.Clock.Now())
	if wait <= 0 {
		// Due but not claimed: another worker holds it while posting. Look
		// again shortly in real time (a lock, not a deadline) rather than spin.
		*wake = wakeup{at: next, c: time.After(lockRetry)}
		return nil
	}
	*wake = wakeup{at: next, c: w.Clock.After(wait)}
	return nil
}

// deliverOne claims one due delivery, posts it and records the outcome in the
// claiming transaction. It reports whether there was one.
func (w *Worker) deliverOne(ctx context.Context, conn *pgx.Conn) (bool, error) {
	sent := false
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		q := store.New(tx)
		d, err := q.ClaimDueWebhookDelivery(ctx, w.Clock.Now())
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("claim webhook delivery: %w", err)
		}
		sent = true
		if d.EventName == DigestEvent && len(d.Body) == 0 {
			if d.Body, err = seal(ctx, tx, d.ID); err != nil {
				return err
			}
		}
		at := w.Clock.Now()
		code, postErr := w.post(ctx, d, at)
		attempt := d.Attempts + 1
		errText := outcome(code, postErr)
		if err := q.AddWebhookAttempt(ctx, store.AddWebhookAttemptParams{
			DeliveryID: d.ID, Attempt: attempt, AttemptedAt: at, StatusCode: int32(code), Error: errText,
		}); err != nil {
			return fmt.Errorf("log attempt %d of delivery %s: %w", attempt, d.ID, err)
		}
		fin := store.FinishWebhookAttemptParams{
			ID: d.ID, Attempts: attempt, NextAttemptAt: at, LastStatusCode: int32(code), LastError: errText, AttemptedAt: at,
		}
		switch {
		case postErr == nil:
			fin.Status = "delivered"
		case int(attempt) >= w.MaxAttempts:
			fin.Status = "dead"
			w.Log.Warn("webhook dead-lettered", "delivery", d.ID, "event", d.EventID, "url", d.Url, "attempts", attempt, "err", postErr)
		default:
			w.Log.Info("webhook attempt failed", "delivery", d.ID, "url", d.Url, "attempt", attempt, "err", postErr)
			fin.Status = "pending"
			fin.NextAttemptAt = at.Add(w.backoff(int(attempt)))
		}
		if err := q.FinishWebhookAttempt(ctx, fin); err != nil {
			return fmt.Errorf("record attempt %d of delivery %s: %w", attempt, d.ID, err)
		}
		return nil
	})
	return sent, err
}

// backoff is the wait after the n-th failed attempt: Backoff, doubling, capped.
func (w *Worker) backoff(n int) time.Duration {
	d := w.Backoff
	for i := 1; i < n && d < w.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, w.MaxBackoff)
}

// post sends one attempt and returns the receiver's status code (0 when none
// came) and an error unless it was 2xx (a redirect is not followed).
func (w *Worker) post(ctx context.Context, d store.ClaimDueWebhookDeliveryRow, at time.Time) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Url, bytes.NewReader(d.Body))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	ts := at.Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderEvent, d.EventName)
	req.Header.Set(HeaderDelivery, d.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(d.Secret, ts, d.Body))
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("post to %s: %w", d.Url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("post to %s: status %d", d.Url, resp.StatusCode)
	}
	return resp.StatusCode, nil
}
