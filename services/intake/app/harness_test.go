package app_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/config"
	"github.com/chuishao/whistle/platform/service"
	"github.com/chuishao/whistle/platform/servicetest"
	protoevents "github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/intake/app"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Reference data of the routing double: two streets of Dongcheng (110101), one of Chaoyang (110105).
const (
	dongchengA = "110101001"
	dongchengB = "110101002"
	chaoyangA  = "110105001"
	dongcheng  = "110101"
	chaoyang   = "110105"
)

// Identities of the callers in the tests.
var (
	streetA     = auth.Identity{Subject: "street-a", Role: auth.RoleStreet, StreetID: dongchengA, DistrictID: dongcheng}
	streetB     = auth.Identity{Subject: "street-b", Role: auth.RoleStreet, StreetID: dongchengB, DistrictID: dongcheng}
	streetC     = auth.Identity{Subject: "street-c", Role: auth.RoleStreet, StreetID: chaoyangA, DistrictID: chaoyang}
	policeDesk  = auth.Identity{Subject: "desk-police", Role: auth.RoleDesk, Department: "police", DistrictID: dongcheng}
	supervisor  = auth.Identity{Subject: "sup-dongcheng", Role: auth.RoleSupervisor, DistrictID: dongcheng}
	citySup     = auth.Identity{Subject: "sup-city", Role: auth.RoleSupervisor}
	adminUser   = auth.Identity{Subject: "admin", Role: auth.RoleAdmin}
	routingRole = &typesv1.Actor{Role: "system", Id: "routing"}
	responseRol = &typesv1.Actor{Role: "system", Id: "response"}
)

// fakeRouting stands in for routing's gRPC API, whose real implementation the
// end-to-end tests cover: a few streets and categories.
type fakeRouting struct {
	routingv1.UnimplementedRoutingServiceServer

	mu         sync.Mutex
	authorized int // calls that carried the caller's bearer token
}

func (f *fakeRouting) sawToken(ctx context.Context) {
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("authorization"); len(v) == 1 && len(v[0]) > len("Bearer ") {
		f.mu.Lock()
		f.authorized++
		f.mu.Unlock()
	}
}

func (f *fakeRouting) GetStreet(ctx context.Context, req *routingv1.GetStreetRequest) (*routingv1.Street, error) {
	f.sawToken(ctx)
	district := map[string]string{dongchengA: dongcheng, dongchengB: dongcheng, chaoyangA: chaoyang}[req.GetId()]
	if district == "" {
		return nil, status.Errorf(codes.NotFound, "street %s not found", req.GetId())
	}
	return &routingv1.Street{Id: req.GetId(), Name: "街道", DistrictId: district, Centroid: &typesv1.LatLng{Lat: 39.9, Lng: 116.4}}, nil
}

func (f *fakeRouting) GetCategory(ctx context.Context, req *routingv1.GetCategoryRequest) (*routingv1.Category, error) {
	f.sawToken(ctx)
	switch req.GetCode() {
	case "joint-enforcement":
		return &routingv1.Category{Code: "joint-enforcement", LeadDepartment: "urban-management", CooperatingDepartments: []string{"police", "environment"}}, nil
	case "noise":
		return &routingv1.Category{Code: "noise", LeadDepartment: "environment"}, nil
	}
	return nil, status.Errorf(codes.NotFound, "category %s not found", req.GetCode())
}

func (f *fakeRouting) tokensSeen() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.authorized
}

func startRouting(t *testing.T) (*fakeRouting, string) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	fake := &fakeRouting{}
	srv := grpc.NewServer()
	routingv1.RegisterRoutingServiceServer(srv, fake)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return fake, lis.Addr().String()
}

// env is one intake service on its own database and JetStream server.
type env struct {
	t       *testing.T
	w       *servicetest.World
	clk     *clockwork.FakeClock
	client  intakev1.IntakeServiceClient
	routing *fakeRouting
	// events records everything published on whistle.v1.> in order.
	events *servicetest.Watch
}

