package e2e_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The callers of the matrix, in the order of its columns. The object under
// test is a joint-enforcement whistle raised by 东华门街道 (东城区) and its
// police dispatch.
var matrixCallers = []string{
	"owner-street",      // 110101001, raised the whistle
	"district-street",   // another street of 东城区
	"other-street",      // a street of 朝阳区
	"owning-desk",       // 东城区 police
	"district-desk",     // 东城区 transport: same district, a department the whistle never reached
	"other-desk",        // 朝阳区 police: same department, other district
	"supervisor",        // 东城区 supervisor
	"other-supervisor",  // 朝阳区 supervisor
	"city-supervisor",   // supervisor without a district
	"admin",             //
	"no-token",          //
	"expired-token",     // the owning desk's token, expired a day ago
	"foreign-key-token", // the owning desk's identity, signed by a key nobody trusts
	"wrong-audience",    // the owning desk's token, trusted key, for another audience
	"not-yet-valid",     // the owning desk's token, trusted key, not before tomorrow
}

// Expected outcomes, one letter per caller:
//
//	A  allowed: 2xx, or a 4xx other than 401/403/404 (the call passed the access
//	   check and failed on the object's state or the input); on a list route
//	   the object must also be in the answer
//	H  allowed, but on a list route the object must NOT be in the answer
//	F  403 / PermissionDenied: the role may not use the route at all
//	N  404 / NotFound: out of scope, indistinguishable from an unknown id
//	U  401 / Unauthenticated
type outcome byte

// matrixFixture is what the routes act on.
type matrixFixture struct {
	whistleID, dispatchID string
	matrixObjects
}

// matrixRoute is one REST route and the gRPC method behind it.
type matrixRoute = authzRoute[matrixFixture, *backendClients]

// TestAuthorisationMatrix checks every route of authzMatrix for every caller,
// at the gateway and directly at the backend's gRPC port: the backends must
// hold the line by themselves, not rely on the gateway.
func TestAuthorisationMatrix(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	whistleID, w := raise(t, s, donghuamen, "joint-enforcement", 3)
	tokens := matrixTokens(t, s)
	f := matrixFixture{whistleID: whistleID, dispatchID: str(dispatchOf(t, w, "police")["id"]),
		matrixObjects: makeMatrixObjects(t, s, w, tokens)}
	// Making the objects moves the clock through an hour of webhook retries:
	// the matrix runs with tokens of the moment.
	tokens = matrixTokens(t, s)
	// Feedback learns the dispatch's desk from events; wait for it, so the
	// owning desk's rows do not race the projection.
	eventually(t, "feedback knows the police dispatch", func() bool {
		return s.do(t, http.MethodGet, "/v1/whistles/"+whistleID+"/timeline", tokens["owning-desk"], nil).status == http.StatusOK
	})
	clients := dialBackends(t, s)

	runAuthzMatrix(t, s, authzMatrix, matrixCallers, tokens, clients, f)
}

// The period of the SLA report row: the month of t0.
const reportFrom, reportTo = "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"

func mustTime(s string) time.Time {
	ts, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return ts
}

// allowedCode is a gRPC code that proves the call got past the access check.
func allowedCode(c codes.Code) bool {
	switch c {
	case codes.OK, codes.InvalidArgument, codes.FailedPrecondition, codes.AlreadyExists, codes.Aborted, codes.OutOfRange:
		return true
	}
	return false
}

func checkHTTPOutcome(t *testing.T, want outcome, isList bool, resp response, seen bool) {
	t.Helper()
	switch want {
	case 'A', 'H':
		require.True(t, resp.status < 500 && !slices.Contains([]int{401, 403, 404}, resp.status),
			"want the access check passed, got %d: %s", resp.status, resp.raw)
		if isList {
			require.Equal(t, http.StatusOK, resp.status, resp.raw)
			require.Equal(t, want == 'A', seen, "object in the list answer: %s", resp.raw)
		}
	case 'F':
		require.Equal(t, http.StatusForbidden, resp.status, resp.raw)
	case 'N':
		require.Equal(t, http.StatusNotFound, resp.status, resp.raw)
	case 'U':
		require.Equal(t, http.StatusUnauthorized, resp.status, resp.raw)
	default:
		t.Fatalf("unknown outcome %q", want)
	}
}

func checkGRPCOutcome(t *testing.T, want outcome, isList bool, err error, seen bool) {
	t.Helper()
	code := status.Code(err)
	switch want {
	case 'A', 'H':
		require.True(t, allowedCode(code), "want the access check passed, got %v", err)
		if isList {
			require.NoError(t, err)
			require.Equal(t, want == 'A', seen, "object in the list answer")
		}
	case 'F':
		require.Equal(t, codes.PermissionDenied, code, "err: %v", err)
	case 'N':
		require.Equal(t, codes.NotFound, code, "err: %v", err)
	case 'U':
		require.Equal(t, codes.Unauthenticated, code, "err: %v", err)
	default:
		t.Fatalf("unknown outcome %q", want)
	}
}
