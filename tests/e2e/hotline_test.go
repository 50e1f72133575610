package e2e_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	csvpkg "encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// importTicket imports one ticket of 东华门 as the district's supervisor.
func importTicket(t *testing.T, s *system, number, ticketType string) map[string]any {
	t.Helper()
	r := s.do(t, http.MethodPost, "/v1/tickets", supervisorToken(t, s, dongcheng), map[string]any{
		"external_number": number, "street_id": donghuamen, "category": "garbage", "description": "市民来电反映垃圾堆积",
		"location": map[string]any{"lat": spotLat, "lng": spotLng}, "ticket_type": ticketType})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	return r.body
}

// blowOn blows the whistle on a ticket and returns the whistle once its
// dispatches exist.
func blowOn(t *testing.T, s *system, ticket map[string]any) map[string]any {
	t.Helper()
	tok := streetToken(t, s, donghuamen)
	r := s.do(t, http.MethodPost, "/v1/discovery/reports:triage", tok, map[string]any{
		"report_ids": []string{str(ticket["id"])}, "action": "BLOW_WHISTLE",
		"whistle": map[string]any{"title": "12345：东华门大街垃圾堆积", "urgency": "HIGH"}})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	id := str(obj(r.body["whistle"])["id"])
	var w map[string]any
	eventually(t, "dispatches of "+id, func() bool {
		w = s.do(t, http.MethodGet, "/v1/whistles/"+id, tok, nil).body
		return len(list(w["dispatches"])) == 2
	})
	return w
}

// TestTicketClockBreachesApartFromTheWhistle: an urgent ticket (2 h) breaches
// its statutory clock while its whistle's departments are on time; a general
// ticket (7 d) does not breach while its whistle's departments breach
// theirs. Each ticket's breach is recorded once, with its event.
func TestTicketClockBreachesApartFromTheWhistle(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)
	urgent := importTicket(t, s, "BJ12345-URG-1", "紧急")
	general := importTicket(t, s, "BJ12345-GEN-1", "general")
	require.Equal(t, "urgent", urgent["ticket_type"])
	require.Equal(t, 2*time.Hour, parseTime(t, urgent["due_at"]).Sub(parseTime(t, urgent["received_at"])))
	require.Equal(t, 7*24*time.Hour, parseTime(t, general["due_at"]).Sub(parseTime(t, general["received_at"])))
	bad := s.do(t, http.MethodPost, "/v1/tickets", supervisorToken(t, s, dongcheng), map[string]any{
		"external_number": "BJ12345-BAD-1", "street_id": donghuamen, "category": "garbage", "description": "x",
		"ticket_type": "someday"})
	require.Equal(t, http.StatusBadRequest, bad.status, bad.raw)
	require.Contains(t, bad.raw, "ticket_type")

	onTime, late := blowOn(t, s, urgent), blowOn(t, s, general)
	// The urgent ticket's departments acknowledge and arrive at once.
	for _, d := range list(onTime["dispatches"]) {
		d := obj(d)
		tok := deskToken(t, s, dongcheng, str(d["department"]))
		for _, act := range []struct {
			verb string
			body map[string]any
		}{{"acknowledge", map[string]any{}}, {"arrive", map[string]any{"location": map[string]any{"lat": spotLat, "lng": spotLng}}}} {
			r := s.do(t, http.MethodPost, "/v1/dispatches/"+str(d["id"])+":"+act.verb, tok, act.body)
			require.Equal(t, http.StatusOK, r.status, r.raw)
		}
	}

	report := func(id string) map[string]any {
		return s.do(t, http.MethodGet, "/v1/discovery/reports/"+id, streetTok, nil).body
	}
	s.clock.Advance(119 * time.Minute)
	require.Equal(t, "", report(str(urgent["id"]))["due_sla"], "not before 2 hours")
	eventually(t, "the urgent ticket's breach recorded", func() bool {
		s.clock.Advance(30 * time.Second) // the sweeper looks every 30 s of clock time
		return report(str(urgent["id"]))["due_breached_at"] != nil
	})
	u := report(str(urgent["id"]))
	require.Equal(t, "BREACHED", u["due_sla"])
	require.False(t, parseTime(t, u["due_breached_at"]).Before(parseTime(t, u["due_at"])))
	g := report(str(general["id"]))
	require.Equal(t, "", g["due_sla"])
	require.Nil(t, g["due_breached_at"])

	whistle := func(id string) map[string]any {
		return s.do(t, http.MethodGet, "/v1/whistles/"+id, streetTok, nil).body
	}
	for _, d := range list(whistle(str(onTime["id"]))["dispatches"]) {
		require.Empty(t, list(obj(d)["breaches"]), "the urgent ticket's whistle is on time: %v", d)
	}
	eventually(t, "the general ticket's whistle breaches its own clocks", func() bool {
		for _, d := range list(whistle(str(late["id"]))["dispatches"]) {
			if len(list(obj(d)["breaches"])) == 0 {
				return false
			}
		}
		return true
	})
	// On the urgent whistle's timeline once, on the general one's never.
	eventually(t, "report.ticket_breached on the timeline", func() bool {
		n, _ := timelineCount(t, s, streetTok, str(onTime["id"]), "report.ticket_breached", "")
		return n == 1
	})
	s.clock.Advance(time.Minute)
	n, _ := timelineCount(t, s, streetTok, str(late["id"]), "report.ticket_breached", "")
	require.Zero(t, n)
	n, _ = timelineCount(t, s, streetTok, str(onTime["id"]), "report.ticket_breached", "")
	require.Equal(t, 1, n, "breached once")
}

