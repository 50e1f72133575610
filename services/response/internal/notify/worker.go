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
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/worker"
	"github.com/chuishao/whistle/services/response/internal/channels"
	"github.com/chuishao/whistle/services/response/internal/dutystore"
	"github.com/chuishao/whistle/services/response/internal/store"
)

// Defaults of the Worker's knobs.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultBackoff     = 30 * time.Second
	DefaultMaxBackoff  = time.Hour
	DefaultMaxAttempts = 8
	DefaultRecheck     = time.Second
	DefaultConcurrency = 8
	DefaultPerEndpoint = 2
	// leaseMargin is how much longer than one attempt's timeout a lease lasts.
	leaseMargin = 30 * time.Second
)

// Worker posts due deliveries with a bounded pool of posters, outside any
// database transaction: a delivery is claimed (leased) in a short
// transaction, posted, and its outcome recorded in another. At most
// PerEndpoint posts go to one endpoint at a time, so an endpoint that hangs
// holds that many posters and no more: the others serve other endpoints. Any
// number of workers (replicas) may share a schema; a lease that runs out (its
// worker crashed) frees the delivery for another.
type Worker struct {
	Pool  *pgxpool.Pool
	Clock clock.Clock
	Log   *slog.Logger
	// Egress is where deliveries may go (the zero value: public addresses only).
	Egress Egress
	client *http.Client
	// Channels sends the deliveries of channel endpoints (SMS, robots,
	// e-mail); its Client is set to the worker's egress-checked client.
	Channels channels.Sender
	// Timeout bounds one attempt (real time: it guards against a stuck receiver).
	Timeout time.Duration
	// Backoff is the wait after the first failure; it doubles with each
	// further failure, up to MaxBackoff.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// MaxAttempts failures make a delivery a dead letter.
	MaxAttempts int
	// Concurrency is how many posts run at once (default DefaultConcurrency).
	Concurrency int
	// PerEndpoint is how many of them may go to one endpoint (default DefaultPerEndpoint).
	PerEndpoint int
	// Lease is how long a claimed delivery stays this worker's, in real time
	// (default Timeout + 30 s): after a crash it is posted again by another.
	Lease time.Duration
	// Recheck is how often, in real time, the worker looks again although no
	// writer of its process woke it and no retry fell due: it covers the
	// deliveries other processes queue, leases that ran out and a clock that
	// another process moved. Deadlines themselves are waited for on the clock.
	Recheck time.Duration
}

func (w *Worker) defaults() {
	if w.Timeout <= 0 {
		w.Timeout = DefaultTimeout
	}
	w.client = w.Egress.Client(w.Timeout)
	w.Channels.Client = w.client
	if w.Channels.SMTP.Timeout <= 0 {
		w.Channels.SMTP.Timeout = w.Timeout
	}
	if w.Backoff <= 0 {
		w.Backoff = DefaultBackoff
	}
	if w.MaxBackoff <= 0 {
		w.MaxBackoff = DefaultMaxBackoff
	}
	if w.MaxAttempts <= 0 {
		w.MaxAttempts = DefaultMaxAttempts
	}
	if w.Concurrency <= 0 {
		w.Concurrency = DefaultConcurrency
	}
	if w.PerEndpoint <= 0 {
		w.PerEndpoint = DefaultPerEndpoint
	}
	if w.Lease <= 0 {
		w.Lease = w.Timeout + leaseMargin
	}
	if w.Recheck <= 0 {
		w.Recheck = DefaultRecheck
	}
}

// Run delivers until ctx is cancelled, starting again with backoff after a
// database failure (the deliveries wait in their table meanwhile).
func (w *Worker) Run(ctx context.Context) error {
	w.defaults()
	loop := worker.Loop{Name: "webhook worker", Log: w.Log, Clock: w.Clock, Pool: w.Pool, Topic: store.WebhooksTopic}
	return loop.Run(ctx, w.dispatch)
}

// claimed is a leased delivery on its way to a poster.
type claimed struct {
	dutystore.ClaimWebhookDeliveryRow
	lease string
}

// dispatch hands due deliveries to posters while one is free and the
// delivery's endpoint is under its limit, then sleeps until a post ends, the
// next retry falls due, a transaction of this process queues a delivery
// (wait's signal), or Recheck passes. It returns once its posts have ended.
func (w *Worker) dispatch(ctx context.Context, wait *worker.Wait) error {
	var posts sync.WaitGroup
	defer posts.Wait()
	done := make(chan int64, w.Concurrency) // the endpoint of an ended post; never blocks
	busy := map[int64]int{}                 // posts under way per endpoint
	running := 0
	var wake <-chan time.Time // the next retry falling due; nil when none is pending
	recheck := time.NewTimer(w.Recheck)
	defer recheck.Stop()
	for {
		for running < w.Concurrency {
			d, ok, err := w.claim(ctx, w.full(busy))
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			running++
			busy[d.EndpointID]++
			posts.Add(1)
			go func() {
				defer posts.Done()
				w.attempt(ctx, d)
				done <- d.EndpointID
			}()
		}
		if running < w.Concurrency {
			var err error
			if wake, err = w.nextWake(ctx, w.full(busy), wait); err != nil {
				return err
			}
		}
		recheck.Reset(w.Recheck)
		select {
		case ep := <-done:
			running--
			if busy[ep]--; busy[ep] == 0 {
				delete(busy, ep)
			}
		case <-wake:
			wait.Forget()
		case <-wait.Signal():
		case <-recheck.C:
		case <-ctx.Done():
			return nil
		}
	}
}

// full lists the endpoints that have PerEndpoint posts under way (never nil:
// the queries compare with = ANY).
func (w *Worker) full(busy map[int64]int) []int64 {
	out := []int64{}
	for ep, n := range busy {
		if n >= w.PerEndpoint {
			out = append(out, ep)
		}
	}
	return out
}

