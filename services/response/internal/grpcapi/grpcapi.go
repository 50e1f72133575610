// Package grpcapi serves DispatchService: it turns requests into domain calls
// and domain errors into gRPC codes, in one place (toStatus).
package grpcapi

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/geo/coordsys"
	"github.com/chuishao/whistle/platform/rpcerr"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	"github.com/chuishao/whistle/services/response/internal/desk"
	"github.com/chuishao/whistle/services/response/internal/duty"
	"github.com/chuishao/whistle/services/response/internal/events"
	"github.com/chuishao/whistle/services/response/internal/notify"
	"github.com/chuishao/whistle/services/response/internal/response"
)

// Server implements responsev1.DispatchServiceServer.
type Server struct {
	responsev1.UnimplementedDispatchServiceServer
	Desk *desk.Service
	// Duty keeps rosters and heartbeats.
	Duty *duty.Service
	Log  *slog.Logger
	// CoordSys is the system of a check-in position whose request names none.
	CoordSys coordsys.System
}

// Register adds the API to srv.
func (s *Server) Register(srv *grpc.Server) { responsev1.RegisterDispatchServiceServer(srv, s) }

func caller(ctx context.Context) (auth.Identity, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return auth.Identity{}, status.Error(codes.Unauthenticated, "missing identity")
	}
	return id, nil
}

// ListDispatches returns the caller's queue, soonest deadline first.
func (s *Server) ListDispatches(ctx context.Context, req *responsev1.ListDispatchesRequest) (*responsev1.ListDispatchesResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	list, next, err := s.Desk.List(ctx, id, desk.Query{
		Status:    events.StatusFromProto(req.GetStatus()),
		WhistleID: req.GetWhistleId(),
		PageSize:  int(req.GetPageSize()),
		PageToken: req.GetPageToken(),
	})
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	resp := &responsev1.ListDispatchesResponse{NextPageToken: next}
	for _, d := range list {
		resp.Dispatches = append(resp.Dispatches, events.DispatchProto(d))
	}
	if err := s.withOnDuty(ctx, resp.Dispatches...); err != nil {
		return nil, s.toStatus(ctx, err)
	}
	if err := s.withJoint(ctx, resp.Dispatches...); err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return resp, nil
}

// ListDispatchesAtRisk is the supervisors' risk board.
func (s *Server) ListDispatchesAtRisk(ctx context.Context, req *responsev1.ListDispatchesAtRiskRequest) (*responsev1.ListDispatchesAtRiskResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	b, err := s.Desk.AtRisk(ctx, id, desk.RiskQuery{
		Within:     time.Duration(req.GetWithinMinutes()) * time.Minute,
		DistrictID: req.GetDistrictId(),
		Department: req.GetDepartment(),
		PageSize:   int(req.GetPageSize()),
	})
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	resp := &responsev1.ListDispatchesAtRiskResponse{Open: int32(b.Open), AtRisk: int32(b.AtRisk), Breached: int32(b.Breached)}
	for _, d := range b.Dispatches {
		resp.Dispatches = append(resp.Dispatches, events.DispatchProto(d))
	}
	if err := s.withOnDuty(ctx, resp.Dispatches...); err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return resp, nil
}

// GetDispatch returns one dispatch in the caller's scope.
func (s *Server) GetDispatch(ctx context.Context, req *responsev1.GetDispatchRequest) (*responsev1.Dispatch, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetId() == "" {
		return nil, rpcerr.Invalid("id", "is required")
	}
	d, err := s.Desk.Get(ctx, id, req.GetId())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	p := events.DispatchProto(d)
	if err := s.withOnDuty(ctx, p); err != nil {
		return nil, s.toStatus(ctx, err)
	}
	if err := s.withJoint(ctx, p); err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return p, nil
}

// AcknowledgeDispatch is 签收.
func (s *Server) AcknowledgeDispatch(ctx context.Context, req *responsev1.AcknowledgeDispatchRequest) (*responsev1.Dispatch, error) {
	return s.act(ctx, req.GetId(), response.Command{Action: response.Acknowledge})
}

// ArriveDispatch is 到场报到, with the desk's position when it has one,
// converted to WGS-84 here, where it comes in.
func (s *Server) ArriveDispatch(ctx context.Context, req *responsev1.ArriveDispatchRequest) (*responsev1.Dispatch, error) {
	cmd := response.Command{Action: response.Arrive}
	sys := s.CoordSys
	if name := req.GetCoordSys(); name != "" {
		var err error
		if sys, err = coordsys.Parse(name); err != nil {
			return nil, rpcerr.Invalid("coord_sys", "must be WGS84, GCJ02 (高德, 腾讯) or BD09 (百度)")
		}
	}
	if loc := req.GetLocation(); loc != nil {
		p := response.LatLng{Lat: loc.GetLat(), Lng: loc.GetLng()}
		// A point out of range stays as sent, for the check to name it.
		if response.ValidateLocation("location", &p) == nil {
			w := coordsys.ToWGS84(sys, coordsys.Point{Lat: p.Lat, Lng: p.Lng})
			p = response.LatLng{Lat: w.Lat, Lng: w.Lng}
		}
		cmd.Location = &p
	}
	// 0 is "not reported", as the field's default.
	if acc := req.GetAccuracyM(); acc != 0 {
		cmd.AccuracyM = &acc
	}
	return s.act(ctx, req.GetId(), cmd)
}