// webhookPost is one delivery a district's hotline system received.
type webhookPost struct {
	event string
	body  []byte
	valid bool
}

// hotlineReceiver is a district hotline system's endpoint: it checks each
// delivery's Standard Webhooks signature under secret.
func hotlineReceiver(t *testing.T, secret string) (string, chan webhookPost) {
	t.Helper()
	posts := make(chan webhookPost, 16)
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	require.NoError(t, err)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(r.Header.Get("webhook-id") + "." + r.Header.Get("webhook-timestamp") + "."))
		mac.Write(body)
		want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
		posts <- webhookPost{event: r.Header.Get("Whistle-Event"), body: body,
			valid: hmac.Equal([]byte(r.Header.Get("webhook-signature")), []byte(want))}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/returns", posts
}

// documentedReturnColumns is the column map of docs/hotline.md: 列名 → field.
func documentedReturnColumns(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("../../docs/hotline.md")
	require.NoError(t, err)
	out := map[string]string{}
	in := false
	for line := range strings.SplitSeq(string(raw), "\n") {
		switch {
		case strings.HasPrefix(line, "| 列名 | field |"):
			in = true
		case in && strings.HasPrefix(line, "|---"):
		case in && strings.HasPrefix(line, "|"):
			cells := strings.Split(line, "|")
			out[strings.TrimSpace(cells[1])] = strings.TrimSpace(cells[2])
		case in:
			return out
		}
	}
	return out
}