func newEnv(t *testing.T) *env {
	t.Helper()
	w := servicetest.New(t, t0)
	routing, routingAddr := startRouting(t)
	cfg := app.Config{Base: w.Base(app.Name), RoutingAddr: routingAddr}
	cfg.DatabaseURL = w.Database("intake", servicetest.MigrationJob(cfg.Base, func(ctx context.Context, b config.Base) error {
		_, err := app.New(ctx, app.Config{Base: b, RoutingAddr: routingAddr}, w.Deps(app.Name))
		return err
	}))
	require.NoError(t, cfg.Validate())
	a, _ := servicetest.Start(w, app.Name, func(ctx context.Context, deps service.Deps) (*app.App, error) { return app.New(ctx, cfg, deps) })
	return &env{t: t, w: w, clk: w.Clock, client: intakev1.NewIntakeServiceClient(w.Dial(a.GRPCAddr())), routing: routing, events: w.Watch("whistle.v1.>")}
}

// as is a request context carrying id's token.
func (e *env) as(id auth.Identity) context.Context {
	e.t.Helper()
	return e.w.As(id)
}

func raiseRequest(street, category string) *intakev1.RaiseWhistleRequest {
	return &intakev1.RaiseWhistleRequest{
		StreetId: street, Category: category, Description: "夜间施工噪音扰民", Title: "工地噪音",
		Address: "东华门大街 1 号", Location: &typesv1.LatLng{Lat: 39.914, Lng: 116.404},
	}
}

func (e *env) raise(id auth.Identity, category string) *intakev1.Whistle {
	e.t.Helper()
	w, err := e.client.RaiseWhistle(e.as(id), raiseRequest(id.StreetID, category))
	require.NoError(e.t, err)
	return w
}

func (e *env) get(id auth.Identity, whistleID string) *intakev1.Whistle {
	e.t.Helper()
	w, err := e.client.GetWhistle(e.as(id), &intakev1.GetWhistleRequest{Id: whistleID})
	require.NoError(e.t, err)
	return w
}

// waitStatus polls the API until the whistle shows want: some moves (ROUTED)
// emit no event of intake's own to wait on.
func (e *env) waitStatus(whistleID string, want intakev1.Whistle_Status) *intakev1.Whistle {
	e.t.Helper()
	var last *intakev1.Whistle
	require.Eventually(e.t, func() bool {
		last = e.get(supervisor, whistleID)
		return last.GetStatus() == want
	}, 10*time.Second, 10*time.Millisecond, "whistle %s never became %s", whistleID, want)
	return last
}

