package e2e_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
)

// gridToken is a grid worker of street on micro-grid grid.
func gridToken(t *testing.T, s *system, street, grid string) string {
	return s.token(t, auth.Identity{Role: auth.RoleGrid, StreetID: street, DistrictID: street[:6], GridID: grid})
}

// metres north of (lat, lng) in degrees of latitude.
func northOf(lat, metres float64) float64 { return lat + metres/111195.0 }

const spotLat, spotLng = 39.9146, 116.4036

// resolveAll has every desk of the whistle acknowledge, arrive and resolve.
func resolveAll(t *testing.T, s *system, w map[string]any, summary string) {
	t.Helper()
	for _, d := range list(w["dispatches"]) {
		d := obj(d)
		tok := deskToken(t, s, str(w["district_id"]), str(d["department"]))
		work(t, s, tok, str(d["id"]), spotLat, spotLng, summary)
	}
}

// TestDiscoveryToWhistle is issue 13's end-to-end acceptance: a grid worker
// and a resident report the same spot 30 m apart, the street sees one group
// and blows the whistle, the departments resolve, both reporters see the
// result and rate it, and a 12345 ticket for the same problem is linked to the
// whistle and found by its external number.
func TestDiscoveryToWhistle(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)
	// Dev sign-in issues grid tokens; the micro-grid is required.
	dev := s.do(t, http.MethodPost, "/v1/dev/tokens", "", map[string]any{"role": "grid", "street_id": donghuamen, "grid_id": "DHM-03"})
	require.Equal(t, http.StatusOK, dev.status, dev.raw)
	gridTok := str(dev.body["token"])
	noGrid := s.do(t, http.MethodPost, "/v1/dev/tokens", "", map[string]any{"role": "grid", "street_id": donghuamen})
	require.Equal(t, http.StatusBadRequest, noGrid.status, noGrid.raw)
	require.Contains(t, noGrid.raw, "grid_id")

	grid := s.do(t, http.MethodPost, "/v1/discovery/reports", gridTok, map[string]any{
		"category": "garbage", "description": "东华门大街垃圾桶满溢，垃圾堆在路边",
		"location": map[string]any{"lat": spotLat, "lng": spotLng},
		"photos":   []any{map[string]any{"url": "https://img.example/dhm-03/1.jpg", "content_type": "image/jpeg", "size_bytes": 182233}},
	})
	require.Equal(t, http.StatusOK, grid.status, grid.raw)
	gridReport := obj(grid.body["report"])
	require.Equal(t, "GRID", gridReport["source"])
	require.Equal(t, "DHM-03", gridReport["grid_id"])
	require.Equal(t, "RECEIVED", gridReport["status"])
	require.Equal(t, 2*time.Hour, parseTime(t, gridReport["triage_by"]).Sub(parseTime(t, gridReport["received_at"])))
	gridFollow := str(grid.body["follow_up_token"])
	require.NotEmpty(t, gridFollow)

	s.clock.Advance(5 * time.Minute)
	resident := s.do(t, http.MethodPost, "/v1/public/reports", "", map[string]any{
		"street_id": donghuamen, "category": "garbage", "description": "路口垃圾好几天没人清理，有异味",
		"location":     map[string]any{"lat": northOf(spotLat, 30), "lng": spotLng},
		"address":      "东华门大街12号院门口",
		"contact_name": "王小明", "contact_phone": "13800138000",
	})
	require.Equal(t, http.StatusOK, resident.status, resident.raw)
	residentReport := obj(resident.body["report"])
	require.Equal(t, "RESIDENT", residentReport["source"])
	require.Equal(t, true, residentReport["has_contact"])
	require.NotContains(t, resident.raw, "13800138000", "the contact never comes back out")
	residentFollow := str(resident.body["follow_up_token"])

	// A report elsewhere in the street stays a group of its own.
	s.do(t, http.MethodPost, "/v1/discovery/reports", gridTok, map[string]any{
		"category": "garbage", "description": "另一处垃圾", "location": map[string]any{"lat": northOf(spotLat, 400), "lng": spotLng}})

	// The street sees one group for the two reports 30 m apart.
	inbox := s.do(t, http.MethodGet, "/v1/streets/"+donghuamen+"/inbox", streetTok, nil)
	require.Equal(t, http.StatusOK, inbox.status, inbox.raw)
	groups := list(inbox.body["groups"])
	require.Len(t, groups, 2)
	// Newest first: the lone report filed last leads; the pair is named by its oldest.
	first := obj(groups[1])
	require.Equal(t, gridReport["id"], first["id"])
	var ids []string
	for _, r := range list(first["reports"]) {
		ids = append(ids, str(obj(r)["id"]))
	}
	require.Equal(t, []string{str(gridReport["id"]), str(residentReport["id"])}, ids)
	require.NotContains(t, inbox.raw, "13800138000")

	// A grid worker of another street cannot see this inbox; its own grid worker can.
	other := gridToken(t, s, "110101002", "JGS-01")
	require.Equal(t, http.StatusNotFound, s.do(t, http.MethodGet, "/v1/streets/"+donghuamen+"/inbox", other, nil).status)
	require.Equal(t, http.StatusOK, s.do(t, http.MethodGet, "/v1/streets/"+donghuamen+"/inbox", gridTok, nil).status)

	// Blow the whistle on the group.
	s.clock.Advance(20 * time.Minute)
	blow := s.do(t, http.MethodPost, "/v1/discovery/reports:triage", streetTok, map[string]any{
		"report_ids": ids, "action": "BLOW_WHISTLE",
		"whistle": map[string]any{"title": "东华门大街垃圾堆积", "urgency": "HIGH"},
	})
	require.Equal(t, http.StatusOK, blow.status, blow.raw)
	whistleID := str(obj(blow.body["whistle"])["id"])
	require.NotEmpty(t, whistleID)
	for _, r := range list(blow.body["reports"]) {
		require.Equal(t, "IN_PROGRESS", obj(r)["status"])
		require.Equal(t, whistleID, obj(r)["whistle_id"])
	}
	again := s.do(t, http.MethodPost, "/v1/discovery/reports:triage", streetTok, map[string]any{"report_ids": ids, "action": "BLOW_WHISTLE"})
	require.Equal(t, http.StatusOK, again.status, again.raw)
	require.Equal(t, whistleID, str(obj(again.body["whistle"])["id"]), "triaging the same reports again raises no second whistle")

	// Linked both ways: the whistle lists its reports.
	linked := s.do(t, http.MethodGet, "/v1/whistles/"+whistleID+"/reports", streetTok, nil)
	require.Equal(t, http.StatusOK, linked.status, linked.raw)
	require.Len(t, list(linked.body["reports"]), 2)

	// The 12345 hotline's ticket for the same problem is imported and merged into the whistle.
	supTok := supervisorToken(t, s, dongcheng)
	ticket := s.do(t, http.MethodPost, "/v1/tickets", supTok, map[string]any{
		"external_number": "BJ12345-20261123-0042", "street_id": donghuamen, "category": "garbage",
		"description": "市民来电：东华门大街垃圾堆积", "location": map[string]any{"lat": northOf(spotLat, 10), "lng": spotLng},
		"due_at": t0.Add(72 * time.Hour).Format(time.RFC3339),
	})
	require.Equal(t, http.StatusOK, ticket.status, ticket.raw)
	require.Equal(t, "HOTLINE", ticket.body["source"])
	require.True(t, t0.Add(72*time.Hour).Equal(parseTime(t, ticket.body["due_at"])), "the statutory limit is kept: %v", ticket.body["due_at"])
	merge := s.do(t, http.MethodPost, "/v1/discovery/reports:triage", streetTok, map[string]any{
		"report_ids": []string{str(ticket.body["id"])}, "action": "MERGE", "whistle_id": whistleID})
	require.Equal(t, http.StatusOK, merge.status, merge.raw)
	byNumber := s.do(t, http.MethodGet, "/v1/tickets/BJ12345-20261123-0042", supTok, nil)
	require.Equal(t, http.StatusOK, byNumber.status, byNumber.raw)
	require.Equal(t, whistleID, byNumber.body["whistle_id"])
	reimport := s.do(t, http.MethodPost, "/v1/tickets", supTok, map[string]any{
		"external_number": "BJ12345-20261123-0042", "street_id": donghuamen, "category": "garbage",
		"description": "重复导入", "due_at": t0.Add(72 * time.Hour).Format(time.RFC3339)})
	require.Equal(t, http.StatusOK, reimport.status, reimport.raw)
	require.Equal(t, ticket.body["id"], reimport.body["id"], "the same external number imports nothing new")

	// Not rateable while the departments work.
	pending := s.do(t, http.MethodGet, "/v1/public/follow-ups/"+gridFollow, "", nil)
	require.Equal(t, http.StatusOK, pending.status, pending.raw)
	require.Equal(t, "IN_PROGRESS", pending.body["status"])
	require.Equal(t, false, pending.body["can_rate"])
	early := s.do(t, http.MethodPost, "/v1/public/follow-ups/"+gridFollow+":rate", "", map[string]any{"satisfaction": 5, "fixed": true})
	require.Equal(t, http.StatusBadRequest, early.status, early.raw)

	// The departments resolve.
	var w map[string]any
	eventually(t, "dispatches of the whistle", func() bool {
		w = s.do(t, http.MethodGet, "/v1/whistles/"+whistleID, streetTok, nil).body
		return len(list(w["dispatches"])) == 2
	})
	resolveAll(t, s, w, "垃圾已清运，增设垃圾桶")

	// Both reporters (and the ticket) see the result.
	for _, tok := range []string{gridFollow, residentFollow} {
		var fu response
		eventually(t, "report closed with the result", func() bool {
			fu = s.do(t, http.MethodGet, "/v1/public/follow-ups/"+tok, "", nil)
			return fu.body["status"] == "CLOSED"
		})
		require.Contains(t, str(fu.body["result"]), "垃圾已清运")
		require.Equal(t, true, fu.body["can_rate"])
		require.NotContains(t, fu.raw, "13800138000")
		require.NotContains(t, fu.raw, "王小明")
	}
	eventually(t, "ticket closed", func() bool {
		return s.do(t, http.MethodGet, "/v1/tickets/BJ12345-20261123-0042", supTok, nil).body["status"] == "CLOSED"
	})

	// Both rate; the first "fixed" answer closes the resolved whistle with its rating.
	rg := s.do(t, http.MethodPost, "/v1/public/follow-ups/"+gridFollow+":rate", "", map[string]any{"satisfaction": 5, "comment": "清理及时", "fixed": true})
	require.Equal(t, http.StatusOK, rg.status, rg.raw)
	require.EqualValues(t, 5, rg.body["satisfaction"])
	rr := s.do(t, http.MethodPost, "/v1/public/follow-ups/"+residentFollow+":rate", "", map[string]any{"satisfaction": 4, "fixed": true})
	require.Equal(t, http.StatusOK, rr.status, rr.raw)
	closed := s.do(t, http.MethodGet, "/v1/whistles/"+whistleID, streetTok, nil)
	require.Equal(t, "CLOSED", closed.body["status"])
	require.EqualValues(t, 5, closed.body["satisfaction"])
	rated := s.do(t, http.MethodGet, "/v1/discovery/reports/"+str(residentReport["id"]), streetTok, nil)
	require.EqualValues(t, 4, rated.body["satisfaction"])
	require.Equal(t, true, rated.body["fixed"])

	// The public results count it all and expose nobody.
	pub := s.do(t, http.MethodGet, "/v1/public/results?street_id="+donghuamen, "", nil)
	require.Equal(t, http.StatusOK, pub.status, pub.raw)
	cur := obj(pub.body["current"])
	require.Equal(t, "2026-11", cur["month"])
	require.EqualValues(t, 4, cur["reports_received"])
	require.EqualValues(t, 1, cur["whistles_raised"])
	require.EqualValues(t, 2, cur["ratings"])
	require.EqualValues(t, 1, cur["satisfaction_rate"])
	require.EqualValues(t, 1, cur["arrival_on_time_rate"])
	require.EqualValues(t, 1, cur["resolution_rate"])
	require.Equal(t, "2026-10", obj(pub.body["previous"])["month"])
	district := s.do(t, http.MethodGet, "/v1/public/results?district_id="+dongcheng, "", nil)
	require.Equal(t, http.StatusOK, district.status, district.raw)
	for _, raw := range []string{pub.raw, district.raw} {
		assertNoPersonalData(t, raw)
	}

	// The public page and the resident's form are served without sign-in.
	for _, page := range []string{"/public/results.html", "/public/report.html", "/public/follow.html"} {
		resp, err := http.Get(s.url + page)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusOK, resp.StatusCode, page)
		require.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'self'")
	}

	// 物业 is an assignable party with its own desk.
	deps := s.do(t, http.MethodGet, "/v1/departments", streetTok, nil)
	require.Contains(t, deps.raw, `"property-management"`)
}

