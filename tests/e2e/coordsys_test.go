package e2e_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// A point 430 m inside Donghuamen's east edge, as WGS-84 and as 高德 (GCJ-02)
// and 百度 (BD-09) show it. Taken as WGS-84, the GCJ-02 point would lie 100 m
// inside the next street and the BD-09 one 650 m: far beyond the boundary
// buffer, so the whistle would be flagged as outside its street.
const (
	wgsLat, wgsLng = 39.910, 116.408
	gcjLat, gcjLng = 39.911403459614725, 116.41424277263809
	bdLat, bdLng   = 39.91765635923388, 116.42064418118562
)

// TestPointsFromChineseMapsAreStoredInWGS84: in a deployment whose clients
// mostly send GCJ-02 (WHISTLE_COORD_SYS=GCJ02), a point without coord_sys is
// taken as GCJ-02, a BD-09 or WGS-84 point says so, and each is stored —
// and checked against the street's map — as the same WGS-84 point, through
// REST, Open311 and a grid worker's report. A system it does not know is
// refused naming the field.
func TestPointsFromChineseMapsAreStoredInWGS84(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{coordSys: "GCJ02"})
	tok := streetToken(t, s, donghuamen)
	atWGS84 := func(what string, loc any) {
		t.Helper()
		l := obj(loc)
		require.InDelta(t, wgsLat, l["lat"], 1e-7, "%s: latitude %v", what, l)
		require.InDelta(t, wgsLng, l["lng"], 1e-7, "%s: longitude %v", what, l)
	}
	raise := func(loc map[string]any, coordSys string) map[string]any {
		t.Helper()
		body := map[string]any{"street_id": donghuamen, "category": "street-vending", "description": "占道经营", "location": loc}
		if coordSys != "" {
			body["coord_sys"] = coordSys
		}
		r := s.do(t, http.MethodPost, "/v1/whistles", tok, body)
		require.Equal(t, http.StatusCreated, r.status, r.raw)
		return r.body
	}

	gcj := raise(map[string]any{"lat": gcjLat, "lng": gcjLng}, "")
	atWGS84("GCJ-02 by default", gcj["location"])
	atWGS84("BD-09", raise(map[string]any{"lat": bdLat, "lng": bdLng}, "BD09")["location"])
	atWGS84("WGS-84, not converted twice", raise(map[string]any{"lat": wgsLat, "lng": wgsLng}, "wgs84")["location"])

	// Routing checks the stored point: inside the street, not flagged.
	id := str(gcj["id"])
	var w map[string]any
	eventually(t, "routing of "+id, func() bool {
		w = s.do(t, http.MethodGet, "/v1/whistles/"+id, tok, nil).body
		return w["routing"] != nil
	})
	require.Equal(t, "inside", str(obj(obj(w["routing"])["jurisdiction"])["result"]), w)

	// Checking a point before raising takes the same systems.
	locate := func(lat, lng float64, coordSys string) string {
		t.Helper()
		body := map[string]any{"location": map[string]any{"lat": lat, "lng": lng}}
		if coordSys != "" {
			body["coord_sys"] = coordSys
		}
		r := s.do(t, http.MethodPost, "/v1/streets/"+donghuamen+":locate", tok, body)
		require.Equal(t, http.StatusOK, r.status, r.raw)
		return str(r.body["result"])
	}
	require.Equal(t, "inside", locate(gcjLat, gcjLng, ""), "GCJ-02 by default")
	require.Equal(t, "inside", locate(bdLat, bdLng, "BD09"))
	require.Equal(t, "inside", locate(wgsLat, wgsLng, "WGS84"))
	require.Equal(t, "outside", locate(gcjLat, gcjLng, "WGS84"), "the 高德 point taken as WGS-84 is in the next street")

	// An unknown system is the caller's mistake, named by field; nothing is raised.
	r := s.do(t, http.MethodPost, "/v1/whistles", tok, map[string]any{"street_id": donghuamen, "category": "street-vending",
		"description": "占道经营", "location": map[string]any{"lat": gcjLat, "lng": gcjLng}, "coord_sys": "EPSG:4326"})
	require.Equal(t, http.StatusBadRequest, r.status, r.raw)
	require.Contains(t, r.raw, "coord_sys")

	// Open311: coord_sys is an extension parameter beside lat and long.
	code, raw, _ := s.open311(t, http.MethodPost, "requests.json", url.Values{
		"api_key": {open311Key}, "service_code": {"street-vending"}, "description": {"占道经营"}, "coord_sys": {"BD09"},
		"lat": {strconv.FormatFloat(bdLat, 'f', -1, 64)}, "long": {strconv.FormatFloat(bdLng, 'f', -1, 64)},
	})
	require.Equal(t, http.StatusOK, code, raw)
	created := decodeJSONList(t, raw)
	require.Len(t, created, 1)
	o := s.do(t, http.MethodGet, "/v1/whistles/"+str(created[0]["service_request_id"]), streetToken(t, s, open311Street), nil)
	require.Equal(t, http.StatusOK, o.status, o.raw)
	atWGS84("Open311 BD-09", o.body["location"])

	// A grid worker's report from 高德 (the default).
	rep := s.do(t, http.MethodPost, "/v1/discovery/reports", gridToken(t, s, donghuamen, "DHM-01"), map[string]any{
		"category": "garbage", "description": "垃圾桶满溢", "location": map[string]any{"lat": gcjLat, "lng": gcjLng}})
	require.Equal(t, http.StatusOK, rep.status, rep.raw)
	atWGS84("report", obj(rep.body["report"])["location"])

	// A 12345 export whose lat/lng columns are BD-09.
	sup := supervisorToken(t, s, dongcheng)
	csvBody := "external_number,street_id,category,description,lat,lng,address,received_at,due_at\n" +
		fmt.Sprintf("BD-1,%s,garbage,垃圾堆放,%v,%v,,,2026-11-26 08:00\n", donghuamen, bdLat, bdLng)
	imported := s.do(t, http.MethodPost, "/v1/tickets:importCsv?coord_sys=BD09", sup, csvBody, "Content-Type", "text/csv")
	require.Equal(t, http.StatusOK, imported.status, imported.raw)
	require.EqualValues(t, 1, imported.body["imported"], imported.raw)
	ticket := s.do(t, http.MethodGet, "/v1/tickets/BD-1", sup, nil)
	require.Equal(t, http.StatusOK, ticket.status, ticket.raw)
	atWGS84("12345 CSV in BD-09", ticket.body["location"])

	// Blown into a whistle, the report's stored point is not converted again.
	blown := s.do(t, http.MethodPost, "/v1/discovery/reports:triage", tok, map[string]any{
		"report_ids": []string{str(obj(rep.body["report"])["id"])}, "action": "BLOW_WHISTLE"})
	require.Equal(t, http.StatusOK, blown.status, blown.raw)
	atWGS84("blown whistle", obj(blown.body["whistle"])["location"])
}
