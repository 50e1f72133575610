package app_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

func TestRaiseWhistle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	w := e.raise(streetA, "joint-enforcement")
	require.NotEmpty(t, w.GetId())
	require.Equal(t, intakev1.Whistle_RAISED, w.GetStatus())
	require.Equal(t, dongchengA, w.GetStreetId())
	require.Equal(t, dongcheng, w.GetDistrictId(), "the district comes from the street")
	require.Equal(t, intakev1.Whistle_NORMAL, w.GetUrgency(), "urgency defaults to NORMAL")
	require.Equal(t, t0, w.GetRaisedAt().AsTime())
	require.Equal(t, &typesv1.Actor{Role: "street", Id: "street-a"}, w.GetRaisedBy())
	require.Positive(t, e.routing.tokensSeen(), "the caller's token travels to routing")

	ev := e.waitEvent("whistle.raised", w.GetId())
	require.True(t, proto.Equal(w, ev.GetWhistleRaised().GetWhistle()), "the event carries the whole whistle")
	require.Equal(t, dongcheng, ev.GetDistrictId())
	require.Equal(t, "street-a", ev.GetActor().GetId())

	require.True(t, proto.Equal(w, e.get(streetA, w.GetId())), "the street reads back what it raised")
}

func TestRaiseWithIdempotencyKeyReturnsTheSameWhistle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	withKey := func(key string) *intakev1.Whistle {
		ctx := metadata.AppendToOutgoingContext(e.as(streetA), "idempotency-key", key)
		w, err := e.client.RaiseWhistle(ctx, raiseRequest(dongchengA, "noise"))
		require.NoError(t, err)
		return w
	}
	first := withKey("key-1")
	e.clk.Advance(1)
	again := withKey("key-1")
	require.True(t, proto.Equal(first, again), "the same key answers the same whistle, unchanged")
	other := withKey("key-2")
	require.NotEqual(t, first.GetId(), other.GetId())

	// Many retries racing each other still make one whistle.
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Go(func() { ids[i] = withKey("key-3").GetId() })
	}
	wg.Wait()
	for _, id := range ids {
		require.Equal(t, ids[0], id)
	}

	// The outbox publishes in order, so once the cancellation is on the
	// stream every raise before it is too.
	_, err := e.client.CancelWhistle(e.as(streetA), &intakev1.CancelWhistleRequest{Id: first.GetId()})
	require.NoError(t, err)
	e.waitEvent("whistle.cancelled", first.GetId())
	require.Equal(t, 1, e.count("whistle.raised", first.GetId()), "a repeated raise emits no second event")
	require.Equal(t, 1, e.count("whistle.raised", ids[0]))
	list, err := e.client.ListWhistles(e.as(streetA), &intakev1.ListWhistlesRequest{})
	require.NoError(t, err)
	require.Len(t, list.GetWhistles(), 3)
}

func TestRaiseRejectsBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	unknownStreet := streetA
	unknownStreet.StreetID = "110101099"

	cases := map[string]struct {
		edit   func(*intakev1.RaiseWhistleRequest)
		fields []string
	}{
		"missing category":    {func(r *intakev1.RaiseWhistleRequest) { r.Category = "" }, []string{"category"}},
		"unknown category":    {func(r *intakev1.RaiseWhistleRequest) { r.Category = "dragons" }, []string{"category"}},
		"lat 91":              {func(r *intakev1.RaiseWhistleRequest) { r.Location.Lat = 91 }, []string{"location.lat"}},
		"5,000 characters":    {func(r *intakev1.RaiseWhistleRequest) { r.Description = strings.Repeat("噪", 5000) }, []string{"description"}},
		"no location":         {func(r *intakev1.RaiseWhistleRequest) { r.Location = nil }, []string{"location"}},
		"201-character title": {func(r *intakev1.RaiseWhistleRequest) { r.Title = strings.Repeat("t", 201) }, []string{"title"}},
		// A field over its size limit is refused before the rest is looked at
		// (platform/limits); every other problem is named at once.
		"every problem at once": {func(r *intakev1.RaiseWhistleRequest) {
			r.Category, r.Description, r.Location = "", "", &typesv1.LatLng{Lat: -91, Lng: 181}
		}, []string{"category", "description", "location.lat", "location.lng"}},
		"unknown urgency": {func(r *intakev1.RaiseWhistleRequest) { r.Urgency = 9 }, []string{"urgency"}},
	}
	for name, tc := range cases {
		req := raiseRequest(dongchengA, "noise")
		tc.edit(req)
		_, err := e.client.RaiseWhistle(e.as(streetA), req)
		t.Run(name, func(t *testing.T) { requireCode(t, err, codes.InvalidArgument, tc.fields...) })
	}

	_, err := e.client.RaiseWhistle(e.as(unknownStreet), raiseRequest(unknownStreet.StreetID, "noise"))
	requireCode(t, err, codes.InvalidArgument, "street_id")
	require.Contains(t, err.Error(), "unknown street")

	// Nothing was stored: the supervisor of the whole city sees no whistle.
	list, err := e.client.ListWhistles(e.as(citySup), &intakev1.ListWhistlesRequest{})
	require.NoError(t, err)
	require.Empty(t, list.GetWhistles())
}

