package app_test

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
)

func TestScorecardsScenario(t *testing.T) {
	t.Parallel()
	h := start(t)
	ds, ws := reportScenario()
	h.publishScenario(ds, ws)
	ctx := h.as(auth.Identity{Role: auth.RoleSupervisor, DistrictID: dongcheng})
	req := &feedbackv1.GetScorecardsRequest{District: dongcheng, From: timestamppb.New(may), To: timestamppb.New(june)}

	// Default weights 10/0/45/45: district-government 0+45+45 = 90;
	// environment 10+22.5+45 = 77.5; police 10·7/9+45·6/8+45·3/5 = 68.53;
	// urban management 10·4/5+45·3/4+45·1/2 = 64.25.
	resp, err := h.client.GetScorecards(ctx, req)
	require.NoError(t, err)
	type ranked struct {
		key       string
		composite float64
		rank      int32
	}
	rankings := func(r *feedbackv1.GetScorecardsResponse) []ranked {
		var out []ranked
		for _, c := range r.GetScorecards() {
			out = append(out, ranked{c.GetKey(), float64(int(c.GetComposite()*100+0.5)) / 100, c.GetRank()})
		}
		return out
	}
	require.Equal(t, []ranked{{fallback, 90, 1}, {environ, 77.5, 2}, {police, 68.53, 3}, {urban, 64.25, 4}}, rankings(resp))
	require.Equal(t, &feedbackv1.Weights{Response: 10, Resolution: 45, Satisfaction: 45}, resp.GetWeights())

	p := resp.GetScorecards()[2]
	require.Equal(t, police, p.GetKey())
	require.Equal(t, int64(9), p.GetSla().GetDispatched())
	// Breaches by the highest level reached: p2, p3, p6 (ack), p10 at 催办;
	// p4's resolve at 督办; p6's arrival at 挂牌督办.
	require.Equal(t, []int64{4, 1, 1}, []int64{p.GetBreachesLevel1(), p.GetBreachesLevel2(), p.GetBreachesLevel3()})
	// Acks after 60, 60, 120, 120, 180, 240, 300, 360 s: median 150, p90 318.
	require.Equal(t, &feedbackv1.Durations{MedianSeconds: 150, P90Seconds: 318, Count: 8}, p.GetToAcknowledge())
	// Arrivals after 600, 900, 1200, 1500, 1800, 1801, 2700 s.
	require.Equal(t, int64(7), p.GetToArrive().GetCount())
	require.Equal(t, 1500.0, p.GetToArrive().GetMedianSeconds())
	require.InDelta(t, 2160.6, p.GetToArrive().GetP90Seconds(), 1e-6)

	// With an arrival weight: 10/30/30/30.
	req.Weights = &feedbackv1.Weights{Response: 10, Arrival: 30, Resolution: 30, Satisfaction: 30}
	resp, err = h.client.GetScorecards(ctx, req)
	require.NoError(t, err)
	require.Equal(t, []ranked{{fallback, 90, 1}, {environ, 85, 2}, {police, 67.03, 3}, {urban, 60.5, 4}}, rankings(resp))

	// Per street: every scenario whistle is on one street.
	req.Weights, req.GroupBy = nil, feedbackv1.GetScorecardsRequest_STREET
	resp, err = h.client.GetScorecards(ctx, req)
	require.NoError(t, err)
	require.Len(t, resp.GetScorecards(), 1)
	require.Equal(t, donghuamen, resp.GetScorecards()[0].GetKey())
	require.Equal(t, int64(17), resp.GetScorecards()[0].GetSla().GetDispatched())

	req.Weights = &feedbackv1.Weights{Response: -1}
	_, err = h.client.GetScorecards(ctx, req)
	require.Equal(t, codes.InvalidArgument, status.Code(err))

	// An admin sets May's weights; scorecards of May use them when the
	// request names none, other months keep the defaults.
	admin := h.as(auth.Identity{Role: auth.RoleAdmin})
	_, err = h.client.SetScorecardWeights(ctx, &feedbackv1.SetScorecardWeightsRequest{Month: "2026-05", Weights: &feedbackv1.Weights{Response: 10}})
	require.Equal(t, codes.PermissionDenied, status.Code(err), "a supervisor may not")
	_, err = h.client.SetScorecardWeights(admin, &feedbackv1.SetScorecardWeightsRequest{Month: "2026-5"})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
	_, err = h.client.SetScorecardWeights(admin, &feedbackv1.SetScorecardWeightsRequest{Month: "2026-05", Weights: &feedbackv1.Weights{Response: 10, Arrival: 30, Resolution: 30, Satisfaction: 30}})
	require.NoError(t, err)
	req.Weights, req.GroupBy = nil, feedbackv1.GetScorecardsRequest_DEPARTMENT
	resp, err = h.client.GetScorecards(ctx, req)
	require.NoError(t, err)
	require.Equal(t, []ranked{{fallback, 90, 1}, {environ, 85, 2}, {police, 67.03, 3}, {urban, 60.5, 4}}, rankings(resp))
	june2 := &feedbackv1.GetScorecardsRequest{District: dongcheng, From: timestamppb.New(june), To: timestamppb.New(june.AddDate(0, 1, 0))}
	resp, err = h.client.GetScorecards(ctx, june2)
	require.NoError(t, err)
	require.Equal(t, &feedbackv1.Weights{Response: 10, Resolution: 45, Satisfaction: 45}, resp.GetWeights())
}

