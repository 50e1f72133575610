package servertime_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/services/gateway/internal/servertime"
)

func TestAnswersTheServicesClockAndScale(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 23, 9, 0, 0, 123456789, time.FixedZone("CST", 8*3600))
	for _, tc := range []struct {
		scale, want float64
	}{{60, 60}, {0, 1}} {
		rec := httptest.NewRecorder()
		servertime.Handler(clock.NewFake(at), tc.scale).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, servertime.Path, nil))
		require.Equal(t, http.StatusOK, rec.Code)
		require.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
		var got servertime.Response
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
		require.Equal(t, servertime.Response{Now: "2026-11-23T01:00:00.123456789Z", Scale: tc.want}, got)
	}
}
