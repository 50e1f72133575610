package app_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/config"
	"github.com/chuishao/whistle/platform/service"
	"github.com/chuishao/whistle/platform/servicetest"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/feedback/app"
	"github.com/chuishao/whistle/services/feedback/internal/timeline"
)

const (
	dongcheng  = "110101"
	xicheng    = "110102"
	donghuamen = "110101001"
	jingshan   = "110101002"
)

var t0 = time.Date(2026, 5, 11, 9, 0, 0, 123456789, time.FixedZone("CST", 8*3600))

// testTimelineKeys is the service's chain key in these tests.
var testTimelineKeys = timeline.EncodeKey("test", []byte("a chain key of thirty-two bytes!"))

// verifyChain checks served entries with the service's chain key.
func verifyChain(t *testing.T, entries []*feedbackv1.TimelineEntry) (timeline.Break, bool) {
	t.Helper()
	keys, err := timeline.ParseKeys(testTimelineKeys)
	require.NoError(t, err)
	return keys.VerifyChain(entriesOf(t, entries))
}

type harness struct {
	t      *testing.T
	w      *servicetest.World
	clk    *clockwork.FakeClock
	client feedbackv1.FeedbackServiceClient
	// dbURL is the service's database, for tests that tamper with it.
	dbURL string
	// cfg and log are the service's, for tests that start it again.
	cfg app.Config
	log *slog.Logger
}

// start runs the feedback service on its own database and NATS server.
func start(t *testing.T) *harness {
	t.Helper()
	w := servicetest.New(t, t0)
	cfg := app.Config{Base: w.Base(app.Name), TimelineKeys: testTimelineKeys}
	cfg.DatabaseURL = w.Database("feedback", servicetest.MigrationJob(cfg.Base, func(ctx context.Context, b config.Base) error {
		job := cfg
		job.Base = b
		_, err := app.New(ctx, job, w.Deps(app.Name))
		return err
	}))
	deps := w.Deps(app.Name)
	a, _ := servicetest.Start(w, app.Name, func(ctx context.Context, _ service.Deps) (*app.App, error) { return app.New(ctx, cfg, deps) })
	client := feedbackv1.NewFeedbackServiceClient(w.Dial(a.GRPCAddr()))
	return &harness{t: t, w: w, clk: w.Clock, client: client, dbURL: cfg.DatabaseURL, cfg: cfg, log: deps.Log}
}

// publish puts ev on the stream as a producer's outbox relay would, under msgID.
func (h *harness) publish(ev *eventsv1.Event, msgID string) {
	h.t.Helper()
	h.w.PublishWithID(ev, msgID)
}

// as is a context carrying a token for id.
func (h *harness) as(id auth.Identity) context.Context {
	h.t.Helper()
	if id.Subject == "" {
		id.Subject = "user-" + id.Role
	}
	return h.w.As(id)
}

var supervisor = auth.Identity{Role: auth.RoleSupervisor}

// play publishes a whistle's whole lifecycle and waits until its timeline
// holds every event: the events and the timeline's entries.
func (h *harness) play(s scenario) ([]*eventsv1.Event, []*feedbackv1.TimelineEntry) {
	h.t.Helper()
	evs := lifecycle(s)
	for _, ev := range evs {
		h.publish(ev, ev.GetId())
	}
	return evs, h.waitForTimeline(s.whistle, len(evs))
}

// waitForTimeline polls until the whistle's timeline has n entries and returns them.
func (h *harness) waitForTimeline(whistleID string, n int) []*feedbackv1.TimelineEntry {
	h.t.Helper()
	var (
		entries []*feedbackv1.TimelineEntry
		failed  error
	)
	require.Eventually(h.t, func() bool {
		resp, err := h.client.GetTimeline(h.as(supervisor), &feedbackv1.GetTimelineRequest{WhistleId: whistleID})
		switch {
		case status.Code(err) == codes.NotFound: // no event of the whistle handled yet
			return false
		case err != nil:
			failed = err
			return true
		}
		entries = resp.GetEntries()
		return len(entries) >= n
	}, 10*time.Second, 20*time.Millisecond)
	require.NoError(h.t, failed)
	require.Len(h.t, entries, n)
	return entries
}

// scenario builds events for one whistle the way the services would, a minute apart.
type scenario struct {
	clk      *clockwork.FakeClock
	whistle  string
	street   string
	district string
}

func (s scenario) event(actor *typesv1.Actor) *eventsv1.Event {
	s.clk.Advance(time.Minute)
	ev := events.New(s.clk.Now(), actor)
	ev.WhistleId, ev.StreetId, ev.DistrictId = s.whistle, s.street, s.district
	return ev
}

