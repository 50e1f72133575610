package open311

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/gateway/internal/httpapi"
)

const (
	fuzzKey    = "0123456789abcdef"
	fuzzStreet = "110101001"
)

var fuzzCentroid = &typesv1.LatLng{Lat: 39.91, Lng: 116.40}

// fakeBackends answers routing's street and category look-ups and records
// the raise intake receives.
type fakeBackends struct {
	mu     sync.Mutex
	raised *intakev1.RaiseWhistleRequest
}

func (b *fakeBackends) Invoke(_ context.Context, method string, args, reply any, _ ...grpc.CallOption) error {
	switch method {
	case routingv1.RoutingService_GetStreet_FullMethodName:
		proto.Merge(reply.(proto.Message), &routingv1.Street{Id: fuzzStreet, DistrictId: "110101", Centroid: fuzzCentroid})
	case routingv1.RoutingService_GetCategory_FullMethodName:
		if code := args.(*routingv1.GetCategoryRequest).GetCode(); code != "noise" {
			return status.Errorf(codes.NotFound, "category %s not found", code)
		}
		proto.Merge(reply.(proto.Message), &routingv1.Category{Code: "noise", Name: "噪声扰民"})
	case intakev1.IntakeService_RaiseWhistle_FullMethodName:
		b.mu.Lock()
		b.raised = proto.Clone(args.(proto.Message)).(*intakev1.RaiseWhistleRequest)
		b.mu.Unlock()
		proto.Merge(reply.(proto.Message), &intakev1.Whistle{Id: "w1"})
	default:
		return status.Errorf(codes.Unimplemented, "%s is not faked", method)
	}
	return nil
}

func (b *fakeBackends) NewStream(context.Context, *grpc.StreamDesc, string, ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, status.Error(codes.Unimplemented, "no streams in the fake")
}

func (b *fakeBackends) take() *intakev1.RaiseWhistleRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.raised
	b.raised = nil
	return r
}

