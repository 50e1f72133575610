package steady_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/tools/bench/internal/steady"
)

func TestTheDesksActOnEachDispatchInTurnAsItsDesk(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var calls []string
	var arrivedAt map[string]float64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/dev/tokens" {
			var in map[string]string
			require.NoError(t, json.NewDecoder(r.Body).Decode(&in))
			_ = json.NewEncoder(w).Encode(map[string]string{"token": in["role"] + ":" + in["department"] + "@" + in["district_id"]})
			return
		}
		var body map[string]json.RawMessage
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, r.Header.Get("Authorization")+" "+r.URL.Path)
		if loc, ok := body["location"]; ok {
			require.NoError(t, json.Unmarshal(loc, &arrivedAt))
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c, err := steady.NewClient(srv.URL)
	require.NoError(t, err)

	d := steady.NewDesks(c, steady.DeskDelays{Ack: time.Millisecond, Arrive: 2 * time.Millisecond, Resolve: 3 * time.Millisecond})
	d.Raised("w1", steady.LatLng{Lat: 39.91, Lng: 116.40})
	d.Created(t.Context(), steady.Created{DispatchID: "d1", WhistleID: "w1", Department: "police", DistrictID: "110101"}, time.Now())
	got := d.Wait()

	require.Equal(t, []string{
		"Bearer desk:police@110101 /v1/dispatches/d1:acknowledge",
		"Bearer desk:police@110101 /v1/dispatches/d1:arrive",
		"Bearer desk:police@110101 /v1/dispatches/d1:resolve",
	}, calls)
	require.Equal(t, map[string]float64{"lat": 39.91, "lng": 116.40}, arrivedAt, "the desk checks in where the whistle was raised")
	require.Equal(t, 1, got.Resolved.Count)
	require.Zero(t, got.Failed)
}
