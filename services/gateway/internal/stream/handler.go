package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/clock"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	"github.com/chuishao/whistle/services/gateway/internal/apierror"
)

// Path is where the stream is served.
const Path = "/v1/stream"

// ReadyEvent is the first SSE event of every connection. Its id is the
// stream position the connection starts after, so a client that reconnects
// before any real event arrived still resumes without a gap.
const ReadyEvent = "stream.ready"

// heartbeat keeps idle connections (and the proxies in between) open.
const heartbeat = 15 * time.Second

// maxBurst is the most events written between two flushes.
const maxBurst = 64

// maxSeedPages bounds how much of a desk's queue or a street's list is read
// at connect time.
const maxSeedPages = 10

// Defaults of Handler's limits.
const (
	// DefaultMaxPerCaller is how many streams one caller may hold open: a
	// few browser tabs.
	DefaultMaxPerCaller = 4
	// DefaultMaxReplay is how many stream positions a reconnecting client may
	// go back: every position read is a message JetStream scans, in the
	// caller's scope or not.
	DefaultMaxReplay = 10000
)

// Handler serves the stream. It verifies the caller's token itself, because
// no backend sits between it and JetStream.
type Handler struct {
	JS       jetstream.JetStream
	Verifier *auth.Verifier
	// Revoked, when set, gives a channel closed at the next service-account
	// revocation: every open stream then re-checks its token at once.
	Revoked func() <-chan struct{}
	// GrantsChanged, when set, gives a channel closed at the next change of
	// a signed-in person's grant: every open stream re-checks its token.
	GrantsChanged func() <-chan struct{}
	Clock         clock.Clock
	Log           *slog.Logger
	// Dispatches reads a desk's queue to learn its whistles; nil skips that.
	Dispatches responsev1.DispatchServiceClient
	// Whistles reads a street's list to learn the whistles it was informed of
	// as a neighbour; nil skips that.
	Whistles intakev1.IntakeServiceClient
	// Stop ends every open stream when closed (the gateway shutting down);
	// otherwise a graceful shutdown would wait for clients that never leave.
	Stop <-chan struct{}
	// MaxPerCaller caps the streams one token subject holds open at once
	// (DefaultMaxPerCaller when zero); one more is answered 429.
	MaxPerCaller int
	// MaxReplay caps how far back a Last-Event-ID may resume, in stream
	// positions (DefaultMaxReplay when zero). A client further behind
	// starts that far back, and its ready event says "gap": true, so it
	// reloads what it shows instead of trusting the events to be complete.
	MaxReplay uint64

	mu   sync.Mutex
	open map[string]int // streams open per caller
	// encoded decodes and encodes each event once for all connections.
	encoded encodings
}

// hold counts one more stream of caller, or reports false when the caller
// has its share open already. release gives it back.
func (h *Handler) hold(caller string) (release func(), ok bool) {
	limit := h.MaxPerCaller
	if limit <= 0 {
		limit = DefaultMaxPerCaller
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.open[caller] >= limit {
		return nil, false
	}
	if h.open == nil {
		h.open = map[string]int{}
	}
	h.open[caller]++
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.open[caller]--; h.open[caller] <= 0 {
			delete(h.open, caller)
		}
	}, true
}

var jsonOpts = protojson.MarshalOptions{UseProtoNames: true}