// waitDispatch polls until the projection shows the dispatch in want.
func (e *env) waitDispatch(whistleID, dispatchID string, want responsev1.Dispatch_Status) *intakev1.Whistle {
	e.t.Helper()
	var last *intakev1.Whistle
	require.Eventually(e.t, func() bool {
		last = e.get(supervisor, whistleID)
		for _, d := range last.GetDispatches() {
			if d.GetId() == dispatchID {
				return d.GetStatus() == want
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond, "dispatch %s never became %s", dispatchID, want)
	return last
}

// waitEvent reads the stream until the event name of whistleID arrives.
func (e *env) waitEvent(name, whistleID string) *eventsv1.Event {
	e.t.Helper()
	return e.waitEvents(name, whistleID, 1)[0]
}

// waitEvents reads the stream until n events name of whistleID have arrived.
func (e *env) waitEvents(name, whistleID string, n int) []*eventsv1.Event {
	e.t.Helper()
	return e.events.AwaitN(n, servicetest.Named(name, whistleID))
}

// count is how many name events of whistleID have been read so far.
func (e *env) count(name, whistleID string) int {
	return len(e.events.Seen(servicetest.Named(name, whistleID)))
}

// publish puts ev on the stream the way another service's outbox relay does.
func (e *env) publish(ev *eventsv1.Event) {
	e.t.Helper()
	e.w.Publish(ev)
}

func whistleEvent(w *intakev1.Whistle, actor *typesv1.Actor) *eventsv1.Event {
	ev := protoevents.New(t0, actor)
	ev.WhistleId, ev.DistrictId, ev.StreetId = w.GetId(), w.GetDistrictId(), w.GetStreetId()
	return ev
}

// routed is routing's decision for w.
func routed(w *intakev1.Whistle, departments ...string) *eventsv1.Event {
	ev := whistleEvent(w, routingRole)
	payload := &eventsv1.WhistleRouted{Rule: "category:" + w.GetCategory(), CatalogueVersion: "1"}
	for _, d := range departments {
		payload.Departments = append(payload.Departments, &eventsv1.RoutedDepartment{Department: d, Role: "cooperating", DispatchId: dispatchID(w, d)})
	}
	ev.Payload = &eventsv1.Event_WhistleRouted{WhistleRouted: payload}
	return ev
}

func dispatchID(w *intakev1.Whistle, department string) string { return w.GetId() + "/" + department }

// dispatchEvent is response's dispatch.* event with the dispatch's snapshot at
// the given minute after t0.
func dispatchEvent(w *intakev1.Whistle, department string, st responsev1.Dispatch_Status, minute int) *eventsv1.Event {
	at := timestamppb.New(t0.Add(time.Duration(minute) * time.Minute))
	d := &responsev1.Dispatch{
		Id: dispatchID(w, department), WhistleId: w.GetId(), DistrictId: w.GetDistrictId(), StreetId: w.GetStreetId(),
		Category: w.GetCategory(), Department: department, Role: "cooperating", Status: st,
		DispatchedAt: timestamppb.New(t0), SlaStartedAt: timestamppb.New(t0), UpdatedAt: at,
	}
	if st >= responsev1.Dispatch_ACKNOWLEDGED && st <= responsev1.Dispatch_RESOLVED {
		d.AcknowledgedAt = at
	}
	ev := protoevents.New(at.AsTime(), responseRol)
	ev.WhistleId, ev.DistrictId, ev.StreetId = w.GetId(), w.GetDistrictId(), w.GetStreetId()
	ev.DispatchId, ev.Department = d.GetId(), department
	switch st {
	case responsev1.Dispatch_PENDING:
		ev.Payload = &eventsv1.Event_DispatchCreated{DispatchCreated: &eventsv1.DispatchCreated{Dispatch: d}}
	case responsev1.Dispatch_ACKNOWLEDGED:
		ev.Payload = &eventsv1.Event_DispatchAcknowledged{DispatchAcknowledged: &eventsv1.DispatchAcknowledged{Dispatch: d}}
	case responsev1.Dispatch_ARRIVED:
		d.ArrivedAt = at
		ev.Payload = &eventsv1.Event_DispatchArrived{DispatchArrived: &eventsv1.DispatchArrived{Dispatch: d}}
	case responsev1.Dispatch_RESOLVED:
		d.ResolvedAt = at
		ev.Payload = &eventsv1.Event_DispatchResolved{DispatchResolved: &eventsv1.DispatchResolved{Dispatch: d}}
	case responsev1.Dispatch_RETURNED:
		d.ReturnedAt, d.ReturnReason = at, "not ours"
		ev.Payload = &eventsv1.Event_DispatchReturned{DispatchReturned: &eventsv1.DispatchReturned{Dispatch: d}}
	case responsev1.Dispatch_CANCELLED:
		ev.Payload = &eventsv1.Event_DispatchCancelled{DispatchCancelled: &eventsv1.DispatchCancelled{Dispatch: d}}
	}
	return ev
}

// requireCode checks err's gRPC code and, for InvalidArgument, the named fields.
func requireCode(t *testing.T, err error, want codes.Code, fields ...string) {
	t.Helper()
	require.Error(t, err)
	st := status.Convert(err)
	require.Equal(t, want, st.Code(), "error: %v", err)
	if len(fields) == 0 {
		return
	}
	var got []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				got = append(got, v.GetField())
			}
		}
	}
	require.Equal(t, fields, got, "error: %v", err)
}