// readReturns reads a return file (its rows, header first) back into the
// TicketReturn fields by the documented column map, with the documented
// value forms turned back into the API's: times to RFC 3339, 是/否 to
// booleans, Chinese names to codes.
func readReturns(t *testing.T, rows [][]string) []map[string]any {
	t.Helper()
	columns := documentedReturnColumns(t)
	require.NotEmpty(t, rows)
	codes := map[string]string{"紧急": "urgent", "加急": "expedited", "一般": "general", "复杂": "complex",
		"已受理": "RECEIVED", "办理中": "IN_PROGRESS", "已办结": "CLOSED"}
	var out []map[string]any
	for _, row := range rows[1:] {
		r := map[string]any{}
		for i, header := range rows[0] {
			field, ok := columns[strings.TrimPrefix(header, "\ufeff")]
			require.True(t, ok, "column %q is not in docs/hotline.md", header)
			v := ""
			if i < len(row) {
				v = row[i]
			}
			switch {
			case v == "":
			case strings.HasSuffix(field, "_at"):
				at, err := time.ParseInLocation("2006-01-02 15:04:05", v, time.FixedZone("CST", 8*3600))
				require.NoError(t, err)
				r[field] = at.UTC().Format(time.RFC3339)
			case field == "overdue" || field == "fixed":
				r[field] = v == "是"
			case field == "satisfaction":
				n, err := strconv.Atoi(v)
				require.NoError(t, err)
				r[field] = float64(n)
			case codes[v] != "":
				r[field] = codes[v]
			default:
				r[field] = v
			}
		}
		out = append(out, r)
	}
	return out
}

// apiReturns are the JSON rows of GET /v1/districts/{id}/ticket-returns in
// the same forms (times to the second, unset values left out).
func apiReturns(t *testing.T, rows []any) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, row := range rows {
		r := map[string]any{}
		for k, v := range obj(row) {
			switch {
			case v == nil || v == "" || v == float64(0):
			case strings.HasSuffix(k, "_at"):
				r[k] = parseTime(t, v).UTC().Truncate(time.Second).Format(time.RFC3339)
			default:
				r[k] = v
			}
		}
		if _, followed := r["followed_up_at"]; !followed {
			delete(r, "fixed") // the file leaves 是否解决 empty before the follow-up call
		}
		if r["overdue"] == nil {
			r["overdue"] = false
		}
		out = append(out, r)
	}
	return out
}

