package e2e_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestAnOversizedFreeTextFieldIsRefusedNamingIt: a street's manual 吹哨 with
// a reason of almost 1 MiB (just inside the gateway's body limit) is a 400
// naming "reason", and the whistle gains no department.
func TestAnOversizedFreeTextFieldIsRefusedNamingIt(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	id, _ := raise(t, s, donghuamen, "noise", 3)
	tok := streetToken(t, s, donghuamen)

	r := s.do(t, http.MethodPost, "/v1/whistles/"+id+":addDepartment", tok,
		map[string]any{"department": "transport", "reason": strings.Repeat("x", 1<<20-1024)})
	require.Equal(t, http.StatusBadRequest, r.status, "%.300s", r.raw)
	e := obj(r.body["error"])
	require.Equal(t, "INVALID_ARGUMENT", e["code"])
	details := list(e["details"])
	require.Len(t, details, 1, "%.300s", r.raw)
	require.Equal(t, "reason", obj(details[0])["field"])
	require.Contains(t, obj(details[0])["reason"], "at most 500 characters")

	explained := s.do(t, http.MethodGet, "/v1/whistles/"+id+"/routing", tok, nil)
	require.Equal(t, http.StatusOK, explained.status, explained.raw)
	require.NotContains(t, explained.raw, "transport", "nothing was added")

	// A reason within its limit is taken.
	ok := s.do(t, http.MethodPost, "/v1/whistles/"+id+":addDepartment", tok,
		map[string]any{"department": "transport", "reason": strings.Repeat("占", 500)})
	require.Equal(t, http.StatusOK, ok.status, "%.300s", ok.raw)
}

// TestATicketNumberBelongsToItsStreet: a 12345 number used by a street of one
// district neither blocks nor reveals the same number in another street, and a
// lookup answers the same whether the number is used elsewhere or nowhere.
func TestATicketNumberBelongsToItsStreet(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	const jianwai = "110105001" // 建外街道, 朝阳区
	due := time.Now().Add(72 * time.Hour).Format(time.RFC3339)
	ticket := func(street, number, description string) map[string]any {
		return map[string]any{"external_number": number, "street_id": street, "category": "garbage",
			"description": description, "due_at": due}
	}

	// 东华门 imports number N first (a squat on 建外's number, or the same number issued twice).
	squat := s.do(t, http.MethodPost, "/v1/tickets", streetToken(t, s, donghuamen), ticket(donghuamen, "BJ12345-N", "东华门的工单"))
	require.Equal(t, http.StatusOK, squat.status, squat.raw)

	// 朝阳's supervisor imports its own ticket N for 建外, and a number never used: both are new tickets.
	sup := supervisorToken(t, s, chaoyang)
	used := s.do(t, http.MethodPost, "/v1/tickets", sup, ticket(jianwai, "BJ12345-N", "建外的工单"))
	fresh := s.do(t, http.MethodPost, "/v1/tickets", sup, ticket(jianwai, "BJ12345-M", "建外的另一件"))
	for _, r := range []response{used, fresh} {
		require.Equal(t, http.StatusOK, r.status, r.raw)
		require.Equal(t, jianwai, r.body["street_id"])
		require.Equal(t, "RECEIVED", r.body["status"])
	}
	require.NotEqual(t, squat.body["id"], used.body["id"])
	require.Equal(t, "建外的工单", used.body["description"])

	// The same from 建外 itself: its number N is its own.
	jw := streetToken(t, s, jianwai)
	mine := s.do(t, http.MethodGet, "/v1/tickets/BJ12345-N", jw, nil)
	require.Equal(t, http.StatusOK, mine.status, mine.raw)
	require.Equal(t, used.body["id"], mine.body["id"])

	// A number used only in 东城 answers 朝阳 exactly like one used nowhere.
	onlyThere := s.do(t, http.MethodPost, "/v1/tickets", streetToken(t, s, donghuamen), ticket(donghuamen, "BJ12345-D", "只在东城"))
	require.Equal(t, http.StatusOK, onlyThere.status, onlyThere.raw)
	elsewhere := s.do(t, http.MethodGet, "/v1/tickets/BJ12345-D", sup, nil)
	nowhere := s.do(t, http.MethodGet, "/v1/tickets/BJ12345-X", sup, nil)
	require.Equal(t, http.StatusNotFound, elsewhere.status, elsewhere.raw)
	require.Equal(t, nowhere.status, elsewhere.status)
	require.Equal(t, nowhere.raw, elsewhere.raw)
	// And importing it in 朝阳 creates 朝阳's ticket, as for a new number.
	again := s.do(t, http.MethodPost, "/v1/tickets", jw, ticket(jianwai, "BJ12345-D", "建外也有"))
	require.Equal(t, http.StatusOK, again.status, again.raw)
	require.Equal(t, jianwai, again.body["street_id"])

	// 东城 still sees its own.
	theirs := s.do(t, http.MethodGet, "/v1/tickets/BJ12345-N", supervisorToken(t, s, dongcheng), nil)
	require.Equal(t, http.StatusOK, theirs.status, theirs.raw)
	require.Equal(t, squat.body["id"], theirs.body["id"])
}

// TestACSVOfBadRowsIsBoundedByTheRowLimit: rows the CSV reader cannot parse
// count against an import's row limit like good ones, and an import answers
// only the first 1,000 problems, counting the rest.
func TestACSVOfBadRowsIsBoundedByTheRowLimit(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	sup := supervisorToken(t, s, dongcheng)
	const header = "external_number,street_id,category,description,lat,lng,address,received_at,due_at\n"
	const unparseable = "a\"b\n" // a bare quote

	req, err := http.NewRequest(http.MethodPost, s.url+"/v1/tickets:importCsv", strings.NewReader(header+strings.Repeat(unparseable, 50001)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+sup)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	checkAnswer(t, req, resp.StatusCode, resp.Header, raw)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "%.300s", raw)
	var refused map[string]any
	require.NoError(t, json.Unmarshal(raw, &refused))
	e := obj(refused["error"])
	require.Equal(t, "csv", obj(list(e["details"])[0])["field"])
	require.Contains(t, e["message"], "more than 50000 rows")

	out := importCSV(t, s, sup, header+strings.Repeat(unparseable, 3000))
	require.EqualValues(t, 3000, out["rows"])
	require.EqualValues(t, 0, out["imported"])
	require.Len(t, list(out["errors"]), 1000)
	require.EqualValues(t, 2000, out["errors_omitted"])
	require.EqualValues(t, 2, obj(list(out["errors"])[0])["line"])
}