// raised is a whistle.raised event of a whistle in category on street.
func raised(id, district, street, category string, at time.Time) timedEvent {
	return whistleEvent(id, at, func(ev *eventsv1.Event) {
		ev.DistrictId, ev.StreetId = district, street
		ev.Payload = &eventsv1.Event_WhistleRaised{WhistleRaised: &eventsv1.WhistleRaised{Whistle: &intakev1.Whistle{
			Id: id, DistrictId: district, StreetId: street, Category: category, RaisedAt: timestamppb.New(at),
		}}}
	})
}

// hotspotWhistles raise, in the 30 days before June: 4 garbage whistles on
// Jingshan (1 in the 30 days before), 3 noise on Donghuamen (5 before), one
// vending (too few) and 3 garbage in Xicheng (another district).
func hotspotWhistles() []timedEvent {
	var out []timedEvent
	n := 0
	add := func(district, street, category string, at time.Time) {
		n++
		out = append(out, raised("h"+itoa(int64(n)), district, street, category, at))
	}
	for i := range 4 {
		add(dongcheng, jingshan, "garbage", june.AddDate(0, 0, -3*(i+1)))
	}
	add(dongcheng, jingshan, "garbage", june.AddDate(0, 0, -40))
	for i := range 3 {
		add(dongcheng, donghuamen, "noise", june.AddDate(0, 0, -2*(i+1)))
	}
	for i := range 5 {
		add(dongcheng, donghuamen, "noise", june.AddDate(0, 0, -31-i))
	}
	add(dongcheng, donghuamen, "street-vending", june.AddDate(0, 0, -1))
	for i := range 3 {
		add(xicheng, "110102001", "garbage", june.AddDate(0, 0, -i-1))
	}
	add(dongcheng, jingshan, "garbage", june.Add(time.Hour)) // after the window
	return out
}

func TestHotspots(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.publishScenario(nil, hotspotWhistles())
	resp, err := h.client.ListHotspots(h.as(auth.Identity{Role: auth.RoleSupervisor, DistrictID: dongcheng}),
		&feedbackv1.ListHotspotsRequest{At: timestamppb.New(june)})
	require.NoError(t, err)
	type hot struct {
		street, category       string
		count, previous, trend int64
	}
	var got []hot
	for _, x := range resp.GetHotspots() {
		got = append(got, hot{x.GetStreetId(), x.GetCategory(), x.GetCount(), x.GetPreviousCount(), x.GetTrend()})
	}
	require.Equal(t, []hot{{jingshan, "garbage", 4, 1, 3}, {donghuamen, "noise", 3, 5, -2}}, got)
	require.True(t, resp.GetWindowStart().AsTime().Equal(june.AddDate(0, 0, -30)))

	_, err = h.client.ListHotspots(h.as(auth.Identity{Role: auth.RoleSupervisor, DistrictID: xicheng}),
		&feedbackv1.ListHotspotsRequest{District: dongcheng})
	require.Equal(t, codes.PermissionDenied, status.Code(err))
}