func (s scenario) dispatchEvent(actor *typesv1.Actor, d *responsev1.Dispatch) *eventsv1.Event {
	ev := s.event(actor)
	ev.DispatchId, ev.Department = d.GetId(), d.GetDepartment()
	return ev
}

func system(svc string) *typesv1.Actor { return &typesv1.Actor{Role: "system", Id: svc} }

func dispatch(s scenario, id, department string, st responsev1.Dispatch_Status) *responsev1.Dispatch {
	return &responsev1.Dispatch{
		Id: id, WhistleId: s.whistle, DistrictId: s.district, StreetId: s.street,
		Category: "joint-enforcement", Department: department, Status: st,
		DispatchedAt: timestamppb.New(t0),
	}
}

// lifecycle is a realistic run of one joint-enforcement whistle: raised, routed
// to police and urban management, dispatched, acknowledged, an SLA breach by the
// slower desk, police on site.
func lifecycle(s scenario) []*eventsv1.Event {
	streetUser := &typesv1.Actor{Role: "street", Id: "street-officer-1"}
	policeDesk := &typesv1.Actor{Role: "desk", Id: "police-desk-1"}

	raised := s.event(streetUser)
	raised.Payload = &eventsv1.Event_WhistleRaised{WhistleRaised: &eventsv1.WhistleRaised{Whistle: &intakev1.Whistle{
		Id: s.whistle, StreetId: s.street, DistrictId: s.district, Category: "joint-enforcement",
		Title: "占道经营 & 噪音 <夜市>", Description: "Night market blocks the fire lane",
		Location: &typesv1.LatLng{Lat: 39.9163, Lng: 116.3972}, Urgency: intakev1.Whistle_HIGH,
		Status: intakev1.Whistle_RAISED, RaisedAt: timestamppb.New(s.clk.Now()), RaisedBy: streetUser,
	}}}

	routed := s.event(system("routing"))
	routed.Payload = &eventsv1.Event_WhistleRouted{WhistleRouted: &eventsv1.WhistleRouted{
		Departments: []*eventsv1.RoutedDepartment{
			{Department: "police", Role: "lead", DispatchId: "d-police"},
			{Department: "urban-management", Role: "cooperating", DispatchId: "d-urban"},
		},
		Rule: "category:joint-enforcement", CatalogueVersion: "3",
	}}

	police := dispatch(s, "d-police", "police", responsev1.Dispatch_PENDING)
	urban := dispatch(s, "d-urban", "urban-management", responsev1.Dispatch_PENDING)
	createdPolice := s.dispatchEvent(system("response"), police)
	createdPolice.Payload = &eventsv1.Event_DispatchCreated{DispatchCreated: &eventsv1.DispatchCreated{Dispatch: police}}
	createdUrban := s.dispatchEvent(system("response"), urban)
	createdUrban.Payload = &eventsv1.Event_DispatchCreated{DispatchCreated: &eventsv1.DispatchCreated{Dispatch: urban}}

	acked := dispatch(s, "d-police", "police", responsev1.Dispatch_ACKNOWLEDGED)
	ack := s.dispatchEvent(policeDesk, acked)
	ack.Payload = &eventsv1.Event_DispatchAcknowledged{DispatchAcknowledged: &eventsv1.DispatchAcknowledged{Dispatch: acked}}

	responding := s.event(system("intake"))
	responding.Payload = &eventsv1.Event_WhistleResponding{WhistleResponding: &eventsv1.WhistleResponding{}}

	breached := s.dispatchEvent(system("response"), urban)
	breached.Payload = &eventsv1.Event_SlaBreached{SlaBreached: &eventsv1.SlaBreached{
		Clock: "ack", DueAt: timestamppb.New(t0.Add(5 * time.Minute)), EscalationLevel: 1,
	}}

	arrivedDispatch := dispatch(s, "d-police", "police", responsev1.Dispatch_ARRIVED)
	arrivedDispatch.ArrivalLocation = &typesv1.LatLng{Lat: 39.9164, Lng: 116.3973}
	arrivedDispatch.ArrivalDistanceM = 14.5
	arrived := s.dispatchEvent(policeDesk, arrivedDispatch)
	arrived.Payload = &eventsv1.Event_DispatchArrived{DispatchArrived: &eventsv1.DispatchArrived{Dispatch: arrivedDispatch}}

	return []*eventsv1.Event{raised, routed, createdPolice, createdUrban, ack, responding, breached, arrived}
}

