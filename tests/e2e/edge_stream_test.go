package e2e_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
)

// sseEvent is one Server-Sent Event as a client receives it.
type sseEvent struct {
	id, name string
	data     map[string]any
}

// sseClient reads GET /v1/stream in the background.
type sseClient struct {
	events chan sseEvent
	cancel context.CancelFunc
	ready  sseEvent
}

// openStream connects as token, resuming after lastID when it is not empty,
// and returns once the stream's ready event arrived (the subscription is live).
func openStream(t *testing.T, s *system, token, lastID string) *sseClient {
	t.Helper()
	return openStreamWith(t, s, http.DefaultClient, token, lastID)
}

// openStreamWith is openStream through client (a browser's, with its
// session cookie, when token is empty).
func openStreamWith(t *testing.T, s *system, client *http.Client, token, lastID string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/v1/stream", nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream"))
	c := &sseClient{events: make(chan sseEvent, 256), cancel: cancel}
	go func() {
		defer resp.Body.Close()
		defer close(c.events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		var data strings.Builder
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					_ = json.Unmarshal([]byte(data.String()), &ev.data)
					select {
					case c.events <- ev:
					case <-ctx.Done():
						return
					}
				}
				ev, data = sseEvent{}, strings.Builder{}
			case strings.HasPrefix(line, "id: "):
				ev.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data.WriteString(strings.TrimPrefix(line, "data: "))
			}
		}
	}()
	c.ready = c.next(t, 10*time.Second)
	require.Equal(t, "stream.ready", c.ready.name)
	return c
}

// next is the next event, failing the test when none arrives within d.
func (c *sseClient) next(t *testing.T, d time.Duration) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-c.events:
		require.True(t, ok, "the stream closed")
		return ev
	case <-time.After(d):
		t.Fatalf("no event within %v", d)
		return sseEvent{}
	}
}

// until reads events until one satisfies match, returning all read so far.
func (c *sseClient) until(t *testing.T, d time.Duration, match func(sseEvent) bool) []sseEvent {
	t.Helper()
	deadline := time.Now().Add(d)
	var seen []sseEvent
	for {
		ev := c.next(t, time.Until(deadline))
		seen = append(seen, ev)
		if match(ev) {
			return seen
		}
	}
}

func (c *sseClient) close() { c.cancel() }

func seq(t *testing.T, ev sseEvent) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(ev.id, 10, 64)
	require.NoError(t, err, "event id %q", ev.id)
	return n
}

func TestStreamStreetSeesAcknowledgementWithinOneSecond(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)
	live := openStream(t, s, streetTok, "")

	id, w := raise(t, s, donghuamen, "joint-enforcement", 3)
	police := str(dispatchOf(t, w, "police")["id"])
	// The raise itself streams, with the envelope as JSON in proto field names.
	raised := live.until(t, 5*time.Second, func(ev sseEvent) bool { return ev.name == "whistle.raised" })
	last := raised[len(raised)-1]
	require.Equal(t, id, last.data["whistle_id"])
	require.Equal(t, donghuamen, last.data["street_id"])

	r := s.do(t, http.MethodPost, "/v1/dispatches/"+police+":acknowledge", deskToken(t, s, dongcheng, "police"), map[string]any{})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	acked := time.Now()
	got := live.until(t, 5*time.Second, func(ev sseEvent) bool {
		return ev.name == "dispatch.acknowledged" && ev.data["dispatch_id"] == police
	})
	require.Less(t, time.Since(acked), time.Second, "the acknowledgement reached the street's stream within 1 s")
	ack := got[len(got)-1]
	require.Equal(t, "ACKNOWLEDGED", obj(obj(ack.data["dispatch_acknowledged"])["dispatch"])["status"])
	for i := 1; i < len(got); i++ {
		require.Greater(t, seq(t, got[i]), seq(t, got[i-1]), "ids are increasing stream sequences")
	}
}

