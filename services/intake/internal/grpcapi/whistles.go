package grpcapi

import (
	"context"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/chuishao/whistle/platform/auth"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"

	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/whistles"
)

// IdempotencyKeyHeader is the gRPC metadata key that makes a raise idempotent;
// the gateway maps the HTTP Idempotency-Key header to it.
const IdempotencyKeyHeader = "idempotency-key"

// RaiseWhistle is 吹哨: a street asks departments to act.
func (s *Server) RaiseWhistle(ctx context.Context, req *intakev1.RaiseWhistleRequest) (*intakev1.Whistle, error) {
	return handle(ctx, s, req, func(ctx context.Context, id auth.Identity, req *intakev1.RaiseWhistleRequest) (*intakev1.Whistle, error) {
		return s.Raise(ctx, id, newWhistle(req, idempotencyKey(ctx)))
	})
}

// newWhistle is the use case's raise of req.
func newWhistle(req *intakev1.RaiseWhistleRequest, key string) whistles.NewWhistle {
	n := whistles.NewWhistle{
		StreetID: req.GetStreetId(), Category: req.GetCategory(), Description: req.GetDescription(),
		Title: req.GetTitle(), Address: req.GetAddress(), Location: req.GetLocation(), CoordSys: req.GetCoordSys(),
		DrillID: req.GetDrillId(), IdempotencyKey: key,
	}
	if u := req.GetUrgency(); u != intakev1.Whistle_URGENCY_UNSPECIFIED {
		n.Urgency = intake.Urgency(u.String())
	}
	return n
}

// idempotencyKey is the raise's key in the incoming metadata ("" when none).
func idempotencyKey(ctx context.Context) string {
	md, _ := metadata.FromIncomingContext(ctx)
	if values := md.Get(IdempotencyKeyHeader); len(values) > 0 {
		return values[0]
	}
	return ""
}

// GetWhistle returns a whistle in the caller's scope with its dispatches.
func (s *Server) GetWhistle(ctx context.Context, req *intakev1.GetWhistleRequest) (*intakev1.Whistle, error) {
	return handle(ctx, s, req.GetId(), s.Get)
}

// ListWhistles lists the caller's street's whistles, or a supervisor's district's, newest first.
func (s *Server) ListWhistles(ctx context.Context, req *intakev1.ListWhistlesRequest) (*intakev1.ListWhistlesResponse, error) {
	return handle(ctx, s, req, func(ctx context.Context, id auth.Identity, req *intakev1.ListWhistlesRequest) (*intakev1.ListWhistlesResponse, error) {
		p, err := s.List(ctx, id, whistles.ListQuery{
			StreetID: req.GetStreetId(), Status: req.GetStatus(), PageSize: req.GetPageSize(), PageToken: req.GetPageToken(),
		})
		if err != nil {
			return nil, err
		}
		return &intakev1.ListWhistlesResponse{Whistles: p.Whistles, NextPageToken: p.NextPageToken}, nil
	})
}

// SearchWhistles finds whistles in the caller's scope, newest first.
func (s *Server) SearchWhistles(ctx context.Context, req *intakev1.SearchWhistlesRequest) (*intakev1.SearchWhistlesResponse, error) {
	return handle(ctx, s, req, func(ctx context.Context, id auth.Identity, req *intakev1.SearchWhistlesRequest) (*intakev1.SearchWhistlesResponse, error) {
		q := whistles.SearchQuery{
			StreetID: req.GetStreetId(), DistrictID: req.GetDistrictId(), Category: req.GetCategory(),
			Department: req.GetDepartment(), Breached: req.GetBreached(), Status: req.GetStatus(), Urgency: req.GetUrgency(),
			Keyword: req.GetKeyword(), PageSize: req.GetPageSize(), PageToken: req.GetPageToken(),
		}
		if t := req.GetRaisedFrom(); t != nil {
			q.RaisedFrom = ptr(t.AsTime())
		}
		if t := req.GetRaisedTo(); t != nil {
			q.RaisedTo = ptr(t.AsTime())
		}
		p, err := s.Search(ctx, id, q)
		if err != nil {
			return nil, err
		}
		return &intakev1.SearchWhistlesResponse{Whistles: p.Whistles, NextPageToken: p.NextPageToken}, nil
	})
}

