package whistles

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/invalid"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/intake/internal/intake"
)

// catalogue is routing as Raise asks it: street and noise are known,
// "110101999" is not, and "110101998" cannot be looked up (routing is down).
type catalogue struct {
	routingv1.RoutingServiceClient
}

func (catalogue) GetStreet(_ context.Context, req *routingv1.GetStreetRequest, _ ...grpc.CallOption) (*routingv1.Street, error) {
	switch req.GetId() {
	case street:
		return &routingv1.Street{Id: street, DistrictId: district}, nil
	case "110101998":
		return nil, status.Error(codes.Unavailable, "routing is down")
	}
	return nil, status.Error(codes.NotFound, "no such street")
}

func (catalogue) GetCategory(_ context.Context, req *routingv1.GetCategoryRequest, _ ...grpc.CallOption) (*routingv1.Category, error) {
	if req.GetCode() == "noise" {
		return &routingv1.Category{Code: "noise"}, nil
	}
	return nil, status.Error(codes.NotFound, "no such category")
}

// fields are the invalid fields err names, in order ("" when it names none).
func fields(err error) string {
	var invalid invalid.Error
	if !errors.As(err, &invalid) {
		return ""
	}
	var names []string
	for _, f := range invalid {
		names = append(names, f.Field)
	}
	return strings.Join(names, ",")
}

func TestRaiseChecksTheCallerAndTheRequest(t *testing.T) {
	t.Parallel()
	e := newRaiseEnv(t)
	e.s.Routing = catalogue{}
	e.s.refs = references{} // every look-up asks the catalogue above
	desk := auth.Identity{Subject: "desk", Role: auth.RoleDesk, DistrictID: district, Department: "police"}
	sup := auth.Identity{Subject: "sup", Role: auth.RoleSupervisor, DistrictID: district}
	here := &typesv1.LatLng{Lat: 39.914, Lng: 116.404}
	ok := NewWhistle{StreetID: street, Category: "noise", Description: "夜间施工噪音扰民", Location: here}
	with := func(change func(*NewWhistle)) NewWhistle {
		n := ok
		change(&n)
		return n
	}
	for _, tc := range []struct {
		name   string
		caller auth.Identity
		in     NewWhistle
		kind   string
		fields string
	}{
		{"a street raises for itself", streetA, ok, "ok", ""},
		{"a street names its street", streetA, with(func(n *NewWhistle) { n.StreetID = "" }), "invalid", "street_id"},
		{"a desk raises nothing", desk, ok, "denied", ""},
		{"a supervisor raises only drills", sup, ok, "denied", ""},
		{"the public raises nothing", auth.Identity{Role: auth.RolePublic}, ok, "denied", ""},
		{"another street's whistle", streetA, with(func(n *NewWhistle) { n.StreetID = "110101002" }), "denied", ""},
		{"every bad field at once", streetA, with(func(n *NewWhistle) {
			n.Category, n.Description, n.Location, n.Urgency, n.CoordSys = "", " ", nil, "SOON", "MARS"
		}), "invalid", "coord_sys,category,description,location,urgency"},
		{"a point off the globe", streetA, with(func(n *NewWhistle) { n.Location = &typesv1.LatLng{Lat: 91, Lng: 181} }),
			"invalid", "location.lat,location.lng"},
		{"a key too long", streetA, with(func(n *NewWhistle) { n.IdempotencyKey = strings.Repeat("k", intake.MaxIdempotencyKey+1) }),
			"invalid", "idempotency_key"},
		{"a key in the drills' space", streetA, with(func(n *NewWhistle) { n.IdempotencyKey = "drill:x" }), "invalid", "idempotency_key"},
		{"an unknown category", streetA, with(func(n *NewWhistle) { n.Category = "weather" }), "invalid", "category"},
		{"a drill without its street", sup, with(func(n *NewWhistle) { n.DrillID, n.StreetID = "d1", "" }), "invalid", "street_id,street_id"},
		{"a drill of a street routing does not know", sup, with(func(n *NewWhistle) { n.DrillID, n.StreetID = "d1", "110101999" }),
			"invalid", "street_id"},
		{"routing cannot be asked", sup, with(func(n *NewWhistle) { n.DrillID, n.StreetID = "d1", "110101998" }), "unavailable", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.count("SELECT count(*) FROM whistles")
			w, err := e.s.Raise(context.Background(), tc.caller, tc.in)
			require.Equal(t, tc.kind, kind(err), "%v", err)
			require.Equal(t, tc.fields, fields(err))
			if err != nil {
				require.Equal(t, before, e.count("SELECT count(*) FROM whistles"), "a refused raise stores nothing")
				return
			}
			require.Equal(t, "RAISED", w.GetStatus().String())
			require.Equal(t, district, w.GetDistrictId(), "the district is routing's")
			require.Equal(t, "NORMAL", w.GetUrgency().String(), "the default urgency")
			require.Equal(t, 1, e.count("SELECT count(*) FROM outbox WHERE subject = 'whistle.v1.raised.' || $1", district),
				"the whistle and its event commit together")
		})
	}
}

func TestRaiseStoresWGS84(t *testing.T) {
	t.Parallel()
	e := newRaiseEnv(t)
	gcj := &typesv1.LatLng{Lat: 39.915, Lng: 116.404}
	w, err := e.s.Raise(context.Background(), streetA, NewWhistle{
		StreetID: street, Category: "noise", Description: "d", Location: gcj, CoordSys: "GCJ02",
	})
	require.NoError(t, err)
	// GCJ-02 is shifted a few hundred metres from WGS-84 around Beijing.
	require.InDelta(t, gcj.GetLat(), w.GetLocation().GetLat(), 0.01)
	require.NotEqual(t, gcj.GetLat(), w.GetLocation().GetLat())
	var lat float64
	require.NoError(t, e.pool.QueryRow(context.Background(), "SELECT lat FROM whistles WHERE id = $1", w.GetId()).Scan(&lat))
	require.Equal(t, w.GetLocation().GetLat(), lat, "what is answered is what is stored")
}
