package e2e_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestGridWorkerSeesOnlyItsMicroGrid: a grid worker reads, lists, sees in its
// inbox and on its live stream the reports of its own micro-grid only; the
// street committee sees every micro-grid's, another street none.
func TestGridWorkerSeesOnlyItsMicroGrid(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)
	mineTok, otherTok := gridToken(t, s, donghuamen, "DHM-01"), gridToken(t, s, donghuamen, "DHM-02")
	gridStream := openStream(t, s, mineTok, "")
	streetStream := openStream(t, s, streetTok, "")
	neighbourStream := openStream(t, s, streetToken(t, s, "110101002"), "")

	file := func(tok string, lat float64) string {
		t.Helper()
		r := s.do(t, http.MethodPost, "/v1/discovery/reports", tok, map[string]any{
			"category": "garbage", "description": "垃圾桶满溢", "location": map[string]any{"lat": lat, "lng": spotLng}})
		require.Equal(t, http.StatusOK, r.status, r.raw)
		return str(obj(r.body["report"])["id"])
	}
	theirs := file(otherTok, spotLat) // on the line between two micro-grids: 30 m apart, one group for the street
	mine := file(mineTok, northOf(spotLat, 30))

	// Read one report: another micro-grid's is out of scope (404), like another street's.
	require.Equal(t, http.StatusOK, s.do(t, http.MethodGet, "/v1/discovery/reports/"+mine, mineTok, nil).status)
	require.Equal(t, http.StatusNotFound, s.do(t, http.MethodGet, "/v1/discovery/reports/"+theirs, mineTok, nil).status)
	require.Equal(t, http.StatusOK, s.do(t, http.MethodGet, "/v1/discovery/reports/"+theirs, streetTok, nil).status)
	// A resident's report carries no micro-grid: the whole street's, every grid worker reads it.
	resident := s.do(t, http.MethodPost, "/v1/public/reports", "", map[string]any{"street_id": donghuamen, "category": "garbage",
		"description": "路灯下堆了垃圾", "location": map[string]any{"lat": northOf(spotLat, 800), "lng": spotLng}})
	require.Equal(t, http.StatusOK, resident.status, resident.raw)
	require.Equal(t, http.StatusOK, s.do(t, http.MethodGet, "/v1/discovery/reports/"+str(obj(resident.body["report"])["id"]), mineTok, nil).status)

	ids := func(items []any) []string {
		var out []string
		for _, r := range items {
			out = append(out, str(obj(r)["id"]))
		}
		return out
	}
	listed := s.do(t, http.MethodGet, "/v1/discovery/reports", mineTok, nil)
	require.Equal(t, http.StatusOK, listed.status, listed.raw)
	require.ElementsMatch(t, []string{mine, str(obj(resident.body["report"])["id"])}, ids(list(listed.body["reports"])))

	// The street's inbox groups both (the resident's, 800 m away and filed
	// last, is a group of its own and leads: newest first); the grid worker's
	// shows its own part of the group.
	inbox := s.do(t, http.MethodGet, "/v1/streets/"+donghuamen+"/inbox", streetTok, nil)
	require.Equal(t, http.StatusOK, inbox.status, inbox.raw)
	require.Len(t, list(inbox.body["groups"]), 2)
	require.ElementsMatch(t, []string{mine, theirs}, ids(list(obj(list(inbox.body["groups"])[1])["reports"])))
	gridInbox := s.do(t, http.MethodGet, "/v1/streets/"+donghuamen+"/inbox", mineTok, nil)
	require.Equal(t, http.StatusOK, gridInbox.status, gridInbox.raw)
	require.Len(t, list(gridInbox.body["groups"]), 2)
	require.Equal(t, []string{mine}, ids(list(obj(list(gridInbox.body["groups"])[1])["reports"])))

	// The live stream: report.filed reaches the street and the grid worker of
	// its micro-grid; the other micro-grid's report and the neighbour see none.
	filedID := func(ev sseEvent) string { return str(obj(obj(ev.data["report_filed"])["report"])["id"]) }
	seen := gridStream.until(t, 10*time.Second, func(ev sseEvent) bool { return filedID(ev) == mine })
	for _, ev := range seen {
		require.NotEqual(t, theirs, filedID(ev), "the grid worker saw another micro-grid's report")
	}
	var street []string
	streetStream.until(t, 10*time.Second, func(ev sseEvent) bool {
		if ev.name == "report.filed" {
			street = append(street, filedID(ev))
		}
		return len(street) == 2
	})
	require.ElementsMatch(t, []string{mine, theirs}, street)
	// The neighbour's stream: a report of its own street is the first report event it gets.
	file(streetToken(t, s, "110101002"), 39.9300)
	ev := neighbourStream.until(t, 10*time.Second, func(ev sseEvent) bool { return ev.name == "report.filed" })
	require.Equal(t, "110101002", obj(obj(ev[len(ev)-1].data["report_filed"])["report"])["street_id"])
}

// TestOpen311DeclaresTheReporterAttribute: the service definitions declare
// attribute[reporter] (value resident), which files a resident's report.
func TestOpen311DeclaresTheReporterAttribute(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	code, raw, _ := s.open311(t, http.MethodGet, "services/garbage.json", nil)
	require.Equal(t, http.StatusOK, code, raw)
	validate(t, "service-definition.json", raw)
	var def struct {
		Attributes []struct {
			Code     string `json:"code"`
			Datatype string `json:"datatype"`
			Required bool   `json:"required"`
			Values   []struct {
				Key string `json:"key"`
			} `json:"values"`
		} `json:"attributes"`
	}
	require.NoError(t, json.Unmarshal([]byte(raw), &def), raw)
	var codes []string
	for _, a := range def.Attributes {
		codes = append(codes, a.Code)
		if a.Code == "reporter" {
			require.Equal(t, "singlevaluelist", a.Datatype)
			require.False(t, a.Required)
			require.Len(t, a.Values, 1)
			require.Equal(t, "resident", a.Values[0].Key)
		}
	}
	require.Equal(t, []string{"urgency", "title", "reporter"}, codes)

	code, raw, _ = s.open311(t, http.MethodGet, "services/garbage.xml", nil)
	require.Equal(t, http.StatusOK, code, raw)
	require.Contains(t, raw, "<code>reporter</code>")
}