// FuzzCreateRequestForm posts arbitrary form bodies to POST requests.json
// through the real handler and body limit: nothing panics; every answer is
// JSON (the created request or the spec's error list); a form that does not
// parse, lacks a field or carries a non-number lat/long or an unknown urgency
// is answered 4xx and never reaches intake; what reaches intake is exactly
// what the form says (so intake's own checks — lat 91, NaN — see the real
// values); and the accepted values, posted again as a form, raise the same.
func FuzzCreateRequestForm(f *testing.F) {
	for _, s := range []string{
		"api_key=" + fuzzKey + "&service_code=noise&description=%E5%B7%A5%E5%9C%B0&lat=39.9&long=116.4",
		"api_key=" + fuzzKey + "&service_code=noise&description=d&address_string=%E4%B8%9C%E5%9F%8E&attribute%5Burgency%5D=high&attribute%5Btitle%5D=t",
		"api_key=" + fuzzKey + "&service_code=noise&description=d&lat=91&long=116.4",
		"api_key=" + fuzzKey + "&service_code=noise&description=d&lat=NaN&long=Inf",
		"api_key=" + fuzzKey + "&service_code=noise&description=d&lat=39.9",
		"api_key=" + fuzzKey + "&service_code=noise&description=d&lat=abc&long=1e999",
		"api_key=" + fuzzKey + "&service_code=noise&description=d&address_id=42&attribute%5Burgency%5D=URGENCY_UNSPECIFIED",
		"api_key=" + fuzzKey + "&service_code=unknown&description=d&address_string=x",
		"api_key=" + fuzzKey + "&service_code=+&description=+&lat=&long=",
		"api_key=" + fuzzKey + "&service_code=noise&description=d&lat=1&long=2&lat=91",
		"api_key=wrong&service_code=noise&description=d&lat=1&long=2",
		"api_key=" + fuzzKey + "&service_code=%zz",
		"api_key=" + fuzzKey + ";service_code=noise",
		"",
		"\xff=\xfe",
	} {
		f.Add(s)
	}
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	be := &fakeBackends{}
	h := &Handler{
		Keys: Keys{fuzzKey: fuzzStreet}, Signer: auth.NewSigner(priv),
		Clock: clock.NewFake(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)), Log: slog.New(slog.DiscardHandler),
		Intake: intakev1.NewIntakeServiceClient(be), Routing: routingv1.NewRoutingServiceClient(be),
	}
	mux := http.NewServeMux()
	mux.HandleFunc(PostPattern, h.Post)
	routes := httpapi.WithLimits(mux, time.Minute)
	post := func(body string) (*httptest.ResponseRecorder, *intakev1.RaiseWhistleRequest) {
		r := httptest.NewRequest(http.MethodPost, Prefix+"requests.json", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		routes.ServeHTTP(rec, r)
		return rec, be.take()
	}
	f.Fuzz(func(t *testing.T, body string) {
		rec, raised := post(body)
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("answer %d is not JSON: %q", rec.Code, rec.Body.String())
		}
		form, formErr := url.ParseQuery(body)
		if raised == nil {
			if rec.Code < 400 || rec.Code > 499 {
				t.Fatalf("form %q raised nothing but answered %d: %s", body, rec.Code, rec.Body.String())
			}
			var list []specError
			if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || len(list) != 1 || list[0].Code != rec.Code || list[0].Description == "" {
				t.Fatalf("error answer %q is not the spec's error list", rec.Body.String())
			}
			return
		}
		if rec.Code != http.StatusOK {
			t.Fatalf("form %q raised but answered %d", body, rec.Code)
		}
		if formErr != nil {
			t.Fatalf("form %q that does not parse (%v) raised %v", body, formErr, raised)
		}
		get := func(name string) string { return strings.TrimSpace(form.Get(name)) }
		if get("api_key") != fuzzKey || raised.GetStreetId() != fuzzStreet {
			t.Fatalf("raised for street %q with api_key %q", raised.GetStreetId(), get("api_key"))
		}
		if raised.GetCategory() != get("service_code") || raised.GetCategory() == "" ||
			raised.GetDescription() != get("description") || raised.GetDescription() == "" ||
			raised.GetTitle() != get("attribute[title]") || raised.GetAddress() != get("address_string") {
			t.Fatalf("form %q raised %v", body, raised)
		}
		if get("lat") != "" || get("long") != "" {
			lat, errLat := strconv.ParseFloat(get("lat"), 64)
			lng, errLng := strconv.ParseFloat(get("long"), 64)
			if errLat != nil || errLng != nil {
				t.Fatalf("form %q with lat %q long %q raised", body, get("lat"), get("long"))
			}
			if !sameFloat(raised.GetLocation().GetLat(), lat) || !sameFloat(raised.GetLocation().GetLng(), lng) {
				t.Fatalf("form lat %q long %q reached intake as %v", get("lat"), get("long"), raised.GetLocation())
			}
		} else if !proto.Equal(raised.GetLocation(), fuzzCentroid) || (get("address_string") == "" && get("address_id") == "") {
			t.Fatalf("form %q without lat/long raised at %v", body, raised.GetLocation())
		}
		switch u := get("attribute[urgency]"); {
		case u == "" && raised.GetUrgency() != intakev1.Whistle_URGENCY_UNSPECIFIED,
			u != "" && raised.GetUrgency().String() != strings.ToUpper(u):
			t.Fatalf("attribute[urgency] %q raised as %v", u, raised.GetUrgency())
		}

		// Round trip: the accepted values as a fresh form raise the same whistle.
		again := url.Values{"api_key": {fuzzKey}, "service_code": {raised.GetCategory()}, "description": {raised.GetDescription()},
			"attribute[title]": {raised.GetTitle()}, "address_string": {raised.GetAddress()}}
		if get("lat") != "" || get("long") != "" {
			again.Set("lat", strconv.FormatFloat(raised.GetLocation().GetLat(), 'g', -1, 64))
			again.Set("long", strconv.FormatFloat(raised.GetLocation().GetLng(), 'g', -1, 64))
		} else if get("address_id") != "" {
			again.Set("address_id", get("address_id"))
		}
		if u := raised.GetUrgency(); u != intakev1.Whistle_URGENCY_UNSPECIFIED {
			again.Set("attribute[urgency]", u.String())
		}
		rec2, raised2 := post(again.Encode())
		if rec2.Code != http.StatusOK || !proto.Equal(raised2, raised) {
			t.Fatalf("accepted values %q did not round-trip: %d %s -> %v", again.Encode(), rec2.Code, rec2.Body.String(), raised2)
		}
	})
}

// sameFloat is == that also holds for NaN = NaN (intake rejects those, not the form).
func sameFloat(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
