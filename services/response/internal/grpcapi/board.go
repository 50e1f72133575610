package grpcapi

import (
	"context"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/rpcerr"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	"github.com/chuishao/whistle/services/response/internal/desk"
	"github.com/chuishao/whistle/services/response/internal/events"
	"github.com/chuishao/whistle/services/response/internal/response"
)

// GetWhistleBoard is the joint board of a whistle (联合执法).
func (s *Server) GetWhistleBoard(ctx context.Context, req *responsev1.GetWhistleBoardRequest) (*responsev1.WhistleBoard, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetWhistleId() == "" {
		return nil, rpcerr.Invalid("whistle_id", "is required")
	}
	b, err := s.Desk.Board(ctx, id, req.GetWhistleId())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return s.boardProto(ctx, b)
}

// AddBoardNote adds a note to a whistle's board.
func (s *Server) AddBoardNote(ctx context.Context, req *responsev1.AddBoardNoteRequest) (*responsev1.BoardNote, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetWhistleId() == "" {
		return nil, rpcerr.Invalid("whistle_id", "is required")
	}
	n, err := s.Desk.AddNote(ctx, id, req.GetWhistleId(), req.GetText())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return events.BoardNoteProto(n), nil
}

// CompleteJointAction is the lead's 联合行动完成.
func (s *Server) CompleteJointAction(ctx context.Context, req *responsev1.CompleteJointActionRequest) (*responsev1.WhistleBoard, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetWhistleId() == "" {
		return nil, rpcerr.Invalid("whistle_id", "is required")
	}
	b, err := s.Desk.Complete(ctx, id, req.GetWhistleId())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return s.boardProto(ctx, b)
}

func (s *Server) boardProto(ctx context.Context, b desk.Board) (*responsev1.WhistleBoard, error) {
	p := &responsev1.WhistleBoard{WhistleId: b.WhistleID, CompletedBy: b.CompletedBy}
	if b.CompletedAt != nil {
		p.CompletedAt = timestamppb.New(*b.CompletedAt)
	}
	for _, d := range b.Dispatches {
		p.DistrictId = d.DistrictID
		p.Dispatches = append(p.Dispatches, events.DispatchProto(d))
	}
	for _, n := range b.Notes {
		p.Notes = append(p.Notes, events.BoardNoteProto(n))
	}
	if err := s.withOnDuty(ctx, p.Dispatches...); err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return p, nil
}

// notArrivedStatus refuses a completion: FailedPrecondition naming, as a
// field violation of "dispatches", the departments not yet on site.
func notArrivedStatus(e *response.NotArrivedError) error {
	reason := "departments not yet arrived on site: " + strings.Join(e.Departments, ", ")
	st := status.New(codes.FailedPrecondition, reason)
	if d, err := st.WithDetails(&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
		{Field: "dispatches", Description: reason},
	}}); err == nil {
		return d.Err()
	}
	return st.Err()
}

// withJoint marks the dispatches whose whistle has a joint board.
func (s *Server) withJoint(ctx context.Context, list ...*responsev1.Dispatch) error {
	if len(list) == 0 {
		return nil
	}
	ids := make([]string, len(list))
	for i, d := range list {
		ids[i] = d.GetWhistleId()
	}
	joint, err := s.Desk.JointWhistles(ctx, ids)
	if err != nil {
		return err
	}
	for _, d := range list {
		d.Joint = joint[d.GetWhistleId()]
	}
	return nil
}
