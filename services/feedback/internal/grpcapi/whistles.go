package grpcapi

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	"github.com/chuishao/whistle/services/feedback/internal/timeline"
)

// ListWhistleEtasMethod is the full method name the public (Open311's
// anonymous reads) may call: its answer carries no desk notes for that role.
const ListWhistleEtasMethod = "/whistle.feedback.v1.FeedbackService/ListWhistleEtas"

// GetTimeline returns a whistle's entries in seq order, if the caller may see
// it; a merged whistle's timeline continues, in time order, with the entries
// of the whistle it was merged into (each entry names its whistle).
func (s *Server) GetTimeline(ctx context.Context, req *feedbackv1.GetTimelineRequest) (*feedbackv1.GetTimelineResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	entries, err := s.Whistles.Timeline(ctx, id, req.GetWhistleId())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	resp := &feedbackv1.GetTimelineResponse{Entries: make([]*feedbackv1.TimelineEntry, 0, len(entries))}
	for _, e := range entries {
		pe, err := entryProto(e)
		if err != nil {
			return nil, s.toStatus(ctx, fmt.Errorf("timeline of whistle %s: %w", req.GetWhistleId(), err))
		}
		resp.Entries = append(resp.Entries, pe)
	}
	return resp, nil
}

func entryProto(e timeline.Entry) (*feedbackv1.TimelineEntry, error) {
	data := &structpb.Struct{}
	if err := protojson.Unmarshal(e.Data, data); err != nil {
		return nil, fmt.Errorf("data of entry %d: %w", e.Seq, err)
	}
	return &feedbackv1.TimelineEntry{
		Seq:        e.Seq,
		Type:       e.Type,
		At:         timestamppb.New(e.At),
		Actor:      &typesv1.Actor{Role: e.Actor.Role, Id: e.Actor.ID},
		DispatchId: e.DispatchID,
		Department: e.Department,
		Data:       data,
		Hash:       e.Hash,
		PrevHash:   e.PrevHash,
		KeyId:      e.KeyID,
		EventId:    e.EventID,
		WhistleId:  e.WhistleID,
	}, nil
}

// GetWhistleReport is the 向上级报告 of one whistle, for whoever may read its
// timeline, also as plain text.
func (s *Server) GetWhistleReport(ctx context.Context, req *feedbackv1.GetWhistleReportRequest) (*feedbackv1.WhistleReport, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.Whistles.UpwardReport(ctx, id, req.GetWhistleId())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	st := r.Story
	rep := &feedbackv1.WhistleReport{
		WhistleId: r.WhistleID, MergedInto: st.MergedInto,
		StreetId: st.StreetID, DistrictId: st.DistrictID, Category: st.Category, Title: st.Title,
		RaisedAt: pbTime(st.RaisedAt), Reopened: int32(st.Reopened), Satisfaction: int32(st.Satisfaction),
		FeedbackComment: st.Comment, ClosedAt: pbTime(st.ClosedAt), Text: r.Text,
	}
	for _, d := range st.Dispatches {
		rep.Dispatches = append(rep.Dispatches, &feedbackv1.DispatchSummary{
			DispatchId: d.DispatchID, WhistleId: d.WhistleID, Department: d.Department, Round: int32(d.Round), Status: d.Status,
			DispatchedAt: pbTime(d.DispatchedAt), AcknowledgedAt: pbTime(d.AcknowledgedAt), ArrivedAt: pbTime(d.ArrivedAt),
			ResolvedAt: pbTime(d.ResolvedAt), ReturnedAt: pbTime(d.ReturnedAt),
			ArrivedOnTime: d.ArrivedOnTime, EscalationLevel: int32(d.EscalationLevel), Breaches: d.Breaches,
		})
	}
	return rep, nil
}

// ListWhistleEtas is the ETA of each named whistle the caller may see; the
// others are left out, as unknown ones are.
func (s *Server) ListWhistleEtas(ctx context.Context, req *feedbackv1.ListWhistleEtasRequest) (*feedbackv1.ListWhistleEtasResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	etas, err := s.Whistles.Etas(ctx, id, req.GetWhistleIds())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	resp := &feedbackv1.ListWhistleEtasResponse{}
	for _, w := range etas {
		we := &feedbackv1.WhistleEta{WhistleId: w.WhistleID, ExpectedResolutionAt: pbTime(w.ExpectedResolutionAt)}
		for _, d := range w.Dispatches {
			we.Dispatches = append(we.Dispatches, &feedbackv1.DispatchEta{
				DispatchId: d.DispatchID, Department: d.Department, Status: d.Status,
				Arrival: estimateProto(d.Arrival), Resolution: estimateProto(d.Resolution),
			})
		}
		resp.Etas = append(resp.Etas, we)
	}
	return resp, nil
}

func estimateProto(e feedback.Estimate) *feedbackv1.Estimate {
	if e.Basis == feedback.BasisNone {
		return nil
	}
	p := &feedbackv1.Estimate{
		ExpectedAt: timestamppb.New(e.ExpectedAt), Basis: feedbackv1.EtaBasis(e.Basis), Samples: e.Samples, Note: e.Note,
	}
	if !e.P80At.IsZero() {
		p.P80At = timestamppb.New(e.P80At)
	}
	return p
}

// VerifyAudit re-computes the keyed hash chains of one whistle or of every
// whistle in the caller's scope and names each broken chain's first bad
// position and why.
func (s *Server) VerifyAudit(ctx context.Context, req *feedbackv1.VerifyAuditRequest) (*feedbackv1.VerifyAuditResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.Whistles.VerifyAudit(ctx, id, req.GetWhistleId())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	resp := &feedbackv1.VerifyAuditResponse{Ok: a.Ok(), WhistlesChecked: a.WhistlesChecked, EntriesChecked: a.EntriesChecked}
	for _, b := range a.Broken {
		resp.Broken = append(resp.Broken, &feedbackv1.BrokenChain{WhistleId: b.WhistleID, Seq: b.Seq, Reason: b.Reason, EventId: b.EventID})
	}
	return resp, nil
}