// entriesOf turns API entries back into timeline entries, as an auditor would to verify them.
func entriesOf(t *testing.T, in []*feedbackv1.TimelineEntry) []timeline.Entry {
	t.Helper()
	out := make([]timeline.Entry, 0, len(in))
	for _, e := range in {
		data, err := protojson.Marshal(e.GetData())
		require.NoError(t, err)
		out = append(out, timeline.Entry{
			WhistleID: e.GetWhistleId(), KeyID: e.GetKeyId(),
			Seq: e.GetSeq(), Type: e.GetType(), At: e.GetAt().AsTime(),
			Actor:      timeline.Actor{Role: e.GetActor().GetRole(), ID: e.GetActor().GetId()},
			DispatchID: e.GetDispatchId(), Department: e.GetDepartment(), EventID: e.GetEventId(),
			Data: data, PrevHash: e.GetPrevHash(), Hash: e.GetHash(),
		})
	}
	return out
}

func TestTimelineRecordsEveryEventInOrder(t *testing.T) {
	t.Parallel()
	h := start(t)
	s := scenario{clk: h.clk, whistle: "w-night-market", street: donghuamen, district: dongcheng}
	evs, entries := h.play(s)
	for i, ev := range evs {
		e := entries[i]
		require.EqualValues(t, i+1, e.GetSeq())
		require.Equal(t, events.Name(ev), e.GetType())
		require.Equal(t, ev.GetId(), e.GetEventId())
		require.True(t, ev.GetOccurredAt().AsTime().Truncate(time.Microsecond).Equal(e.GetAt().AsTime()), "seq %d at", i+1)
		require.Equal(t, ev.GetActor().GetRole(), e.GetActor().GetRole())
		require.Equal(t, ev.GetActor().GetId(), e.GetActor().GetId())
		require.Equal(t, ev.GetDispatchId(), e.GetDispatchId())
		require.Equal(t, ev.GetDepartment(), e.GetDepartment())
	}
	types := make([]string, len(entries))
	for i, e := range entries {
		types[i] = e.GetType()
	}
	require.Equal(t, []string{
		"whistle.raised", "whistle.routed", "dispatch.created", "dispatch.created",
		"dispatch.acknowledged", "whistle.responding", "sla.breached", "dispatch.arrived",
	}, types)

	// data is the payload with its proto field names.
	raised := entries[0].GetData().AsMap()
	require.Equal(t, donghuamen, raised["whistle"].(map[string]any)["street_id"])
	require.Equal(t, "占道经营 & 噪音 <夜市>", raised["whistle"].(map[string]any)["title"])
	require.Equal(t, "HIGH", raised["whistle"].(map[string]any)["urgency"])
	require.Equal(t, "ACKNOWLEDGED", entries[4].GetData().AsMap()["dispatch"].(map[string]any)["status"])
	require.Equal(t, map[string]any{"clock": "ack", "due_at": "2026-05-11T01:05:00.123456789Z", "escalation_level": float64(1)},
		entries[6].GetData().AsMap())
	require.Empty(t, entries[5].GetData().AsMap())

	// The chain links every entry to the one before and verifies from what the API returns.
	require.Empty(t, entries[0].GetPrevHash())
	for i := 1; i < len(entries); i++ {
		require.Equal(t, entries[i-1].GetHash(), entries[i].GetPrevHash())
	}
	b, broken := verifyChain(t, entries)
	require.False(t, broken, "chain broken: %+v", b)

	// Tampering with what was served is detected at that entry by whoever
	// holds the chain key.
	tampered := entriesOf(t, entries)
	tampered[4].Actor.ID = "someone-else"
	keys, err := timeline.ParseKeys(testTimelineKeys)
	require.NoError(t, err)
	b, broken = keys.VerifyChain(tampered)
	require.True(t, broken)
	require.Equal(t, timeline.Break{Seq: 5, Reason: timeline.ReasonContent}, b)
}

func TestRepublishedEventAddsNothing(t *testing.T) {
	t.Parallel()
	h := start(t)
	s := scenario{clk: h.clk, whistle: "w-dup", street: donghuamen, district: dongcheng}
	evs, before := h.play(s)

	// A producer that lost its outbox bookkeeping re-publishes the acknowledgement
	// under a new message id, so JetStream does not drop it; then the whistle goes on.
	h.publish(evs[4], "replayed-"+evs[4].GetId())
	resolved := s.event(system("intake"))
	resolved.Payload = &eventsv1.Event_WhistleResolved{WhistleResolved: &eventsv1.WhistleResolved{}}
	h.publish(resolved, resolved.GetId())

	after := h.waitForTimeline(s.whistle, len(evs)+1)
	for i := range before {
		require.True(t, proto.Equal(before[i], after[i]), "entry %d changed", i+1)
	}
	last := after[len(evs)]
	require.Equal(t, "whistle.resolved", last.GetType())
	require.Equal(t, resolved.GetId(), last.GetEventId())
	b, broken := verifyChain(t, after)
	require.False(t, broken, "chain broken: %+v", b)
}