// lockRetry is how soon to look again at a due delivery another worker is claiming.
const lockRetry = 50 * time.Millisecond

// nextWake is the wait for the next unleased delivery outside busy to fall
// due on the clock, or nil when none is pending. Waiting for the same time
// keeps the same wait (wait.Until), so rechecks do not pile up timers.
func (w *Worker) nextWake(ctx context.Context, busy []int64, wait *worker.Wait) (<-chan time.Time, error) {
	next, err := dutystore.New(w.Pool).NextWebhookDeliveryDue(ctx, busy)
	if errors.Is(err, pgx.ErrNoRows) {
		wait.Forget()
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("next webhook delivery due: %w", err)
	}
	if !next.After(w.Clock.Now()) {
		// Due but not claimed: another worker is claiming it. Look again
		// shortly in real time (a lock, not a deadline) rather than spin.
		wait.Forget()
		return time.After(lockRetry), nil
	}
	return wait.Until(next), nil
}

// claim leases the oldest due delivery outside busy, in a short transaction
// that also writes a digest's body when it is first sent. It reports whether
// there was one.
func (w *Worker) claim(ctx context.Context, busy []int64) (claimed, bool, error) {
	d := claimed{lease: uuid.NewString()}
	found := false
	err := postgres.InTx(ctx, w.Pool, func(tx pgx.Tx) error {
		row, err := dutystore.New(tx).ClaimWebhookDelivery(ctx, dutystore.ClaimWebhookDeliveryParams{
			LeaseToken: d.lease, LeaseSeconds: w.Lease.Seconds(), Now: w.Clock.Now(), Busy: busy,
		})
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("claim webhook delivery: %w", err)
		}
		if row.Digest && len(row.Body) == 0 {
			if row.Body, err = seal(ctx, tx, row.ID); err != nil {
				return err
			}
		}
		d.ClaimWebhookDeliveryRow, found = row, true
		return nil
	})
	return d, found, err
}

// errLeaseLost rolls back the record of an attempt whose lease ran out.
var errLeaseLost = errors.New("lease ran out")

// attempt posts d once and records the outcome. Failures to record are
// logged: the lease then runs out and the delivery is posted again, with the
// same webhook-id.
func (w *Worker) attempt(ctx context.Context, d claimed) {
	at := w.Clock.Now()
	var (
		sig, target string
		code        int
		permanent   bool
		err         error
	)
	if d.Kind == KindWebhook {
		sig, err = Sign(d.ID, at, d.Body, signingSecrets(d.Secret, d.PreviousSecret, d.PreviousSecretExpiresAt, at)...)
		if err == nil {
			code, err = w.post(ctx, d, at, sig)
		}
	} else {
		code, target, permanent, err = w.sendChannel(ctx, d, at)
	}
	if ctx.Err() != nil {
		return // shutting down: the lease runs out and the delivery is posted again
	}
	attempt := d.Attempts + 1
	errText := outcome(code, err)
	if d.Kind != KindWebhook && err != nil && code != 0 {
		// A provider's or robot's own refusal (its error code, contacts
		// masked): the operator's configured service, not a probed URL.
		errText = err.Error()
	}
	fin := dutystore.FinishWebhookAttemptParams{
		ID: d.ID, LeaseToken: d.lease, Attempts: attempt, NextAttemptAt: at, LastStatusCode: int32(code), LastError: errText, AttemptedAt: at,
	}
	where := d.Url
	if d.Kind != KindWebhook {
		where = target // a robot's URL carries its key
	}
	switch {
	case err == nil:
		fin.Status = "delivered"
	case int(attempt) >= w.MaxAttempts, permanent:
		fin.Status = "dead"
		w.Log.Warn("webhook dead-lettered", "delivery", d.ID, "event", d.EventID, "url", where, "attempts", attempt, "err", err)
	default:
		w.Log.Info("webhook attempt failed", "delivery", d.ID, "url", where, "attempt", attempt, "err", err)
		fin.Status = "pending"
		fin.NextAttemptAt = at.Add(w.backoff(int(attempt)))
	}
	rerr := postgres.InTx(ctx, w.Pool, func(tx pgx.Tx) error {
		q := dutystore.New(tx)
		n, err := q.FinishWebhookAttempt(ctx, fin)
		if err != nil {
			return fmt.Errorf("record attempt %d of delivery %s: %w", attempt, d.ID, err)
		}
		if n == 0 {
			return errLeaseLost
		}
		return q.AddWebhookAttempt(ctx, dutystore.AddWebhookAttemptParams{
			DeliveryID: d.ID, Attempt: attempt, AttemptedAt: at, StatusCode: int32(code), Error: errText,
			WebhookTimestamp: at.Unix(), Signature: sig, Target: target,
		})
	})
	if rerr != nil {
		w.Log.Warn("webhook attempt not recorded; it will be posted again", "delivery", d.ID, "err", rerr)
	}
}

// backoff is the wait after the n-th failed attempt: Backoff, doubling, capped.
func (w *Worker) backoff(n int) time.Duration {
	d := w.Backoff
	for i := 1; i < n && d < w.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, w.MaxBackoff)
}

// post sends one attempt signed sig at at and returns the receiver's status
// code (0 when none came) and an error unless it was 2xx (a redirect is not
// followed).
func (w *Worker) post(ctx context.Context, d claimed, at time.Time, sig string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, w.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Url, bytes.NewReader(d.Body))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderID, d.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(at.Unix(), 10))
	req.Header.Set(HeaderSignature, sig)
	req.Header.Set(HeaderEvent, d.EventName)
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