func TestRaiseOnlyForOwnStreet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.client.RaiseWhistle(e.as(streetA), raiseRequest(dongchengB, "noise"))
	requireCode(t, err, codes.PermissionDenied)
	_, err = e.client.RaiseWhistle(e.as(policeDesk), raiseRequest(dongchengA, "noise"))
	requireCode(t, err, codes.PermissionDenied)
	_, err = e.client.RaiseWhistle(e.as(supervisor), raiseRequest(dongchengA, "noise"))
	requireCode(t, err, codes.PermissionDenied)
}

func TestWhistleAccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.raise(streetA, "joint-enforcement")

	notFound := func(id any, err error) {
		t.Helper()
		requireCode(t, err, codes.NotFound)
	}
	// Another street cannot see or touch it; nor tell it from an unknown id.
	notFound(e.client.GetWhistle(e.as(streetB), &intakev1.GetWhistleRequest{Id: w.GetId()}))
	notFound(e.client.CancelWhistle(e.as(streetB), &intakev1.CancelWhistleRequest{Id: w.GetId()}))
	notFound(e.client.SubmitFeedback(e.as(streetB), &intakev1.SubmitFeedbackRequest{Id: w.GetId(), Satisfaction: 1}))
	notFound(e.client.ReopenWhistle(e.as(streetB), &intakev1.ReopenWhistleRequest{Id: w.GetId(), Reason: "x"}))
	notFound(e.client.GetWhistle(e.as(streetA), &intakev1.GetWhistleRequest{Id: "0190aaaa-0000-7000-8000-000000000000"}))

	// Supervisors read their district, or the city.
	e.get(supervisor, w.GetId())
	e.get(citySup, w.GetId())
	chaoyangSup := supervisor
	chaoyangSup.DistrictID = chaoyang
	notFound(e.client.GetWhistle(e.as(chaoyangSup), &intakev1.GetWhistleRequest{Id: w.GetId()}))
	_, err := e.client.GetWhistle(e.as(adminUser), &intakev1.GetWhistleRequest{Id: w.GetId()})
	requireCode(t, err, codes.PermissionDenied)

	// A desk sees it only once its department has a dispatch, and only in its district.
	notFound(e.client.GetWhistle(e.as(policeDesk), &intakev1.GetWhistleRequest{Id: w.GetId()}))
	e.publish(dispatchEvent(w, "police", responsev1.Dispatch_PENDING, 1))
	e.waitDispatch(w.GetId(), dispatchID(w, "police"), responsev1.Dispatch_PENDING)
	got := e.get(policeDesk, w.GetId())
	require.Len(t, got.GetDispatches(), 1)
	envDesk := policeDesk
	envDesk.Department = "environment"
	notFound(e.client.GetWhistle(e.as(envDesk), &intakev1.GetWhistleRequest{Id: w.GetId()}))
	chaoyangPolice := policeDesk
	chaoyangPolice.DistrictID = chaoyang
	notFound(e.client.GetWhistle(e.as(chaoyangPolice), &intakev1.GetWhistleRequest{Id: w.GetId()}))

	// Only the street acts on its whistle.
	_, err = e.client.CancelWhistle(e.as(supervisor), &intakev1.CancelWhistleRequest{Id: w.GetId()})
	requireCode(t, err, codes.PermissionDenied)
}
