// Package httpapi is the gateway's REST edge: the grpc-gateway mux generated
// from the protos, configured to speak the public contract (snake_case JSON,
// enum names, one error shape, 201 on raise), plus the limits every request
// passes through.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/textproto"
	"regexp"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/telemetry"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	"github.com/chuishao/whistle/services/gateway/internal/apierror"
)

// MaxBodyBytes is the largest request body the gateway reads (1 MiB).
const MaxBodyBytes = 1 << 20

// RaiseWhistleMethod is the RPC whose success is answered 201 Created.
const RaiseWhistleMethod = "/whistle.intake.v1.IntakeService/RaiseWhistle"

// IdempotencyKeyHeader is the HTTP header forwarded to the backends as gRPC
// metadata "idempotency-key".
const IdempotencyKeyHeader = "Idempotency-Key"

// Backends are the client connections of the five services behind the gateway.
type Backends struct {
	Intake, Discovery, Routing, Response, Feedback grpc.ClientConnInterface
}

// NewGateway returns the mux serving every REST route of proto/http.yaml by
// calling the backends over gRPC.
func NewGateway(ctx context.Context, log *slog.Logger, b Backends) (*runtime.ServeMux, error) {
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &jsonMarshaler{JSONPb: runtime.JSONPb{
			MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true},
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
		}}),
		runtime.WithErrorHandler(errorHandler(log)),
		runtime.WithRoutingErrorHandler(routingErrorHandler),
		runtime.WithForwardResponseOption(createdOnRaise),
		runtime.WithIncomingHeaderMatcher(headerMatcher),
		runtime.WithOutgoingHeaderMatcher(outgoingHeaderMatcher),
		runtime.WithMiddlewares(nameRoute),
	)
	regs := []error{
		intakev1.RegisterIntakeServiceHandlerClient(ctx, mux, intakev1.NewIntakeServiceClient(b.Intake)),
		intakev1.RegisterReportServiceHandlerClient(ctx, mux, intakev1.NewReportServiceClient(b.Discovery)),
		routingv1.RegisterRoutingServiceHandlerClient(ctx, mux, routingv1.NewRoutingServiceClient(b.Routing)),
		responsev1.RegisterDispatchServiceHandlerClient(ctx, mux, responsev1.NewDispatchServiceClient(b.Response)),
		responsev1.RegisterSlaAdminServiceHandlerClient(ctx, mux, responsev1.NewSlaAdminServiceClient(b.Response)),
		feedbackv1.RegisterFeedbackServiceHandlerClient(ctx, mux, feedbackv1.NewFeedbackServiceClient(b.Feedback)),
	}
	if err := errors.Join(regs...); err != nil {
		return nil, fmt.Errorf("register REST handlers: %w", err)
	}
	return mux, nil
}

// nameRoute names the request's span and metrics by the matched route's
// template ("/v1/whistles/{id}"), not its path.
func nameRoute(next runtime.HandlerFunc) runtime.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
		if p, ok := runtime.HTTPPattern(r.Context()); ok {
			telemetry.SetRoute(r.Context(), r.Method, telemetry.PatternRoute(p.String()))
		}
		next(w, r, params)
	}
}

// WithLimits caps every request body at MaxBodyBytes and every request at
// timeout, so one slow or huge request cannot hold the gateway.
func WithLimits(next http.Handler, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &requestBody{ReadCloser: http.MaxBytesReader(w, r.Body, MaxBodyBytes)}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// requestBody remembers why decoding it failed. The generated handlers flatten
// a decode error into a plain InvalidArgument status; the error handler reads
// the reason back from here to answer 413 or name the "body" field.
type requestBody struct {
	io.ReadCloser
	tooLarge  bool
	decodeErr error
}

// BodyTooLarge reports whether reading r's body hit MaxBodyBytes. Handlers
// outside the grpc-gateway mux use it after their own decoding fails.
func BodyTooLarge(err error) bool {
	var maxErr *http.MaxBytesError
	return errors.As(err, &maxErr)
}

// jsonMarshaler is protojson with decode failures recorded on the body.
type jsonMarshaler struct {
	runtime.JSONPb
}

// NewDecoder decodes like JSONPb, but rejects data after the JSON value, and
// records a failure on a *requestBody.
func (m *jsonMarshaler) NewDecoder(r io.Reader) runtime.Decoder {
	return runtime.DecoderFunc(func(v any) error {
		err := m.decodeOne(r, v)
		if err == nil || errors.Is(err, io.EOF) { // an empty body is an empty request
			return err
		}
		if rb, ok := r.(*requestBody); ok {
			rb.tooLarge = BodyTooLarge(err)
			rb.decodeErr = err
		}
		return err
	})
}

// decodeOne reads exactly one JSON value from r into v. JSONPb's streaming
// decoder stops after the first value, so `{} {"street_id":"x"}` or `{}junk`
// would be accepted with the rest silently dropped (found by FuzzRaiseWhistleBody).
func (m *jsonMarshaler) decodeOne(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return err // io.EOF for an empty body
	}
	switch _, err := dec.Token(); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return fmt.Errorf("after the JSON value: %w", err)
	default:
		return errors.New("unexpected data after the JSON value")
	}
	return m.JSONPb.Unmarshal(raw, v)
}

