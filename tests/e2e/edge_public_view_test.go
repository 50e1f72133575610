package e2e_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/grpcserver"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
)

// A resident's name and mobile number, as a 311 app passes them on in a
// request's description.
const (
	privateName  = "张三"
	privatePhone = "13800000000"
)

// TestOpen311PublicViewHidesPersonalData: what anyone reads anonymously from
// Open311 carries no description, address or exact point of a whistle, and
// none of a resident's report; the street still sees everything.
func TestOpen311PublicViewHidesPersonalData(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	code, raw, _ := s.open311(t, http.MethodPost, "requests.json", url.Values{
		"api_key": {open311Key}, "service_code": {"noise"},
		"lat": {"39.91463"}, "long": {"116.40357"}, "address_string": {"东华门大街 8 号院 3 单元"},
		"description": {"楼下夜间施工，住户" + privateName + " " + privatePhone + " 反映"},
	})
	require.Equal(t, http.StatusOK, code, raw)
	id := str(decodeJSONList(t, raw)[0]["service_request_id"])
	code, raw, _ = s.open311(t, http.MethodPost, "requests.json", url.Values{
		"api_key": {open311Key}, "service_code": {"garbage"}, "attribute[reporter]": {"resident"},
		"lat": {"39.91463"}, "long": {"116.40357"}, "address_string": {"东华门大街 8 号院 3 单元"},
		"description": {"垃圾没人收，" + privateName + " " + privatePhone}, "first_name": {privateName}, "phone": {privatePhone},
	})
	require.Equal(t, http.StatusOK, code, raw)
	reportID := str(decodeJSONList(t, raw)[0]["service_request_id"])

	for _, path := range []string{"requests.json", "requests/" + id + ".json", "requests/" + reportID + ".json",
		"requests.json?service_request_id=" + id + "," + reportID} {
		code, raw, _ := s.open311(t, http.MethodGet, path, nil)
		require.Equal(t, http.StatusOK, code, raw)
		validate(t, "requests.json", raw)
		for _, private := range []string{privateName, privatePhone, "施工", "垃圾没人收", "8 号院", "39.9146", "116.4035"} {
			require.NotContains(t, raw, private, "%s publishes %q: %s", path, private, raw)
		}
		for _, req := range decodeJSONList(t, raw) {
			require.Nil(t, req["description"], path)
			require.Nil(t, req["address"], path)
			if req["lat"] != nil {
				// Snapped to the 0.01° public grid.
				require.InDelta(t, 39.91, req["lat"], 1e-9, path)
				require.InDelta(t, 116.40, req["long"], 1e-9, path)
			}
		}
	}
	code, raw, _ = s.open311(t, http.MethodGet, "requests.xml", nil)
	require.Equal(t, http.StatusOK, code, raw)
	require.NotContains(t, raw, privatePhone)
	require.Contains(t, raw, id)

	// The street raised it and still reads every word.
	w := s.do(t, http.MethodGet, "/v1/whistles/"+id, streetToken(t, s, open311Street), nil)
	require.Equal(t, http.StatusOK, w.status, w.raw)
	require.Contains(t, str(w.body["description"]), privatePhone)
	require.InDelta(t, 39.91463, obj(w.body["location"])["lat"], 1e-9)
}

// publicViewMethods are the only methods the public's identity may call
// besides the public ones (which need no token at all).
var publicViewMethods = []string{
	intakev1.IntakeService_GetWhistle_FullMethodName,
	intakev1.IntakeService_ListWhistles_FullMethodName,
	intakev1.IntakeService_GetAttachment_FullMethodName, // thumbnails only
	intakev1.ReportService_GetReport_FullMethodName,
	"/whistle.routing.v1.RoutingService/ListCategories",
	"/whistle.routing.v1.RoutingService/GetCategory",
	"/whistle.routing.v1.RoutingService/ListDepartments",
	"/whistle.routing.v1.RoutingService/GetStreet",
	// Open311's expected_datetime: the expected times, never the desks' notes.
	"/whistle.feedback.v1.FeedbackService/ListWhistleEtas",
}