func TestMonthlyScorecardPage(t *testing.T) {
	t.Parallel()
	h := start(t)
	ds, ws := reportScenario()
	h.publishScenario(ds, append(ws, hotspotWhistles()...))
	page, err := h.client.GetMonthlyScorecard(h.as(auth.Identity{Role: auth.RoleSupervisor, DistrictID: dongcheng}),
		&feedbackv1.GetMonthlyScorecardRequest{Month: "2026-05"})
	require.NoError(t, err)
	require.Equal(t, "text/html; charset=utf-8", page.GetContentType())
	html := page.GetHtml()
	for _, want := range []string{
		"东城区 治理成绩单 · 2026年5月", "2026-05-01 至 2026-05-31",
		"区政府（兜底）", "公安", "76.5%", // response rate of the district: 13/17
		jingshan, "garbage", "+3",
	} {
		require.Contains(t, html, want)
	}
	if path := os.Getenv("FEEDBACK_MONTHLY_HTML"); path != "" {
		// For the screenshot in docs/: FEEDBACK_MONTHLY_HTML=/tmp/monthly.html go test ./app -run MonthlyScorecardPage
		require.NoError(t, os.WriteFile(path, []byte(html), 0o644))
	}

	_, err = h.client.GetMonthlyScorecard(h.as(auth.Identity{Role: auth.RoleSupervisor, DistrictID: dongcheng}),
		&feedbackv1.GetMonthlyScorecardRequest{Month: "May"})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestWhistleUpwardReport(t *testing.T) {
	t.Parallel()
	h := start(t)
	ds, ws := reportScenario()
	ws = append(ws, raised("w7", dongcheng, donghuamen, "noise", time.Date(2026, 5, 11, 14, 55, 0, 0, may.Location())))
	h.publishScenario(ds, ws)

	rep, err := h.client.GetWhistleReport(h.as(auth.Identity{Role: auth.RoleSupervisor, DistrictID: dongcheng}), &feedbackv1.GetWhistleReportRequest{WhistleId: "w7"})
	require.NoError(t, err)
	require.Equal(t, "noise", rep.GetCategory())
	require.Equal(t, int32(1), rep.GetReopened())
	require.Equal(t, int32(4), rep.GetSatisfaction(), "the rating that closed round 2")
	require.Len(t, rep.GetDispatches(), 2)
	require.Equal(t, []int32{1, 2}, []int32{rep.GetDispatches()[0].GetRound(), rep.GetDispatches()[1].GetRound()})
	require.True(t, rep.GetDispatches()[0].GetArrivedOnTime())
	require.Equal(t, strings.Join([]string{
		"05-11 14:55 街道 110101001 吹哨：noise（noise）。",
		"公安 05-11 15:00 派单，05-11 15:04 签收，05-11 15:25 到场（按时），05-11 17:00 办结。",
		"公安（第2轮） 05-12 09:00 派单，05-12 09:01 签收，05-12 09:15 到场（按时），05-12 10:00 办结。",
		"街道反馈未解决，重新打开 1 次。",
		"05-12 12:00 街道回访评价 4 分。",
	}, "\n"), rep.GetText())

	p6, err := h.client.GetWhistleReport(h.as(auth.Identity{Role: auth.RoleSupervisor}), &feedbackv1.GetWhistleReportRequest{WhistleId: "w6"})
	require.NoError(t, err)
	require.Equal(t, []string{"ack", "arrive"}, p6.GetDispatches()[0].GetBreaches())
	require.Equal(t, int32(3), p6.GetDispatches()[0].GetEscalationLevel())
	require.Contains(t, p6.GetText(), "超时：签收、到场，已挂牌督办", "the steps by their Chinese names")

	_, err = h.client.GetWhistleReport(h.as(auth.Identity{Role: auth.RoleSupervisor, DistrictID: xicheng}), &feedbackv1.GetWhistleReportRequest{WhistleId: "w7"})
	require.Equal(t, codes.NotFound, status.Code(err))
}
