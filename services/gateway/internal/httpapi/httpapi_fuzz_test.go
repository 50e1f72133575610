package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
)

// fakeBackend stands in for the four services: it records the last request
// and answers with a whistle, or with err when set.
type fakeBackend struct {
	mu   sync.Mutex
	last proto.Message
	err  error
}

func (b *fakeBackend) Invoke(_ context.Context, method string, args, reply any, _ ...grpc.CallOption) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.last = proto.Clone(args.(proto.Message))
	if b.err != nil {
		return b.err
	}
	if w, ok := reply.(*intakev1.Whistle); ok && method == RaiseWhistleMethod {
		in := args.(*intakev1.RaiseWhistleRequest)
		w.Id, w.StreetId, w.Category, w.Description, w.Location = "w1", in.GetStreetId(), in.GetCategory(), in.GetDescription(), in.GetLocation()
		w.RaisedAt = timestamppb.New(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	}
	return nil
}

func (b *fakeBackend) NewStream(context.Context, *grpc.StreamDesc, string, ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, status.Error(codes.Unimplemented, "no streams in the fake")
}

func (b *fakeBackend) take() proto.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.last
	b.last = nil
	return m
}

func fuzzGateway(f *testing.F) (http.Handler, *fakeBackend) {
	f.Helper()
	be := &fakeBackend{}
	mux, err := NewGateway(context.Background(), slog.New(slog.DiscardHandler), Backends{Intake: be, Routing: be, Response: be, Feedback: be})
	if err != nil {
		f.Fatal(err)
	}
	return WithLimits(mux, time.Minute), be
}

// errorShape decodes the one error shape, failing on anything else: a JSON
// object whose error has a code, a message and a details array.
func errorShape(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error answered as %q", ct)
	}
	var body struct {
		Error *struct {
			Code    string            `json:"code"`
			Message string            `json:"message"`
			Details []json.RawMessage `json:"details"`
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.Error == nil {
		t.Fatalf("error body %q is not the error shape: %v", rec.Body.String(), err)
	}
	if body.Error.Code == "" || body.Error.Message == "" || body.Error.Details == nil {
		t.Fatalf("error body %q lacks code, message or details", rec.Body.String())
	}
	var raw map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &raw)
	return raw["error"].(map[string]any)
}

// FuzzRaiseWhistleBody posts arbitrary bodies to POST /v1/whistles through
// the real mux and marshaler: nothing panics; a body protojson would not
// accept whole is answered 400 in the error shape and never reaches intake;
// an accepted body reaches intake exactly as protojson reads it (so intake's
// checks — lat 91, unknown urgency — see the client's real values, nothing
// silently dropped or defaulted); and the response, decoded and posted again,
// reaches intake unchanged.
func FuzzRaiseWhistleBody(f *testing.F) {
	for _, s := range []string{
		`{"street_id":"110101001","category":"noise","description":"工地夜间施工","location":{"lat":39.9,"lng":116.4}}`,
		`{"streetId":"110101001","category":"noise","description":"d","location":{"lat":91,"lng":116.4},"urgency":"CRITICAL"}`,
		`{"street_id":"110101001","urgency":2,"title":"t","address":"a"}`,
		`{"location":{"lat":"NaN","lng":"-Infinity"}}`,
		`{"location":{"lat":1e400}}`,
		`{"urgency":"PANIC"}`,
		`{"unknown_field":1}`,
		`{"street_id":110101001}`,
		`{"description":"\ud800"}`,
		`{"street_id":"a","street_id":"b"}`,
		`{} {"street_id":"smuggled"}`,
		`{}garbage`,
		`[]`,
		`null`,
		``,
		`{`,
		"\xff\xfe",
	} {
		f.Add([]byte(s))
	}
	h, be := fuzzGateway(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/whistles", bytes.NewReader(body)))
		got := be.take()

		var want intakev1.RaiseWhistleRequest
		wantErr := protojson.Unmarshal(body, &want)
		if len(bytes.Trim(body, " \t\r\n")) == 0 {
			wantErr = nil // an empty body is an empty request
		}
		if wantErr != nil {
			if rec.Code != http.StatusBadRequest || got != nil {
				t.Fatalf("body %q that protojson rejects (%v) answered %d, reached intake: %v", body, wantErr, rec.Code, got != nil)
			}
			e := errorShape(t, rec)
			if e["code"] != "INVALID_ARGUMENT" {
				t.Fatalf("malformed body answered code %v", e["code"])
			}
			return
		}
		if rec.Code != http.StatusCreated {
			t.Fatalf("body %q answered %d: %s", body, rec.Code, rec.Body.String())
		}
		if !proto.Equal(zeroSign(got), zeroSign(&want)) {
			t.Fatalf("body %q reached intake as %v, protojson reads %v", body, got, &want)
		}

		// Round trip: the request as the gateway would write it goes through unchanged.
		again, err := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/whistles", bytes.NewReader(again)))
		if rec.Code != http.StatusCreated || !proto.Equal(zeroSign(be.take()), zeroSign(got)) {
			t.Fatalf("valid request %s did not round-trip: %d %s", again, rec.Code, rec.Body.String())
		}
	})
}