// TestTicketReturnFileRoundTrips: a district's closed and followed-up tickets
// come back as the hotline's return file (CSV and .xlsx), which reads back
// through the column map of docs/hotline.md into exactly the API's returns;
// the district's hotline endpoint gets each return as a signed webhook; and
// only the district's (or the city's) supervisors export it.
func TestTicketReturnFileRoundTrips(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{webhookAllow: "127.0.0.1"})
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	url, posts := hotlineReceiver(t, secret)
	ep := s.do(t, http.MethodPost, "/v1/webhooks/endpoints", adminToken(t, s), map[string]any{
		"department": "hotline", "district_id": dongcheng, "url": url, "secret": secret})
	require.Equal(t, http.StatusOK, ep.status, ep.raw)

	supTok, streetTok := supervisorToken(t, s, dongcheng), streetToken(t, s, donghuamen)
	csv := "external_number,street_id,category,description,lat,lng,address,received_at,due_at,ticket_type\n" +
		"RT-1," + donghuamen + ",garbage,垃圾堆积,39.9146,116.4036,东华门大街1号,,,一般\n" +
		"RT-2," + donghuamen + ",garbage,垃圾又堆了,39.9146,116.4036,,,,urgent\n" +
		"RT-3," + donghuamen + ",garbage,还没处理,39.9146,116.4036,,,2026-12-30 18:00,\n"
	imported := importCSV(t, s, supTok, csv)
	require.EqualValues(t, 3, imported["imported"], imported)
	ids := map[string]string{}
	for _, n := range []string{"RT-1", "RT-2", "RT-3"} {
		r := s.do(t, http.MethodGet, "/v1/tickets/"+n, streetTok, nil)
		require.Equal(t, http.StatusOK, r.status, r.raw)
		ids[n] = str(r.body["id"])
	}
	handle := func(number, result string) {
		r := s.do(t, http.MethodPost, "/v1/discovery/reports:triage", streetTok, map[string]any{
			"report_ids": []string{ids[number]}, "action": "HANDLE_LOCALLY", "result": result})
		require.Equal(t, http.StatusOK, r.status, r.raw)
	}
	// RT-1 is handled in time and followed up; RT-2 (2 h) is handled late; RT-3 stays open.
	s.clock.Advance(30 * time.Minute)
	handle("RT-1", "社区保洁已清理")
	early := s.do(t, http.MethodPost, "/v1/tickets/RT-3:followUp", streetTok, map[string]any{"satisfaction": 5, "fixed": true})
	require.Equal(t, http.StatusBadRequest, early.status, early.raw)
	require.Equal(t, "FAILED_PRECONDITION", obj(early.body["error"])["code"], "an open ticket is not followed up yet: %s", early.raw)
	fu := s.do(t, http.MethodPost, "/v1/tickets/RT-1:followUp", streetTok, map[string]any{
		"satisfaction": 4, "fixed": true, "comment": "已清理，满意"})
	require.Equal(t, http.StatusOK, fu.status, fu.raw)
	require.Equal(t, "已清理，满意", fu.body["follow_up_comment"])
	s.clock.Advance(3 * time.Hour)
	handle("RT-2", "已联系物业清运")

	// The hotline endpoint hears of each: RT-1 closed, RT-1 followed up, RT-2 closed.
	type got struct {
		number string
		fixed  bool
	}
	var heard []got
	for range 3 {
		select {
		case p := <-posts:
			require.True(t, p.valid, "signed with the endpoint's secret")
			require.Equal(t, "report.ticket_returned", p.event)
			var ev struct {
				Returned struct {
					Return struct {
						Number       string `json:"external_number"`
						Satisfaction int    `json:"satisfaction"`
						Fixed        bool   `json:"fixed"`
					} `json:"ticket_return"`
				} `json:"report_ticket_returned"`
			}
			require.NoError(t, json.Unmarshal(p.body, &ev), string(p.body))
			heard = append(heard, got{ev.Returned.Return.Number, ev.Returned.Return.Fixed})
		case <-time.After(30 * time.Second):
			t.Fatalf("only %d returns posted: %v", len(heard), heard)
		}
	}
	require.ElementsMatch(t, []got{{"RT-1", false}, {"RT-1", true}, {"RT-2", false}}, heard)

	path := "/v1/districts/" + dongcheng + "/ticket-returns"
	page := s.do(t, http.MethodGet, path, supTok, nil)
	require.Equal(t, http.StatusOK, page.status, page.raw)
	want := apiReturns(t, list(page.body["returns"]))
	require.Len(t, want, 2, "RT-3 is still open")
	require.Equal(t, "RT-1", want[0]["external_number"])
	require.Equal(t, true, want[1]["overdue"], "RT-2 closed after its 2 hours")

	download := func(ext, token string) (int, []byte) {
		resp, body := getRaw(t, s, path+"."+ext, token)
		return resp.StatusCode, []byte(body)
	}
	code, body := download("csv", supTok)
	require.Equal(t, http.StatusOK, code, string(body))
	rows, err := csvpkg.NewReader(bytes.NewReader(body)).ReadAll()
	require.NoError(t, err)
	require.Equal(t, want, readReturns(t, rows), "the CSV reads back into the API's returns")

	code, body = download("xlsx", supTok)
	require.Equal(t, http.StatusOK, code, string(body))
	book, err := excelize.OpenReader(bytes.NewReader(body))
	require.NoError(t, err)
	sheet, err := book.GetRows(book.GetSheetName(0))
	require.NoError(t, err)
	require.Equal(t, want, readReturns(t, sheet), "the workbook reads back into the API's returns")

	// Only the district's supervisors and the city's.
	city, other := supervisorToken(t, s, ""), supervisorToken(t, s, chaoyang)
	code, _ = download("csv", city)
	require.Equal(t, http.StatusOK, code)
	code, _ = download("csv", other)
	require.Equal(t, http.StatusNotFound, code)
	code, _ = download("xlsx", streetTok)
	require.Equal(t, http.StatusForbidden, code)
	require.Equal(t, http.StatusForbidden, s.do(t, http.MethodGet, path, deskToken(t, s, dongcheng, "urban-management"), nil).status)
}
