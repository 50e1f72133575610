package grpcapi

import (
	"context"
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/types/known/timestamppb"

	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	"github.com/chuishao/whistle/services/feedback/internal/store"
	"github.com/chuishao/whistle/services/feedback/internal/timeline"
)

// GetWhistleReport is the 向上级报告 of one whistle, for whoever may read its
// timeline: the whistle, each department's times, reopens and the rating,
// also as plain text. A merged whistle's report goes on with the whistle it
// was merged into, as its timeline does: that whistle's dispatches are listed
// after its own (cancelled) ones, and its outcome is the merged whistle's;
// a surviving whistle outside the caller's scope is left out.
func (s *Server) GetWhistleReport(ctx context.Context, req *feedbackv1.GetWhistleReportRequest) (*feedbackv1.WhistleReport, error) {
	chains, err := s.sharedChains(ctx, req.GetWhistleId())
	if err != nil {
		return nil, err
	}
	rep := &feedbackv1.WhistleReport{WhistleId: req.GetWhistleId(), MergedInto: timeline.MergedInto(req.GetWhistleId(), chains[0])}
	whistles := []string{req.GetWhistleId()}
	for _, chain := range chains[1:] {
		if len(chain) > 0 {
			whistles = append(whistles, chain[0].WhistleID)
		}
	}
	var facts []store.DispatchFact
	for _, w := range whistles {
		fs, err := store.New(s.pool).ListWhistleDispatchFacts(ctx, w)
		if err != nil {
			return nil, s.toStatus(ctx, fmt.Errorf("dispatches of whistle %s: %w", w, err))
		}
		facts = append(facts, fs...)
	}
	story := feedback.WhistleStory{MergedInto: rep.GetMergedInto()}
	for _, e := range timeline.Join(chains...) {
		switch e.Type {
		case "whistle.raised":
			if e.WhistleID != req.GetWhistleId() {
				continue // the surviving whistle's raising is not this one's
			}
			var d struct {
				Whistle struct {
					StreetID   string `json:"street_id"`
					DistrictID string `json:"district_id"`
					Category   string `json:"category"`
					Title      string `json:"title"`
				} `json:"whistle"`
			}
			_ = json.Unmarshal(e.Data, &d) // a payload without these fields leaves them empty
			rep.StreetId, rep.DistrictId, rep.Category, rep.Title = d.Whistle.StreetID, d.Whistle.DistrictID, d.Whistle.Category, d.Whistle.Title
			rep.RaisedAt = timestamppb.New(e.At)
		case "whistle.closed":
			var d struct {
				Satisfaction int32  `json:"satisfaction"`
				Comment      string `json:"comment"`
			}
			_ = json.Unmarshal(e.Data, &d)
			rep.Satisfaction, rep.FeedbackComment, rep.ClosedAt = d.Satisfaction, d.Comment, timestamppb.New(e.At)
		case "whistle.reopened":
			rep.Reopened++
			rep.Satisfaction, rep.FeedbackComment, rep.ClosedAt = 0, "", nil
		}
	}
	story.DistrictID, story.StreetID, story.Category, story.Title = rep.GetDistrictId(), rep.GetStreetId(), rep.GetCategory(), rep.GetTitle()
	story.StreetName, story.CategoryName = s.referenceNames(ctx, story.StreetID, story.Category)
	story.RaisedAt, story.Reopened, story.Satisfaction = rep.GetRaisedAt().AsTime(), int(rep.GetReopened()), int(rep.GetSatisfaction())
	story.Comment = rep.GetFeedbackComment()
	if rep.GetClosedAt() != nil {
		story.ClosedAt = rep.GetClosedAt().AsTime()
	}
	for _, f := range facts {
		d := &feedbackv1.DispatchSummary{
			DispatchId: f.DispatchID, WhistleId: f.WhistleID, Department: f.Department, Round: f.Round, Status: f.Status,
			DispatchedAt: pbTime(f.DispatchedAt), AcknowledgedAt: pbTime(f.AcknowledgedAt), ArrivedAt: pbTime(f.ArrivedAt),
			ResolvedAt: pbTime(f.ResolvedAt), ReturnedAt: pbTime(f.ReturnedAt),
			ArrivedOnTime:   f.ArrivedAt.Valid && f.ArriveBy.Valid && !f.ArrivedAt.Time.After(f.ArriveBy.Time),
			EscalationLevel: int32(max(f.AckLevel, f.ArriveLevel, f.ResolveLevel)),
		}
		for _, c := range []struct {
			name  string
			level int16
		}{{"ack", f.AckLevel}, {"arrive", f.ArriveLevel}, {"resolve", f.ResolveLevel}} {
			if c.level > 0 {
				d.Breaches = append(d.Breaches, c.name)
			}
		}
		rep.Dispatches = append(rep.Dispatches, d)
		story.Dispatches = append(story.Dispatches, feedback.DispatchStory{
			Department: f.Department, Round: int(f.Round), DispatchedAt: f.DispatchedAt.Time,
			AcknowledgedAt: f.AcknowledgedAt.Time, ArrivedAt: f.ArrivedAt.Time, ResolvedAt: f.ResolvedAt.Time,
			ReturnedAt: f.ReturnedAt.Time, ArrivedOnTime: d.ArrivedOnTime, Breaches: d.Breaches,
			EscalationLevel: int(d.EscalationLevel),
		})
	}
	rep.Text = feedback.UpwardText(story)
	return rep, nil
}
