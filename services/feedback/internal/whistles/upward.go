package whistles

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/chuishao/whistle/platform/auth"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	"github.com/chuishao/whistle/services/feedback/internal/store"
	"github.com/chuishao/whistle/services/feedback/internal/timeline"
)

// Report is a whistle's 向上级报告: its story and the story as plain text.
type Report struct {
	WhistleID string
	Story     feedback.WhistleStory
	Text      string
}

// UpwardReport is the 向上级报告 of one whistle, for whoever may read its
// timeline: the whistle, each department's times, reopens and the rating,
// also as plain text. A merged whistle's report goes on with the whistle it
// was merged into, as its timeline does: that whistle's dispatches are listed
// after its own (cancelled) ones, and its outcome is the merged whistle's;
// a surviving whistle outside the caller's scope is left out.
func (s *Service) UpwardReport(ctx context.Context, caller auth.Identity, whistleID string) (Report, error) {
	chains, err := s.sharedChains(ctx, caller, whistleID)
	if err != nil {
		return Report{}, err
	}
	story := feedback.WhistleStory{MergedInto: timeline.MergedInto(whistleID, chains[0])}
	whistles := []string{whistleID}
	for _, chain := range chains[1:] {
		if len(chain) > 0 {
			whistles = append(whistles, chain[0].WhistleID)
		}
	}
	var facts []store.DispatchFact
	for _, w := range whistles {
		fs, err := store.New(s.Pool).ListWhistleDispatchFacts(ctx, w)
		if err != nil {
			return Report{}, fmt.Errorf("dispatches of whistle %s: %w", w, err)
		}
		facts = append(facts, fs...)
	}
	for _, e := range timeline.Join(chains...) {
		switch e.Type {
		case "whistle.raised":
			if e.WhistleID != whistleID {
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
			story.StreetID, story.DistrictID, story.Category, story.Title = d.Whistle.StreetID, d.Whistle.DistrictID, d.Whistle.Category, d.Whistle.Title
			story.RaisedAt = e.At
		case "whistle.closed":
			var d struct {
				Satisfaction int32  `json:"satisfaction"`
				Comment      string `json:"comment"`
			}
			_ = json.Unmarshal(e.Data, &d)
			story.Satisfaction, story.Comment, story.ClosedAt = int(d.Satisfaction), d.Comment, e.At
		case "whistle.reopened":
			story.Reopened++
			story.Satisfaction, story.Comment, story.ClosedAt = 0, "", time.Time{}
		}
	}
	story.StreetName, story.CategoryName = s.Names.Of(ctx, story.StreetID, story.Category)
	for _, f := range facts {
		d := feedback.DispatchStory{
			DispatchID: f.DispatchID, WhistleID: f.WhistleID, Status: f.Status,
			Department: f.Department, Round: int(f.Round), DispatchedAt: f.DispatchedAt.Time,
			AcknowledgedAt: f.AcknowledgedAt.Time, ArrivedAt: f.ArrivedAt.Time, ResolvedAt: f.ResolvedAt.Time,
			ReturnedAt:      f.ReturnedAt.Time,
			ArrivedOnTime:   f.ArrivedAt.Valid && f.ArriveBy.Valid && !f.ArrivedAt.Time.After(f.ArriveBy.Time),
			EscalationLevel: int(max(f.AckLevel, f.ArriveLevel, f.ResolveLevel)),
		}
		for _, c := range []struct {
			name  string
			level int16
		}{{"ack", f.AckLevel}, {"arrive", f.ArriveLevel}, {"resolve", f.ResolveLevel}} {
			if c.level > 0 {
				d.Breaches = append(d.Breaches, c.name)
			}
		}
		story.Dispatches = append(story.Dispatches, d)
	}
	return Report{WhistleID: whistleID, Story: story, Text: feedback.UpwardText(story)}, nil
}