func TestStreamResumesAfterReconnectWithoutGaps(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)
	first := openStream(t, s, streetTok, "")

	_, w := raise(t, s, donghuamen, "joint-enforcement", 3)
	// Read a few events, then drop the connection.
	var before []sseEvent
	for range 3 {
		before = append(before, first.next(t, 5*time.Second))
	}
	first.close()

	// Events keep happening while the street is away.
	desk := map[string]string{}
	for _, dept := range []string{"police", "environment", "urban-management"} {
		desk[dept] = str(dispatchOf(t, w, dept)["id"])
		r := s.do(t, http.MethodPost, "/v1/dispatches/"+desk[dept]+":acknowledge", deskToken(t, s, dongcheng, dept), map[string]any{})
		require.Equal(t, http.StatusOK, r.status, r.raw)
	}
	isLastAck := func(ev sseEvent) bool {
		return ev.name == "dispatch.acknowledged" && ev.data["dispatch_id"] == desk["urban-management"]
	}

	// Reconnecting with Last-Event-ID continues right after the last event received.
	second := openStream(t, s, streetTok, before[len(before)-1].id)
	require.Equal(t, before[len(before)-1].id, second.ready.id)
	after := second.until(t, 10*time.Second, isLastAck)

	// A stream replayed from the very beginning is the reference: the two
	// connections together must be exactly its prefix, nothing missing, nothing twice.
	full := openStream(t, s, streetTok, "0").until(t, 10*time.Second, isLastAck)
	var got, want []string
	for _, ev := range append(before, after...) {
		got = append(got, ev.id+" "+ev.name)
	}
	for _, ev := range full {
		want = append(want, ev.id+" "+ev.name)
	}
	require.Equal(t, want, got)
	require.Equal(t, "whistle.raised", full[0].name)
}

// A desk sees the whistles its department takes part in, every department's
// work on them (the joint board, issue 24), and nothing of the others.
func TestStreamDeskSeesOnlyItsDepartment(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	police := openStream(t, s, deskToken(t, s, dongcheng, "police"), "")
	supervisor := openStream(t, s, s.token(t, authIdentity("supervisor", "", dongcheng, "")), "")

	// garbage goes to urban-management and environment only; noise includes police.
	garbage, gw := raise(t, s, donghuamen, "garbage", 2)
	noise, nw := raise(t, s, donghuamen, "noise", 3)
	for _, w := range []map[string]any{gw, nw} {
		for _, d := range list(w["dispatches"]) {
			d := obj(d)
			tok := deskToken(t, s, dongcheng, str(d["department"]))
			r := s.do(t, http.MethodPost, "/v1/dispatches/"+str(d["id"])+":acknowledge", tok, map[string]any{})
			require.Equal(t, http.StatusOK, r.status, r.raw)
		}
	}
	policeNoise := str(dispatchOf(t, nw, "police")["id"])

	// The supervisor sees the last acknowledgement; by then the desk's stream
	// has had every event it will get from these whistles.
	lastAck := str(dispatchOf(t, nw, "urban-management")["id"])
	supervisor.until(t, 10*time.Second, func(ev sseEvent) bool {
		return ev.name == "dispatch.acknowledged" && ev.data["dispatch_id"] == lastAck
	})
	seen := police.until(t, 10*time.Second, func(ev sseEvent) bool {
		return ev.name == "dispatch.acknowledged" && ev.data["dispatch_id"] == policeNoise
	})
	// Drain whatever else of this scope was already on its way.
	drain := true
	for drain {
		select {
		case ev, ok := <-police.events:
			if !ok {
				drain = false
				break
			}
			seen = append(seen, ev)
		case <-time.After(500 * time.Millisecond):
			drain = false
		}
	}
	var names []string
	others := map[string]bool{}
	for _, ev := range seen {
		names = append(names, ev.name)
		require.NotEqual(t, garbage, ev.data["whistle_id"], "the police desk saw %s of a whistle it has no part in", ev.name)
		require.Equal(t, noise, ev.data["whistle_id"])
		if d := str(ev.data["department"]); strings.HasPrefix(ev.name, "dispatch.") && d != "police" {
			others[d] = true
		}
	}
	require.NotEmpty(t, others, "the other departments' work on its joint whistle (the joint board)")
	require.Contains(t, names, "whistle.routed", "the desk follows the whistles it was dispatched to")
	require.Contains(t, names, "dispatch.created")
}

func TestStreamRejectsMissingAndBadTokens(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	for name, c := range map[string]struct {
		header string
		status int
	}{
		"no token":     {"", http.StatusUnauthorized},
		"forged token": {"Bearer eyJhbGciOiJFZERTQSJ9.e30.c2ln", http.StatusUnauthorized},
		"admin":        {"Bearer " + s.token(t, authIdentity("admin", "", "", "")), http.StatusForbidden},
	} {
		req, err := http.NewRequest(http.MethodGet, s.url+"/v1/stream", nil)
		require.NoError(t, err)
		if c.header != "" {
			req.Header.Set("Authorization", c.header)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, c.status, resp.StatusCode, name)
	}
	// EventSource cannot set headers: the token may come as access_token.
	resp, err := http.Get(s.url + "/v1/stream?access_token=" + streetToken(t, s, donghuamen))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))

	r := s.do(t, http.MethodGet, "/v1/stream", streetToken(t, s, donghuamen), nil, "Last-Event-ID", "yesterday")
	require.Equal(t, http.StatusBadRequest, r.status, r.raw)
	require.Equal(t, "Last-Event-ID", obj(list(obj(r.body["error"])["details"])[0])["field"])
}