// zeroSign treats a location's -0 as 0: the same coordinate, though
// proto.Equal tells the two apart and the decoder does not keep the sign.
func zeroSign(m proto.Message) proto.Message {
	r, ok := proto.Clone(m).(*intakev1.RaiseWhistleRequest)
	if !ok {
		return m
	}
	if loc := r.GetLocation(); loc != nil {
		loc.Lat += 0 // -0 + 0 is +0
		loc.Lng += 0
	}
	return r
}

// FuzzErrorShape answers every kind of backend failure — any code, any
// message, any field violation — and checks the client always gets the one
// error shape with a 4xx/5xx status and the violations as details.
func FuzzErrorShape(f *testing.F) {
	f.Add(uint32(codes.InvalidArgument), "invalid whistle", "location.lat", "must be between -90 and 90")
	f.Add(uint32(codes.NotFound), "whistle w1 not found", "", "")
	f.Add(uint32(codes.Unauthenticated), "", "", "")
	f.Add(uint32(codes.Unavailable), "dial tcp 10.0.0.1:7101: connection refused", "", "")
	f.Add(uint32(codes.Internal), "boom", "", "")
	f.Add(uint32(codes.Canceled), "client went away", "", "")
	f.Add(uint32(0), "ok but an error", "", "")
	f.Add(uint32(99), "no such code", "x", "y")
	f.Add(uint32(codes.InvalidArgument), `parsing field "status": "X" is not valid`, "", "")
	f.Add(uint32(codes.FailedPrecondition), "\xff\x00<script>", "\xff", "\"}")
	h, be := fuzzGateway(f)
	f.Fuzz(func(t *testing.T, code uint32, msg, field, reason string) {
		st := status.New(codes.Code(code), msg)
		if field != "" || reason != "" {
			if withDetails, err := st.WithDetails(&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: field, Description: reason}}}); err == nil {
				st = withDetails
			}
		}
		be.mu.Lock()
		be.err = st.Err()
		be.mu.Unlock()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/whistles", bytes.NewReader([]byte(`{"street_id":"110101001"}`))))
		_ = be.take()
		if codes.Code(code) == codes.OK {
			return // status.Error(OK) is no error: the fake answered success
		}
		if rec.Code < 400 || rec.Code > 599 {
			t.Fatalf("code %d answered HTTP %d", code, rec.Code)
		}
		e := errorShape(t, rec)
		if len(st.Details()) > 0 && len(e["details"].([]any)) == 0 {
			t.Fatalf("field violation %q: %q was dropped: %s", field, reason, rec.Body.String())
		}
	})
}

// TestRaiseBodyIsOneJSONValue pins what FuzzRaiseWhistleBody found: data
// after the JSON object used to be dropped silently and the raise accepted.
func TestRaiseBodyIsOneJSONValue(t *testing.T) {
	t.Parallel()
	be := &fakeBackend{}
	mux, err := NewGateway(context.Background(), slog.New(slog.DiscardHandler), Backends{Intake: be, Routing: be, Response: be, Feedback: be})
	if err != nil {
		t.Fatal(err)
	}
	h := WithLimits(mux, time.Minute)
	for _, body := range []string{`{"street_id":"1"} {"street_id":"2"}`, `{"street_id":"1"}junk`, `{"street_id":"1"}}`} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/whistles", bytes.NewReader([]byte(body))))
		if rec.Code != http.StatusBadRequest || be.take() != nil {
			t.Fatalf("body %q answered %d: %s", body, rec.Code, rec.Body.String())
		}
		if e := errorShape(t, rec); e["message"] != "malformed JSON body" {
			t.Fatalf("body %q answered %v", body, e)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/whistles", bytes.NewReader([]byte("{\"street_id\":\"1\"}\n"))))
	if rec.Code != http.StatusCreated {
		t.Fatalf("a body with a trailing newline answered %d", rec.Code)
	}
}