func ptr(t time.Time) *time.Time { return &t }

// CancelWhistle withdraws a whistle that is not resolved yet.
func (s *Server) CancelWhistle(ctx context.Context, req *intakev1.CancelWhistleRequest) (*intakev1.Whistle, error) {
	return handle(ctx, s, req, func(ctx context.Context, id auth.Identity, req *intakev1.CancelWhistleRequest) (*intakev1.Whistle, error) {
		return s.Cancel(ctx, id, req.GetId(), req.GetReason())
	})
}

// SubmitFeedback rates a resolved whistle and closes it.
func (s *Server) SubmitFeedback(ctx context.Context, req *intakev1.SubmitFeedbackRequest) (*intakev1.Whistle, error) {
	return handle(ctx, s, req, func(ctx context.Context, id auth.Identity, req *intakev1.SubmitFeedbackRequest) (*intakev1.Whistle, error) {
		return s.Close(ctx, id, req.GetId(), req.GetSatisfaction(), req.GetComment())
	})
}

// ReopenWhistle sends a resolved or closed whistle back: "not fixed".
func (s *Server) ReopenWhistle(ctx context.Context, req *intakev1.ReopenWhistleRequest) (*intakev1.Whistle, error) {
	return handle(ctx, s, req, func(ctx context.Context, id auth.Identity, req *intakev1.ReopenWhistleRequest) (*intakev1.Whistle, error) {
		return s.Reopen(ctx, id, req.GetId(), req.GetReason())
	})
}

// ResidentMethods are the methods a resident's identity may call: the
// answer to a follow-up (回访) that the service holding the residents'
// follow-up codes gives on their behalf, "fixed" closing a resolved whistle
// with the rating, "not fixed" reopening it.
var ResidentMethods = []string{
	intakev1.IntakeService_SubmitFeedback_FullMethodName,
	intakev1.IntakeService_ReopenWhistle_FullMethodName,
}

// MergeWhistle merges a duplicate into the open whistle it duplicates.
func (s *Server) MergeWhistle(ctx context.Context, req *intakev1.MergeWhistleRequest) (*intakev1.Whistle, error) {
	return handle(ctx, s, req, func(ctx context.Context, id auth.Identity, req *intakev1.MergeWhistleRequest) (*intakev1.Whistle, error) {
		return s.Merge(ctx, id, req.GetId(), req.GetIntoWhistleId())
	})
}

// KeepWhistle keeps a whistle on its own despite its candidates.
func (s *Server) KeepWhistle(ctx context.Context, req *intakev1.KeepWhistleRequest) (*intakev1.Whistle, error) {
	return handle(ctx, s, req.GetId(), s.Keep)
}

// AddAttachment records evidence the gateway has stored, with its event.
func (s *Server) AddAttachment(ctx context.Context, req *intakev1.AddAttachmentRequest) (*intakev1.Attachment, error) {
	return handle(ctx, s, req, func(ctx context.Context, id auth.Identity, req *intakev1.AddAttachmentRequest) (*intakev1.Attachment, error) {
		return s.Service.AddAttachment(ctx, id, req.GetAttachment(), req.GetCheckOnly())
	})
}

// GetAttachment returns one attachment of a whistle the caller may read.
func (s *Server) GetAttachment(ctx context.Context, req *intakev1.GetAttachmentRequest) (*intakev1.Attachment, error) {
	return handle(ctx, s, req, func(ctx context.Context, id auth.Identity, req *intakev1.GetAttachmentRequest) (*intakev1.Attachment, error) {
		return s.Service.GetAttachment(ctx, id, req.GetWhistleId(), req.GetId(), req.GetVariant())
	})
}