func errorHandler(log *slog.Logger) runtime.ErrorHandlerFunc {
	return func(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
		if rb, ok := r.Body.(*requestBody); ok && rb.decodeErr != nil {
			if rb.tooLarge {
				apierror.Write(w, http.StatusRequestEntityTooLarge, apierror.CodePayloadTooLarge, "request body exceeds 1 MiB",
					apierror.Detail{Field: "body", Reason: "must be at most 1 MiB"})
				return
			}
			apierror.Write(w, http.StatusBadRequest, "INVALID_ARGUMENT", "malformed JSON body",
				apierror.Detail{Field: "body", Reason: rb.decodeErr.Error()})
			return
		}
		httpStatus := 0
		var hs *runtime.HTTPStatusError
		if errors.As(err, &hs) {
			httpStatus, err = hs.HTTPStatus, hs.Err
		}
		st := status.Convert(err)
		code := apierror.CodeName(st)
		if httpStatus == 0 {
			httpStatus = runtime.HTTPStatusFromCode(st.Code())
		} else if st.Code() == codes.Unknown && httpStatus == http.StatusBadRequest {
			code = "INVALID_ARGUMENT" // a malformed path escape, not a server fault
		}
		msg := st.Message()
		switch st.Code() {
		case codes.Unauthenticated:
			w.Header().Set("WWW-Authenticate", "Bearer")
		case codes.Unavailable:
			// The transport's message names internal addresses; say what the user can do.
			log.WarnContext(ctx, "backend unavailable", "path", r.URL.Path, "err", st.Message())
			msg = "a backend service is unavailable; try again shortly"
		case codes.Canceled:
			httpStatus = 499 // the client went away; nobody reads this
		}
		if httpStatus >= 500 && st.Code() != codes.Unavailable {
			log.ErrorContext(ctx, "request failed", "path", r.URL.Path, "code", code, "err", st.Message())
		}
		if msg == "" {
			msg = http.StatusText(httpStatus)
		}
		if msg == "" { // 499 has no status text; the shape promises a message (found by FuzzErrorShape)
			msg = strings.ToLower(strings.ReplaceAll(code, "_", " "))
		}
		details := apierror.FieldDetails(st)
		if m := queryFieldError.FindStringSubmatch(msg); m != nil && len(details) == 0 {
			details = []apierror.Detail{{Field: m[1], Reason: m[2]}} // a bad ?status=... value
		}
		apierror.Write(w, httpStatus, code, msg, details...)
	}
}

// queryFieldError matches grpc-gateway's message for a query parameter that
// does not parse, so the error can name the field like a backend's would.
var queryFieldError = regexp.MustCompile(`^parsing field "([a-z0-9_.]+)": (.+)$`)

func routingErrorHandler(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	switch httpStatus {
	case http.StatusNotFound:
		apierror.Write(w, httpStatus, "NOT_FOUND", fmt.Sprintf("no such path: %s", r.URL.Path))
	case http.StatusMethodNotAllowed:
		apierror.Write(w, httpStatus, apierror.CodeMethodNotAllowed, fmt.Sprintf("method %s is not allowed on %s", r.Method, r.URL.Path))
	case http.StatusBadRequest:
		apierror.Write(w, httpStatus, "INVALID_ARGUMENT", "malformed request path")
	default:
		apierror.Write(w, httpStatus, "INTERNAL", http.StatusText(httpStatus))
	}
}

// createdOnRaise answers a successful raise with 201: the contract promises it.
func createdOnRaise(ctx context.Context, w http.ResponseWriter, _ proto.Message) error {
	if method, ok := runtime.RPCMethod(ctx); ok && method == RaiseWhistleMethod {
		w.WriteHeader(http.StatusCreated)
	}
	return nil
}

// outgoingHeaderMatcher passes backend response metadata on as
// Grpc-Metadata-* headers, except the gRPC transport's own content type.
func outgoingHeaderMatcher(key string) (string, bool) {
	if strings.EqualFold(key, "content-type") {
		return "", false
	}
	return runtime.MetadataHeaderPrefix + key, true
}

func headerMatcher(key string) (string, bool) {
	if textproto.CanonicalMIMEHeaderKey(key) == IdempotencyKeyHeader {
		return "idempotency-key", true
	}
	return runtime.DefaultHeaderMatcher(key)
}
