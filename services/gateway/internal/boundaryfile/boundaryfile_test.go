package boundaryfile_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/limits"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	"github.com/chuishao/whistle/services/gateway/internal/boundaryfile"
)

// routing is a stand-in for routing's gRPC client: it records what it was sent.
type routing struct {
	got  *routingv1.ImportBoundariesRequest
	auth []string
	err  error
}

func (f *routing) ImportBoundaries(ctx context.Context, in *routingv1.ImportBoundariesRequest, _ ...grpc.CallOption) (*routingv1.BoundaryImport, error) {
	f.got = in
	md, _ := metadata.FromOutgoingContext(ctx)
	f.auth = md.Get("authorization")
	if f.err != nil {
		return nil, f.err
	}
	return &routingv1.BoundaryImport{Version: "draft", Units: 1, Added: 1}, nil
}

func post(h http.Handler, path, media, body, auth string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", media)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandlerTakesGeoJSONFilesWithTheirOptions(t *testing.T) {
	t.Parallel()
	imp := &routing{}
	h := boundaryfile.Handler(imp, time.Second)

	rec := post(h, boundaryfile.Path+"?level=street&coord_sys=GCJ02&replace=true&publish=1&code_property=XZQDM&description=v",
		"application/geo+json", `{"type":"FeatureCollection"}`, "Bearer t")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Contains(t, rec.Body.String(), `"version":"draft"`)
	require.Equal(t, `{"type":"FeatureCollection"}`, imp.got.GetGeojson())
	require.Equal(t, "street", imp.got.GetLevel())
	require.Equal(t, "GCJ02", imp.got.GetCoordSys())
	require.Equal(t, "XZQDM", imp.got.GetCodeProperty())
	require.Equal(t, "v", imp.got.GetDescription())
	require.True(t, imp.got.GetReplace())
	require.True(t, imp.got.GetPublish())
	require.Equal(t, []string{"Bearer t"}, imp.auth)

	require.Equal(t, http.StatusUnauthorized, post(h, boundaryfile.Path, "application/geo+json", `{}`, "").Code)
	require.Equal(t, http.StatusRequestEntityTooLarge,
		post(h, boundaryfile.Path, "application/geo+json", strings.Repeat("x", boundaryfile.MaxBytes+1), "Bearer t").Code)

	imp.err = status.Error(codes.PermissionDenied, "role street may not do this")
	rec = post(h, boundaryfile.Path, "application/geo+json", `{}`, "Bearer t")
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.Contains(t, rec.Body.String(), `"PERMISSION_DENIED"`)
}

// TestTheFileLimitFitsTheBackendsMessageLimit: a file the edge takes is never
// refused by routing as an oversized message.
func TestTheFileLimitFitsTheBackendsMessageLimit(t *testing.T) {
	t.Parallel()
	require.Equal(t, 3<<20, boundaryfile.MaxBytes)
	require.Less(t, boundaryfile.MaxBytes+64<<10, limits.MaxMessageBytes)
}