// ServeHTTP streams events until the client goes away or the server stops.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		apierror.Write(w, http.StatusMethodNotAllowed, apierror.CodeMethodNotAllowed,
			fmt.Sprintf("method %s is not allowed on %s", r.Method, Path))
		return
	}
	token := bearer(r)
	if token == "" {
		w.Header().Set("WWW-Authenticate", "Bearer")
		apierror.Write(w, http.StatusUnauthorized, "UNAUTHENTICATED",
			"a bearer token is required (Authorization header, or access_token for EventSource)")
		return
	}
	// Watched from before the token is checked, so a revocation while the
	// stream starts still reaches the loop below.
	revoked, regranted := h.revoked(), changed(h.GrantsChanged)
	id, err := h.Verifier.Verify(token, h.Clock.Now())
	if err != nil {
		w.Header().Set("WWW-Authenticate", "Bearer")
		apierror.Write(w, http.StatusUnauthorized, "UNAUTHENTICATED", "invalid token: "+err.Error())
		return
	}
	scope, err := NewScope(id)
	if err != nil {
		apierror.Write(w, http.StatusForbidden, "PERMISSION_DENIED", err.Error())
		return
	}
	after, resume, err := lastEventID(r)
	if err != nil {
		apierror.Write(w, http.StatusBadRequest, "INVALID_ARGUMENT", "malformed Last-Event-ID",
			apierror.Detail{Field: "Last-Event-ID", Reason: err.Error()})
		return
	}
	release, ok := h.hold(id.Role + ":" + id.Subject)
	if !ok {
		w.Header().Set("Retry-After", "30")
		apierror.Write(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED",
			"too many live streams open with this identity; close one (another tab?) and retry")
		return
	}
	defer release()

	ctx := r.Context() // served outside the request timeout: it ends when the client goes
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	_ = rc.SetReadDeadline(time.Time{})

	last, err := h.lastSeq(ctx)
	if err != nil {
		h.Log.WarnContext(ctx, "stream info", "err", err)
		apierror.Write(w, http.StatusServiceUnavailable, "UNAVAILABLE", "the event stream is unavailable; try again shortly")
		return
	}
	if !resume || after > last {
		// A fresh client starts now; so does one whose id this stream never
		// reached (a stream recreated since), rather than wait for it.
		after = last
	}
	maxReplay := h.MaxReplay
	if maxReplay == 0 {
		maxReplay = DefaultMaxReplay
	}
	gap := last-after > maxReplay
	if gap {
		after = last - maxReplay
	}
	h.seed(ctx, token, id.Role, scope)
	cons, err := h.JS.OrderedConsumer(ctx, bus.StreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: scope.Subjects(),
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    after + 1,
	})
	if err != nil {
		h.Log.WarnContext(ctx, "stream consumer", "err", err)
		apierror.Write(w, http.StatusServiceUnavailable, "UNAVAILABLE", "the event stream is unavailable; try again shortly")
		return
	}
	msgs, err := cons.Messages()
	if err != nil {
		h.Log.WarnContext(ctx, "stream messages", "err", err)
		apierror.Write(w, http.StatusServiceUnavailable, "UNAVAILABLE", "the event stream is unavailable; try again shortly")
		return
	}
	defer msgs.Stop()

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no") // nginx would otherwise buffer the stream
	w.WriteHeader(http.StatusOK)
	ready := fmt.Sprintf(`{"role":%q,"after":%d,"gap":%t}`, id.Role, after, gap)
	if _, err := fmt.Fprintf(w, "retry: 2000\nid: %d\nevent: %s\ndata: %s\n\n", after, ReadyEvent, ready); err != nil {
		return
	}
	if rc.Flush() != nil {
		return
	}

	type item struct {
		msg jetstream.Msg
		err error
	}
	// Buffered, so that the events of a burst are waiting when the loop
	// below writes: it writes them all, then flushes once.
	next := make(chan item, maxBurst)
	go func() {
		defer close(next)
		for {
			m, err := msgs.Next()
			select {
			case next <- item{m, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	// Transport keepalive, not domain time: real seconds even in a drill.
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.Stop:
			return
		case <-revoked:
			revoked = h.revoked()
			if !h.stillValid(w, rc, token) {
				return
			}
		case <-regranted:
			regranted = changed(h.GrantsChanged)
			if !h.stillValid(w, rc, token) {
				return
			}
		case <-tick.C:
			if !h.stillValid(w, rc, token) {
				return
			}
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case it, ok := <-next:
			for n := 1; ; n++ {
				if !ok || it.err != nil {
					if ok && !errors.Is(it.err, jetstream.ErrMsgIteratorClosed) {
						h.Log.WarnContext(ctx, "stream ended", "err", it.err)
					}
					return
				}
				if err := h.send(w, it.msg, scope); err != nil {
					return
				}
				if n == maxBurst {
					break
				}
				select {
				case it, ok = <-next:
					continue
				default:
				}
				break
			}
			if rc.Flush() != nil {
				return
			}
		}
	}
}

// revoked is the channel closed at the next revocation (nil: never).
func (h *Handler) revoked() <-chan struct{} { return changed(h.Revoked) }

// changed is the channel f gives, or nil (never) without f.
func changed(f func() <-chan struct{}) <-chan struct{} {
	if f == nil {
		return nil
	}
	return f()
}

// stillValid re-verifies an open stream's token: an expired or revoked one
// ends the stream, as it would end any other call.
func (h *Handler) stillValid(w http.ResponseWriter, rc *http.ResponseController, token string) bool {
	if _, err := h.Verifier.Verify(token, h.Clock.Now()); err != nil {
		_, _ = fmt.Fprint(w, "event: stream.expired\ndata: {}\n\n")
		_ = rc.Flush()
		return false
	}
	return true
}

// send writes one event in SSE framing when scope allows it.
func (h *Handler) send(w http.ResponseWriter, msg jetstream.Msg, scope *Scope) error {
	meta, err := msg.Metadata()
	if err != nil {
		return fmt.Errorf("event metadata: %w", err)
	}
	e, err := h.encoded.get(meta.Sequence.Stream, msg.Data())
	if err != nil {
		h.Log.Warn("undecodable event on the stream", "seq", meta.Sequence.Stream, "err", err)
		return nil
	}
	if !scope.Allows(e.ev) {
		return nil
	}
	data, err := e.json()
	if err != nil {
		h.Log.Warn("unencodable event on the stream", "seq", meta.Sequence.Stream, "err", err)
		return nil
	}
	_, err = fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", meta.Sequence.Stream, e.name, data)
	return err
}

// streamInfo is the last sequence of the stream: a fresh connection starts after it.
func (h *Handler) lastSeq(ctx context.Context) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s, err := h.JS.Stream(ctx, bus.StreamName)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", bus.StreamName, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("stream %s info: %w", bus.StreamName, err)
	}
	return info.State.LastSeq, nil
}