// assertNoPersonalData scans a public payload for names, phone numbers and
// addresses: the resident's contact, any 11-digit mobile number, and the
// report's street address.
func assertNoPersonalData(t *testing.T, raw string) {
	t.Helper()
	for _, secret := range []string{"王小明", "13800138000", "东华门大街12号院", "address", "contact", "description", "lat", "lng"} {
		require.NotContains(t, raw, secret, "public payload: %s", raw)
	}
	require.NotRegexp(t, `1[3-9][0-9]{9}`, raw, "a mobile number in the public payload")
}

// TestResidentFollowUpReopensNotFixed: the street hands a resident a
// follow-up token for an ordinary whistle; "not fixed" reopens the whistle
// (round 2 for the same departments), a later "fixed" closes it with the rating.
func TestResidentFollowUpReopensNotFixed(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)
	id, w := raise(t, s, donghuamen, "garbage", 2)

	issued := s.do(t, http.MethodPost, "/v1/whistles/"+id+":followUpToken", streetTok, map[string]any{})
	require.Equal(t, http.StatusOK, issued.status, issued.raw)
	token := str(issued.body["token"])
	require.NotEmpty(t, token)
	require.Equal(t, http.StatusNotFound, s.do(t, http.MethodPost, "/v1/whistles/"+id+":followUpToken", streetToken(t, s, "110101002"), map[string]any{}).status)

	resolveAll(t, s, w, "已清运")
	eventually(t, "whistle resolved", func() bool {
		return s.do(t, http.MethodGet, "/v1/whistles/"+id, streetTok, nil).body["status"] == "RESOLVED"
	})
	fu := s.do(t, http.MethodGet, "/v1/public/follow-ups/"+token, "", nil)
	require.Equal(t, http.StatusOK, fu.status, fu.raw)
	require.Equal(t, "whistle", fu.body["kind"])
	require.Equal(t, true, fu.body["can_rate"])
	require.Contains(t, str(fu.body["result"]), "已清运")

	bad := s.do(t, http.MethodPost, "/v1/public/follow-ups/"+token+":rate", "", map[string]any{"satisfaction": 6})
	require.Equal(t, http.StatusBadRequest, bad.status, bad.raw)
	fields := []string{}
	for _, d := range list(obj(bad.body["error"])["details"]) {
		fields = append(fields, str(obj(d)["field"]))
	}
	slices.Sort(fields)
	require.Equal(t, []string{"fixed", "satisfaction"}, fields)
	require.Equal(t, http.StatusNotFound, s.do(t, http.MethodGet, "/v1/public/follow-ups/not-a-token", "", nil).status)

	notFixed := s.do(t, http.MethodPost, "/v1/public/follow-ups/"+token+":rate", "", map[string]any{"satisfaction": 2, "comment": "还有垃圾", "fixed": false})
	require.Equal(t, http.StatusOK, notFixed.status, notFixed.raw)
	require.Equal(t, "REOPENED", s.do(t, http.MethodGet, "/v1/whistles/"+id, streetTok, nil).body["status"])
	// Round 2: the same departments are dispatched again.
	var w2 map[string]any
	eventually(t, "round 2 dispatches", func() bool {
		w2 = s.do(t, http.MethodGet, "/v1/whistles/"+id, streetTok, nil).body
		pending := 0
		for _, d := range list(w2["dispatches"]) {
			if obj(d)["status"] == "PENDING" {
				pending++
			}
		}
		return pending == 2
	})
	var timeline []string
	eventually(t, "the resident's reopen on the timeline", func() bool {
		timeline = timelineTypes(t, s, streetTok, id)
		return slices.Contains(timeline, "whistle.reopened") && slices.Contains(timeline, "report.rated")
	})
	require.False(t, strings.Contains(strings.Join(timeline, ","), "whistle.closed"))
}