// ResolveDispatch is 办结.
func (s *Server) ResolveDispatch(ctx context.Context, req *responsev1.ResolveDispatchRequest) (*responsev1.Dispatch, error) {
	return s.act(ctx, req.GetId(), response.Command{Action: response.Resolve, Summary: req.GetSummary()})
}

// ReturnDispatch is 退单, with a reason code.
func (s *Server) ReturnDispatch(ctx context.Context, req *responsev1.ReturnDispatchRequest) (*responsev1.Dispatch, error) {
	cmd := response.Command{Action: response.Return, Reason: req.GetReason(), Department: req.GetDepartment()}
	if c := req.GetReasonCode(); c != responsev1.Dispatch_RETURN_CODE_UNSPECIFIED {
		cmd.Code = response.ReturnCode(c.String())
	}
	return s.act(ctx, req.GetId(), cmd)
}

// EscalateDispatch raises the escalation level by hand (supervisors).
func (s *Server) EscalateDispatch(ctx context.Context, req *responsev1.EscalateDispatchRequest) (*responsev1.Dispatch, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetId() == "" {
		return nil, rpcerr.Invalid("id", "is required")
	}
	d, err := s.Desk.Escalate(ctx, id, req.GetId(), req.GetReason())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return events.DispatchProto(d), nil
}

// RequestExtension is a desk asking for a later deadline (延期).
func (s *Server) RequestExtension(ctx context.Context, req *responsev1.RequestExtensionRequest) (*responsev1.Dispatch, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetId() == "" {
		return nil, rpcerr.Invalid("id", "is required")
	}
	ext := response.ExtensionRequest{Clock: req.GetClock(), Reason: req.GetReason()}
	if req.GetUntil() != nil {
		if err := req.GetUntil().CheckValid(); err != nil {
			return nil, rpcerr.Invalid("until", "is not a valid time")
		}
		ext.Until = req.GetUntil().AsTime()
	}
	d, err := s.Desk.RequestExtension(ctx, id, req.GetId(), ext)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return events.DispatchProto(d), nil
}

// DecideExtension is a supervisor approving or rejecting an extension.
func (s *Server) DecideExtension(ctx context.Context, req *responsev1.DecideExtensionRequest) (*responsev1.Dispatch, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetId() == "" {
		return nil, rpcerr.Invalid("id", "is required")
	}
	d, err := s.Desk.DecideExtension(ctx, id, req.GetId(), req.GetExtensionId(), req.GetApprove(), req.GetNote())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return events.DispatchProto(d), nil
}

func (s *Server) act(ctx context.Context, dispatchID string, cmd response.Command) (*responsev1.Dispatch, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if dispatchID == "" {
		return nil, rpcerr.Invalid("id", "is required")
	}
	d, err := s.Desk.Act(ctx, id, dispatchID, cmd)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return events.DispatchProto(d), nil
}

// toStatus is the one map from domain errors to gRPC codes. Anything it does
// not know is the service's own fault: logged here, and Internal to the caller
// without the details.
func (s *Server) toStatus(ctx context.Context, err error) error { return dutyStatus(ctx, s.Log, err) }

// toStatus maps the dispatch desk's errors; the ones every service shares
// are rpcerr.Status's.
func toStatus(ctx context.Context, log *slog.Logger, err error) error {
	var transition *response.TransitionError
	var notArrived *response.NotArrivedError
	switch {
	case errors.As(err, &notArrived):
		return notArrivedStatus(notArrived)
	case errors.Is(err, response.ErrNotFound):
		return status.Error(codes.NotFound, "dispatch not found")
	case errors.Is(err, response.ErrExtensionNotFound):
		return status.Error(codes.NotFound, "extension not found")
	case errors.Is(err, notify.ErrNotDead):
		return status.Error(codes.NotFound, "dead letter not found")
	case errors.Is(err, response.ErrPermission):
		return status.Error(codes.PermissionDenied, err.Error())
	case errors.As(err, &transition):
		return status.Error(codes.FailedPrecondition, transition.Error())
	}
	return rpcerr.Status(ctx, log, err)
}
