package e2e_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/services/gateway/evidencetest"
)

// TestArrivalMeansArrival: on one joint-enforcement whistle, police checks
// in 40 m from the whistle with the phone's position and a photo and
// resolves with an after-photo; urban management checks in 1.5 km away;
// environment has no position at all. The timeline lists both photos with
// their hashes and each arrival's check (the distance, far, unlocated), and
// the department scorecards count the far and the unlocated arrival.
func TestArrivalMeansArrival(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)
	id, w := raise(t, s, donghuamen, "joint-enforcement", 3) // at 39.9146, 116.4036
	desks, ids := map[string]string{}, map[string]string{}
	for _, dept := range []string{"police", "urban-management", "environment"} {
		desks[dept] = deskToken(t, s, dongcheng, dept)
		ids[dept] = str(dispatchOf(t, w, dept)["id"])
	}
	act := func(dept, action string, body map[string]any) map[string]any {
		t.Helper()
		r := s.do(t, http.MethodPost, "/v1/dispatches/"+ids[dept]+":"+action, desks[dept], body)
		require.Equal(t, http.StatusOK, r.status, "%s %s: %s", dept, action, r.raw)
		return r.body
	}
	s.clock.Advance(3 * time.Minute)
	for dept := range desks {
		act(dept, "acknowledge", map[string]any{})
	}
	s.clock.Advance(10 * time.Minute)

	// Police: 40 m north, as the phone's Geolocation API reports it, and a photo.
	police := act("police", "arrive", map[string]any{
		"location": map[string]any{"lat": metresNorth(39.9146, 40), "lng": 116.4036}, "accuracy_m": 12, "coord_sys": "WGS84"})
	require.InDelta(t, 40, police["arrival_distance_m"], 0.5)
	require.Equal(t, false, police["arrival_far"], "40 m is on site")
	require.Equal(t, 12.0, police["arrival_accuracy_m"])
	onSite := evidencetest.JPEGWithGPS(t, 800, 600, 39.91496, 116.40360)
	r := upload(t, s, id, "arrival", desks["police"], onSite)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	arrivalPhoto := r.body

	// Urban management: 1.5 km away, flagged. Environment: no position, marked.
	far := act("urban-management", "arrive", map[string]any{"location": map[string]any{"lat": metresNorth(39.9146, 1500), "lng": 116.4036}})
	require.Equal(t, true, far["arrival_far"])
	require.InDelta(t, 1500, far["arrival_distance_m"], 1)
	unlocated := act("environment", "arrive", map[string]any{})
	require.Equal(t, "ARRIVED", unlocated["status"])
	require.Equal(t, true, unlocated["arrival_unlocated"])
	require.Nil(t, unlocated["arrival_location"])
	// An accuracy without a position is refused, naming the field.
	r = s.do(t, http.MethodPost, "/v1/dispatches/"+ids["police"]+":arrive", desks["police"], map[string]any{"accuracy_m": 10})
	require.Equal(t, http.StatusBadRequest, r.status, r.raw)
	require.Contains(t, r.raw, "accuracy_m")

	s.clock.Advance(40 * time.Minute)
	act("police", "resolve", map[string]any{"summary": "已责令停工，现场恢复"})
	after := evidencetest.JPEGWithGPS(t, 800, 600, 39.91495, 116.40361)
	r = upload(t, s, id, "resolution", desks["police"], after)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	resolutionPhoto := r.body

	// The timeline: each arrival with its check, both photos with their hashes.
	eventually(t, "arrivals and photos on the timeline", func() bool {
		tl := s.do(t, http.MethodGet, "/v1/whistles/"+id+"/timeline", streetTok, nil)
		arrivals := map[string]map[string]any{}
		var photos []map[string]any
		for _, e := range list(tl.body["entries"]) {
			e := obj(e)
			switch e["type"] {
			case "dispatch.arrived":
				require.NotEmpty(t, e["hash"])
				arrivals[str(e["department"])] = obj(obj(e["data"])["dispatch"])
			case "whistle.attachment_added":
				require.NotEmpty(t, e["hash"])
				photos = append(photos, obj(obj(e["data"])["attachment"]))
			}
		}
		if len(arrivals) < 3 || len(photos) < 2 {
			return false
		}
		require.InDelta(t, 40, arrivals["police"]["arrival_distance_m"], 0.5)
		require.Nil(t, arrivals["police"]["arrival_far"])
		require.Equal(t, 12.0, arrivals["police"]["arrival_accuracy_m"])
		require.Equal(t, true, arrivals["urban-management"]["arrival_far"])
		require.InDelta(t, 1500, arrivals["urban-management"]["arrival_distance_m"], 1)
		require.Equal(t, true, arrivals["environment"]["arrival_unlocated"])
		require.Nil(t, arrivals["environment"]["arrival_distance_m"])
		require.Equal(t, []string{"arrival", "resolution"}, []string{str(photos[0]["stage"]), str(photos[1]["stage"])})
		require.Equal(t, sha(onSite), photos[0]["sha256"])
		require.Equal(t, arrivalPhoto["sha256"], photos[0]["sha256"])
		require.Equal(t, sha(after), photos[1]["sha256"])
		require.Equal(t, resolutionPhoto["sha256"], photos[1]["sha256"])
		require.Equal(t, ids["police"], photos[1]["dispatch_id"])
		return true
	})

	// The department scorecards count the far and the unlocated arrival.
	supervisorTok := s.token(t, auth.Identity{Role: auth.RoleSupervisor, DistrictID: dongcheng})
	q := url.Values{"district": {dongcheng}, "from": {t0.Add(-time.Hour).Format(time.RFC3339)}, "to": {t0.Add(24 * time.Hour).Format(time.RFC3339)}}
	cards := map[string]map[string]any{}
	eventually(t, "the arrivals in the scorecards", func() bool {
		sc := s.do(t, http.MethodGet, "/v1/reports/scorecards?"+q.Encode(), supervisorTok, nil)
		require.Equal(t, http.StatusOK, sc.status, sc.raw)
		for _, c := range list(sc.body["scorecards"]) {
			cards[str(obj(c)["key"])] = obj(c)
		}
		return len(cards) == 3 && cards["environment"]["unlocated_arrivals"] == "1" && cards["urban-management"]["far_arrivals"] == "1"
	})
	// int64 counts are strings in proto JSON.
	require.Equal(t, "0", cards["police"]["far_arrivals"])
	require.Equal(t, "0", cards["police"]["unlocated_arrivals"])
	require.Equal(t, "0", cards["urban-management"]["unlocated_arrivals"])
	require.Equal(t, "0", cards["environment"]["far_arrivals"])
}
