package ticketcsv_test

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
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	"github.com/chuishao/whistle/services/gateway/internal/httpapi"
	"github.com/chuishao/whistle/services/gateway/internal/ticketcsv"
)

type fakeImporter struct {
	got  *intakev1.ImportTicketsCsvRequest
	auth []string
	err  error
}

func (f *fakeImporter) ImportTicketsCsv(ctx context.Context, in *intakev1.ImportTicketsCsvRequest, _ ...grpc.CallOption) (*intakev1.ImportTicketsCsvResponse, error) {
	f.got = in
	md, _ := metadata.FromOutgoingContext(ctx)
	f.auth = md.Get("authorization")
	if f.err != nil {
		return nil, f.err
	}
	return &intakev1.ImportTicketsCsvResponse{Rows: 1, Imported: 1}, nil
}

func TestHandlerImportsCSVBodies(t *testing.T) {
	t.Parallel()
	imp := &fakeImporter{}
	h := ticketcsv.Handler(imp, time.Second)

	req := httptest.NewRequest(http.MethodPost, ticketcsv.Path+"?source=12345&coord_sys=GCJ02", strings.NewReader("external_number\n"))
	req.Header.Set("Content-Type", "text/csv; charset=utf-8")
	req.Header.Set("Authorization", "Bearer t")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.JSONEq(t, `{"rows":1,"imported":1,"already_imported":0,"errors":[],"errors_omitted":0}`, rec.Body.String())
	require.Equal(t, "external_number\n", imp.got.GetCsv())
	require.Equal(t, "12345", imp.got.GetSource())
	require.Equal(t, "GCJ02", imp.got.GetCoordSys(), "the lat/lng columns' system")
	require.Equal(t, []string{"Bearer t"}, imp.auth)

	big := httptest.NewRequest(http.MethodPost, ticketcsv.Path, strings.NewReader(strings.Repeat("x", ticketcsv.MaxBytes+1)))
	big.Header.Set("Content-Type", "text/csv")
	big.Header.Set("Authorization", "Bearer t")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, big)
	require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)

	imp.err = status.Error(codes.PermissionDenied, "role desk imports no tickets")
	req = httptest.NewRequest(http.MethodPost, ticketcsv.Path, strings.NewReader("a\n"))
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer t")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.Contains(t, rec.Body.String(), `"PERMISSION_DENIED"`)

	// Without a token nothing is read.
	imp.got = nil
	req = httptest.NewRequest(http.MethodPost, ticketcsv.Path, strings.NewReader("a\n"))
	req.Header.Set("Content-Type", ticketcsv.XLSXType)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusUnauthorized, rec.Code)
	require.Equal(t, "Bearer", rec.Header().Get("WWW-Authenticate"))
	require.Nil(t, imp.got)
}

// TestTheEdgeLimitsFitTheBackendsMessageLimit: the CSV route reads at most the
// limit declared on the csv field, and both it and the JSON API's body limit
// stay below what a backend's gRPC server receives, so a body the edge takes
// is never refused as an oversized message.
func TestTheEdgeLimitsFitTheBackendsMessageLimit(t *testing.T) {
	t.Parallel()
	require.Equal(t, 3<<20, ticketcsv.MaxBytes)
	require.Less(t, ticketcsv.MaxBytes+64<<10, limits.MaxMessageBytes)
	require.Less(t, httpapi.MaxBodyBytes+64<<10, limits.MaxMessageBytes)
}