// TestPublicIdentityReadsOnlyThePublicView: a token of the public's identity
// (what Open311's anonymous reads run with) is refused by every gRPC method
// but the public-view reads, and those answer without personal data.
func TestPublicIdentityReadsOnlyThePublicView(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	public := s.token(t, auth.Identity{Role: auth.RolePublic, Subject: "open311-public"})
	raised := s.do(t, http.MethodPost, "/v1/whistles", streetToken(t, s, donghuamen), map[string]any{
		"street_id": donghuamen, "category": "noise", "title": privateName + "家楼下施工", "description": "住户" + privateName + " " + privatePhone,
		"address": "东华门大街 8 号院", "location": map[string]any{"lat": 39.91463, "lng": 116.40357},
	})
	require.Equal(t, http.StatusCreated, raised.status, raised.raw)
	whistleID := str(raised.body["id"])

	c := dialBackends(t, s)
	ctx := withBearer(t.Context(), public)
	_, err := c.intake.RaiseWhistle(ctx, &intakev1.RaiseWhistleRequest{StreetId: donghuamen, Category: "noise", Description: "x"})
	require.Equal(t, codes.PermissionDenied, status.Code(err), "%v", err)
	_, err = c.response.ListDispatches(ctx, &responsev1.ListDispatchesRequest{WhistleId: whistleID})
	require.Equal(t, codes.PermissionDenied, status.Code(err), "%v", err)

	got, err := c.intake.GetWhistle(ctx, &intakev1.GetWhistleRequest{Id: whistleID})
	require.NoError(t, err)
	require.Equal(t, "noise", got.GetCategory())
	require.Empty(t, got.GetDescription())
	require.Empty(t, got.GetTitle())
	require.Empty(t, got.GetAddress())
	require.Empty(t, got.GetRaisedBy().GetId())
	require.InDelta(t, 39.91, got.GetLocation().GetLat(), 1e-9)
	listed, err := c.intake.ListWhistles(ctx, &intakev1.ListWhistlesRequest{})
	require.NoError(t, err)
	require.Len(t, listed.GetWhistles(), 1)
	require.Empty(t, listed.GetWhistles()[0].GetDescription())
	require.InDelta(t, 116.40, listed.GetWhistles()[0].GetLocation().GetLng(), 1e-9)

	// Every other method of every service refuses the identity outright.
	connOf := connFor(t, s)
	for _, m := range whistleMethods() {
		name := fullMethod(m)
		if grpcserver.IsPublic(name) || slices.Contains(publicViewMethods, name) {
			continue
		}
		ctx, cancel := context.WithTimeout(withBearer(context.Background(), public), 10*time.Second)
		conn := connOf(m)
		if m.IsStreamingServer() || m.IsStreamingClient() {
			var st grpc.ClientStream
			st, err = conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: m.IsStreamingServer(), ClientStreams: m.IsStreamingClient()}, name)
			if err == nil {
				_ = st.SendMsg(dynamicpb.NewMessage(m.Input()))
				_ = st.CloseSend()
				err = st.RecvMsg(dynamicpb.NewMessage(m.Output()))
			}
		} else {
			err = conn.Invoke(ctx, name, dynamicpb.NewMessage(m.Input()), dynamicpb.NewMessage(m.Output()))
		}
		cancel()
		require.Equal(t, codes.PermissionDenied, status.Code(err), "%s as the public: %v", name, err)
	}

	// Nor does the gateway's REST API or live stream let it in.
	r := s.do(t, http.MethodGet, "/v1/dispatches", public, nil)
	require.Equal(t, http.StatusForbidden, r.status, r.raw)
}

// uuidText matches an id in an answer's text.
var uuidText = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// TestTriagedResidentReportKeepsPersonalDataOut: the street blows the whistle
// on a resident's report; the whistle the departments get carries neither
// the resident's words, name, phone nor address, and only a rounded point.
// The street still reads the report itself.
func TestTriagedResidentReportKeepsPersonalDataOut(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)
	filed := s.do(t, http.MethodPost, "/v1/public/reports", "", map[string]any{
		"street_id": donghuamen, "category": "garbage", "description": "我是" + privateName + "，电话" + privatePhone + "，楼下垃圾三天没清",
		"location": map[string]any{"lat": 39.91463, "lng": 116.40357}, "address": "东华门大街 8 号院 3 单元 502",
		"contact_name": privateName, "contact_phone": privatePhone,
	})
	require.Equal(t, http.StatusOK, filed.status, filed.raw)
	reportID := str(obj(filed.body["report"])["id"])

	blow := s.do(t, http.MethodPost, "/v1/discovery/reports:triage", streetTok, map[string]any{
		"report_ids": []string{reportID}, "action": "BLOW_WHISTLE"})
	require.Equal(t, http.StatusOK, blow.status, blow.raw)
	whistleID := str(obj(blow.body["whistle"])["id"])

	var w response
	eventually(t, "dispatches of the whistle", func() bool {
		w = s.do(t, http.MethodGet, "/v1/whistles/"+whistleID, streetTok, nil)
		return len(list(w.body["dispatches"])) > 0
	})
	dept := str(obj(list(w.body["dispatches"])[0])["department"])
	desk := s.do(t, http.MethodGet, "/v1/whistles/"+whistleID, deskToken(t, s, dongcheng, dept), nil)
	require.Equal(t, http.StatusOK, desk.status, desk.raw)
	linked := s.do(t, http.MethodGet, "/v1/whistles/"+whistleID+"/reports", deskToken(t, s, dongcheng, dept), nil)
	require.Equal(t, http.StatusOK, linked.status, linked.raw)
	require.Len(t, list(linked.body["reports"]), 1)
	for _, raw := range []string{w.raw, desk.raw, linked.raw} {
		// Ids are UUIDv7s, whose hex time prefix spells "502" for hours at a
		// time: the flat number is looked for everywhere but inside the ids.
		raw = uuidText.ReplaceAllString(raw, "<id>")
		for _, private := range []string{privateName, privatePhone, "垃圾三天没清", "502", "39.91463", "116.40357"} {
			require.NotContains(t, raw, private)
		}
	}
	require.Contains(t, str(w.body["description"]), reportID, "the whistle names the report")
	require.Empty(t, w.body["address"])
	loc := obj(w.body["location"])
	require.InDelta(t, 39.915, loc["lat"], 1e-9)
	require.InDelta(t, 116.404, loc["lng"], 1e-9)

	// The street's own view of the report keeps the resident's words.
	rep := s.do(t, http.MethodGet, "/v1/discovery/reports/"+reportID, streetTok, nil)
	require.Equal(t, http.StatusOK, rep.status, rep.raw)
	require.Contains(t, str(rep.body["description"]), "垃圾三天没清")
}