// TestTriageClockWarnsAndBreaches: an untriaged report is flagged at 80 % of
// the 2-hour limit and breached at 2 hours, with events on the stream.
func TestTriageClockWarnsAndBreaches(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)
	r := s.do(t, http.MethodPost, "/v1/discovery/reports", gridToken(t, s, donghuamen, "DHM-01"), map[string]any{
		"category": "garbage", "description": "垃圾", "location": map[string]any{"lat": spotLat, "lng": spotLng}})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	id := str(obj(r.body["report"])["id"])
	state := func() string {
		return str(s.do(t, http.MethodGet, "/v1/discovery/reports/"+id, streetTok, nil).body["triage_sla"])
	}
	require.Equal(t, "", state())
	s.clock.Advance(97 * time.Minute)
	require.Equal(t, "WARNING", state())
	s.clock.Advance(24 * time.Minute)
	require.Equal(t, "BREACHED", state())
	eventually(t, "report.triage_breached published", func() bool {
		msg, err := s.js.Stream(t.Context(), "WHISTLE")
		if err != nil {
			return false
		}
		m, err := msg.GetLastMsgForSubject(t.Context(), "report.v1.triage_breached."+dongcheng)
		if err != nil {
			// The sweeper looks every 30 s of clock time: nudge the fake clock.
			s.clock.Advance(30 * time.Second)
			return false
		}
		return strings.Contains(string(m.Data), id)
	})
	// Handled locally, it leaves the inbox and the clock stops.
	h := s.do(t, http.MethodPost, "/v1/discovery/reports:triage", streetTok, map[string]any{
		"report_ids": []string{id}, "action": "HANDLE_LOCALLY", "result": "社区保洁已清理"})
	require.Equal(t, http.StatusOK, h.status, h.raw)
	require.Equal(t, "CLOSED", obj(list(h.body["reports"])[0])["status"])
	require.Equal(t, "", state())
	require.Empty(t, list(s.do(t, http.MethodGet, "/v1/streets/"+donghuamen+"/inbox", streetTok, nil).body["groups"]))
}