func TestStreamWithAnIDFromTheFutureStartsNow(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	live := openStream(t, s, streetToken(t, s, donghuamen), "999999")
	require.NotEqual(t, "999999", live.ready.id, "it starts at the stream's end, not at an id it never reached")
	id, _ := raise(t, s, donghuamen, "garbage", 2)
	got := live.until(t, 5*time.Second, func(ev sseEvent) bool { return ev.name == "whistle.raised" })
	require.Equal(t, id, got[len(got)-1].data["whistle_id"])
}

func TestStreamCarriesSLAEventsToTheirDesk(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	police := openStream(t, s, deskToken(t, s, dongcheng, "police"), "")
	street := openStream(t, s, streetToken(t, s, donghuamen), "")
	id, _ := raise(t, s, donghuamen, "joint-enforcement", 3)

	// Nobody acknowledges: the 5-minute ack clock warns, then breaches, on the fake clock.
	var seen []sseEvent
	// The desk takes part in this joint whistle, so its stream also carries the
	// other departments' work on it (the joint board); it waits for its own breach.
	breached := func() bool {
		for _, ev := range seen {
			if ev.name == "sla.breached" && ev.data["department"] == "police" {
				return true
			}
		}
		return false
	}
	deadline := time.Now().Add(20 * time.Second)
	for !breached() {
		require.True(t, time.Now().Before(deadline), "no sla.breached on the desk's stream; saw %d events", len(seen))
		s.clock.Advance(30 * time.Second)
		select {
		case ev := <-police.events:
			seen = append(seen, ev)
		case <-time.After(50 * time.Millisecond):
		}
	}
	for _, ev := range seen {
		require.Equal(t, id, ev.data["whistle_id"], "%s of another whistle on the police desk's stream", ev.name)
	}
	// The street follows its whistle's breaches too.
	street.until(t, 10*time.Second, func(ev sseEvent) bool { return ev.name == "sla.breached" && ev.data["whistle_id"] == id })
}

// streamStatus opens GET /v1/stream as token and returns the answer's
// status; a stream that opened is closed when the test ends, or by the
// returned func.
func streamStatus(t *testing.T, s *system, token string) (int, http.Header, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/v1/stream", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		cancel()
	}
	return resp.StatusCode, resp.Header, cancel
}

// TestStreamCapsConcurrentStreamsPerCaller: one identity holds at most four
// live streams; a fifth is refused with 429 until one closes, and other
// callers are not affected.
func TestStreamCapsConcurrentStreamsPerCaller(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	tok := streetToken(t, s, donghuamen)
	var open []*sseClient
	for range 4 {
		open = append(open, openStream(t, s, tok, ""))
	}
	code, hdr, _ := streamStatus(t, s, tok)
	require.Equal(t, http.StatusTooManyRequests, code)
	require.NotEmpty(t, hdr.Get("Retry-After"))
	openStream(t, s, streetToken(t, s, "110101002"), "").close()

	open[0].close()
	eventually(t, "a stream slot freed by the closed connection", func() bool {
		code, _, _ := streamStatus(t, s, tok)
		return code == http.StatusOK
	})
}

// TestStreamReplayIsBounded: resuming from the stream's very beginning goes
// back at most WHISTLE_STREAM_MAX_REPLAY positions, and the ready event says
// events were skipped; a client within the bound resumes exactly.
func TestStreamReplayIsBounded(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{streamMaxReplay: 5})
	tok := streetToken(t, s, donghuamen)
	for range 3 {
		raise(t, s, donghuamen, "joint-enforcement", 3)
	}
	// The probe is another identity, so its connections spend none of the street's streams.
	probe := s.token(t, auth.Identity{Role: auth.RoleSupervisor, Subject: "supervisor-city"})
	var last uint64
	eventually(t, "more events than the replay bound", func() bool {
		live := openStream(t, s, probe, "")
		defer live.close()
		last = seq(t, live.ready)
		return last > 10
	})

	full := openStream(t, s, tok, "0")
	require.Equal(t, last-5, seq(t, full.ready), "starts at most five positions back")
	require.Equal(t, true, full.ready.data["gap"])
	ev := full.next(t, 5*time.Second)
	require.Greater(t, seq(t, ev), last-5)
	full.close()

	near := openStream(t, s, tok, strconv.FormatUint(last-2, 10))
	require.Equal(t, last-2, seq(t, near.ready))
	require.Equal(t, false, near.ready.data["gap"])
}