func TestTimelineAccess(t *testing.T) {
	t.Parallel()
	h := start(t)
	s := scenario{clk: h.clk, whistle: "w-access", street: donghuamen, district: dongcheng}
	evs, _ := h.play(s)

	get := func(id auth.Identity, whistleID string) (*feedbackv1.GetTimelineResponse, error) {
		return h.client.GetTimeline(h.as(id), &feedbackv1.GetTimelineRequest{WhistleId: whistleID})
	}
	allowed := map[string]auth.Identity{
		"own street":             {Role: auth.RoleStreet, StreetID: donghuamen, DistrictID: dongcheng},
		"dispatched police desk": {Role: auth.RoleDesk, Department: "police", DistrictID: dongcheng},
		"dispatched urban desk":  {Role: auth.RoleDesk, Department: "urban-management", DistrictID: dongcheng},
		"district supervisor":    {Role: auth.RoleSupervisor, DistrictID: dongcheng},
		"city supervisor":        {Role: auth.RoleSupervisor},
	}
	for name, id := range allowed {
		resp, err := get(id, s.whistle)
		require.NoError(t, err, name)
		require.Len(t, resp.GetEntries(), len(evs), name)
	}
	hidden := map[string]auth.Identity{
		"other street":                    {Role: auth.RoleStreet, StreetID: jingshan, DistrictID: dongcheng},
		"desk of a department not called": {Role: auth.RoleDesk, Department: "environment", DistrictID: dongcheng},
		"police desk of another district": {Role: auth.RoleDesk, Department: "police", DistrictID: xicheng},
		"supervisor of another district":  {Role: auth.RoleSupervisor, DistrictID: xicheng},
	}
	for name, id := range hidden {
		_, err := get(id, s.whistle)
		require.Equal(t, codes.NotFound, status.Code(err), "%s: %v", name, err)
	}

	_, err := get(supervisor, "w-unknown")
	require.Equal(t, codes.NotFound, status.Code(err), "unknown whistle: %v", err)

	_, err = get(supervisor, "")
	require.Equal(t, codes.InvalidArgument, status.Code(err))
	require.Contains(t, status.Convert(err).Message(), "whistle_id")

	_, err = get(auth.Identity{Role: auth.RoleAdmin}, s.whistle)
	require.Equal(t, codes.PermissionDenied, status.Code(err))

	_, err = h.client.GetTimeline(context.Background(), &feedbackv1.GetTimelineRequest{WhistleId: s.whistle})
	require.Equal(t, codes.Unauthenticated, status.Code(err))
}

// An event may overtake whistle.raised (another producer, a redelivery): the
// whistle's street still sees it, from the event's envelope.
func TestScopeFromEnvelopeBeforeRaised(t *testing.T) {
	t.Parallel()
	h := start(t)
	s := scenario{clk: h.clk, whistle: "w-early", street: jingshan, district: dongcheng}
	evs := lifecycle(s)
	early := evs[6] // sla.breached
	h.publish(early, early.GetId())
	h.waitForTimeline(s.whistle, 1)

	street := auth.Identity{Role: auth.RoleStreet, StreetID: jingshan, DistrictID: dongcheng}
	resp, err := h.client.GetTimeline(h.as(street), &feedbackv1.GetTimelineRequest{WhistleId: s.whistle})
	require.NoError(t, err)
	require.Equal(t, "sla.breached", resp.GetEntries()[0].GetType())

	h.publish(evs[0], evs[0].GetId())
	entries := h.waitForTimeline(s.whistle, 2)
	require.Equal(t, "whistle.raised", entries[1].GetType(), "the timeline is in arrival order")
	b, broken := verifyChain(t, entries)
	require.False(t, broken, "chain broken: %+v", b)

	other := auth.Identity{Role: auth.RoleStreet, StreetID: donghuamen, DistrictID: dongcheng}
	_, err = h.client.GetTimeline(h.as(other), &feedbackv1.GetTimelineRequest{WhistleId: s.whistle})
	require.Equal(t, codes.NotFound, status.Code(err))
}