// page is one page of a list read at connect time: the whistles it follows
// and the token of the next page ("" after the last).
type page func(ctx context.Context, pageToken string) (whistleIDs []string, next string, err error)

// seed reads, as the caller, the list that tells which whistles it follows
// beyond its own scope, so their events are shown from the connection on:
// a desk's queue (whistles dispatched to its department before the
// connection), a street's list (whistles it was informed of as a neighbour).
// A failure only narrows the stream, so it is logged, not returned.
func (h *Handler) seed(ctx context.Context, token, role string, scope *Scope) {
	var read page
	switch {
	case role == auth.RoleDesk && h.Dispatches != nil:
		read = func(ctx context.Context, pageToken string) ([]string, string, error) {
			resp, err := h.Dispatches.ListDispatches(ctx, &responsev1.ListDispatchesRequest{PageSize: 100, PageToken: pageToken})
			if err != nil {
				return nil, "", fmt.Errorf("read the desk's queue: %w", err)
			}
			var ids []string
			for _, d := range resp.GetDispatches() {
				ids = append(ids, d.GetWhistleId())
			}
			return ids, resp.GetNextPageToken(), nil
		}
	case role == auth.RoleStreet && h.Whistles != nil:
		read = func(ctx context.Context, pageToken string) ([]string, string, error) {
			resp, err := h.Whistles.ListWhistles(ctx, &intakev1.ListWhistlesRequest{PageSize: 100, PageToken: pageToken})
			if err != nil {
				return nil, "", fmt.Errorf("read the street's list: %w", err)
			}
			var ids []string
			for _, w := range resp.GetWhistles() {
				if w.GetViewerRole() == viewerNeighbour {
					ids = append(ids, w.GetId())
				}
			}
			return ids, resp.GetNextPageToken(), nil
		}
	default:
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	pageToken := ""
	for range maxSeedPages {
		ids, next, err := read(ctx, pageToken)
		if err != nil {
			h.Log.WarnContext(ctx, "seed the stream", "err", err)
			return
		}
		scope.Seed(ids...)
		if pageToken = next; pageToken == "" {
			return
		}
	}
}

// viewerNeighbour is intake's viewer_role of a whistle a street reads as an
// informed neighbour.
const viewerNeighbour = "neighbour"

// bearer is the token of the Authorization header, or of the access_token
// query parameter: a browser's EventSource cannot set headers.
func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	return r.URL.Query().Get("access_token")
}

// lastEventID is the sequence a reconnecting client last received (header
// Last-Event-ID, or last_event_id in the query); resume is false when absent.
func lastEventID(r *http.Request) (seq uint64, resume bool, err error) {
	v := r.Header.Get("Last-Event-ID")
	if v == "" {
		v = r.URL.Query().Get("last_event_id")
	}
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, false, errors.New("must be the id of an event this stream sent (a decimal sequence number)")
	}
	return n, true, nil
}