// TestOpen311ResidentRequestBecomesReport: a 311 app files a resident's
// request (attribute[reporter]=resident); it lands in the street's inbox as a
// report, its token is the follow-up token, and tokens/ and requests/ follow it.
func TestOpen311ResidentRequestBecomesReport(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	code, raw, _ := s.open311(t, http.MethodPost, "requests.json", url.Values{
		"api_key": {open311Key}, "service_code": {"garbage"}, "description": {"小区门口垃圾没人收"},
		"lat": {"39.9146"}, "long": {"116.4036"}, "attribute[reporter]": {"resident"},
		"first_name": {"小红"}, "phone": {"13900139000"},
	})
	require.Equal(t, http.StatusOK, code, raw)
	validate(t, "RequestResponse", raw)
	created := decodeJSONList(t, raw)[0]
	reportID, token := str(created["service_request_id"]), str(created["token"])
	require.NotEmpty(t, token)
	require.NotEqual(t, reportID, token)

	code, raw, _ = s.open311(t, http.MethodGet, "tokens/"+token+".json", nil)
	require.Equal(t, http.StatusOK, code, raw)
	validate(t, "TokenResponse", raw)
	require.Equal(t, reportID, str(decodeJSONList(t, raw)[0]["service_request_id"]))

	code, raw, _ = s.open311(t, http.MethodGet, "requests/"+reportID+".json", nil)
	require.Equal(t, http.StatusOK, code, raw)
	validate(t, "requests.json", raw)
	req := decodeJSONList(t, raw)[0]
	require.Equal(t, "open", req["status"])
	require.Equal(t, "garbage", req["service_code"])
	require.NotContains(t, raw, "13900139000")

	inbox := s.do(t, http.MethodGet, "/v1/streets/"+open311Street+"/inbox", streetToken(t, s, open311Street), nil)
	require.Equal(t, http.StatusOK, inbox.status, inbox.raw)
	require.Len(t, list(inbox.body["groups"]), 1)
	rep := obj(list(obj(list(inbox.body["groups"])[0])["reports"])[0])
	require.Equal(t, reportID, rep["id"])
	require.Equal(t, "RESIDENT", rep["source"])
	require.Equal(t, true, rep["has_contact"])

	// Handled by the street, the request is closed with the result.
	h := s.do(t, http.MethodPost, "/v1/discovery/reports:triage", streetToken(t, s, open311Street), map[string]any{
		"report_ids": []string{reportID}, "action": "HANDLE_LOCALLY", "result": "物业已清运"})
	require.Equal(t, http.StatusOK, h.status, h.raw)
	code, raw, _ = s.open311(t, http.MethodGet, "requests/"+reportID+".json", nil)
	require.Equal(t, http.StatusOK, code, raw)
	require.Equal(t, "closed", decodeJSONList(t, raw)[0]["status"])
	require.NotContains(t, raw, "物业已清运", "the street's words stay off the public view")
}
