package grpcapi

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/rpcerr"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	"github.com/chuishao/whistle/services/response/internal/duty"
	"github.com/chuishao/whistle/services/response/internal/notify"
	"github.com/chuishao/whistle/services/response/internal/response"
)

// dutyStatus maps the duty desks' errors, then the rest as toStatus does.
func dutyStatus(ctx context.Context, log *slog.Logger, err error) error {
	switch {
	case errors.Is(err, duty.ErrRevoked):
		return status.Error(codes.Unauthenticated, "service account revoked")
	case errors.Is(err, duty.ErrShiftNotFound):
		return status.Error(codes.NotFound, "shift not found")
	case errors.Is(err, duty.ErrAccountNotFound):
		return status.Error(codes.NotFound, "service account not found")
	case errors.Is(err, duty.ErrNoSigner):
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, notify.ErrEndpointNotFound):
		return status.Error(codes.NotFound, "webhook endpoint not found")
	case errors.Is(err, notify.ErrEndpointExists):
		return status.Error(codes.AlreadyExists, "webhook endpoint already exists for this department, district and URL")
	case errors.Is(err, notify.ErrChannelNotFound):
		return status.Error(codes.NotFound, "channel not found")
	case errors.Is(err, notify.ErrChannelExists):
		return status.Error(codes.AlreadyExists, "this desk already has a channel of this kind (SMS, e-mail) or robot URL")
	}
	return toStatus(ctx, log, err)
}

func shiftProto(s duty.Shift) *responsev1.Shift {
	return &responsev1.Shift{
		Id: s.ID, Department: s.Department, DistrictId: s.DistrictID, Seat: s.Seat, Person: s.Person, Phone: s.Phone, Email: s.Email,
		StartsAt: timestamppb.New(s.StartsAt), EndsAt: timestamppb.New(s.EndsAt), CreatedBy: s.CreatedBy,
	}
}

// shiftsProto renders the shifts as reader may read them (duty.ForReader).
func shiftsProto(reader auth.Identity, list []duty.Shift) []*responsev1.Shift {
	out := make([]*responsev1.Shift, len(list))
	for i, s := range duty.ForReader(reader, list) {
		out[i] = shiftProto(s)
	}
	return out
}

// withOnDuty fills each dispatch's on_duty from the roster at the clock's now.
func (s *Server) withOnDuty(ctx context.Context, list ...*responsev1.Dispatch) error {
	if s.Duty == nil || len(list) == 0 {
		return nil
	}
	desks := make([]duty.Desk, len(list))
	for i, d := range list {
		desks[i] = duty.Desk{Department: d.GetDepartment(), DistrictID: d.GetDistrictId()}
	}
	reader, err := caller(ctx)
	if err != nil {
		return err
	}
	on, err := s.Duty.OnDuty(ctx, desks, s.Duty.Clock.Now())
	if err != nil {
		return err
	}
	for i, d := range list {
		d.OnDuty = shiftsProto(reader, on[desks[i]])
	}
	return nil
}

// DeskHeartbeat records that a desk of the caller's department is live.
func (s *Server) DeskHeartbeat(ctx context.Context, req *responsev1.DeskHeartbeatRequest) (*responsev1.DeskHeartbeatResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	on, err := s.Duty.Heartbeat(ctx, id, req.GetDesk())
	if err != nil {
		return nil, dutyStatus(ctx, s.Log, err)
	}
	return &responsev1.DeskHeartbeatResponse{Window: durationpb.New(s.Duty.Window), OnDuty: shiftsProto(id, on)}, nil
}

// ListShifts returns the roster of a period.
func (s *AdminServer) ListShifts(ctx context.Context, req *responsev1.ListShiftsRequest) (*responsev1.ListShiftsResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var p duty.Period
	if req.GetFrom() != nil {
		p.From = req.GetFrom().AsTime()
	}
	if req.GetTo() != nil {
		p.To = req.GetTo().AsTime()
	}
	list, err := s.Duty.ListShifts(ctx, id, duty.Desk{Department: req.GetDepartment(), DistrictID: req.GetDistrictId()}, p)
	if err != nil {
		return nil, dutyStatus(ctx, s.Log, err)
	}
	return &responsev1.ListShiftsResponse{Shifts: shiftsProto(id, list)}, nil
}

// AddShift adds a shift to a roster.
func (s *AdminServer) AddShift(ctx context.Context, req *responsev1.AddShiftRequest) (*responsev1.Shift, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	in := req.GetShift()
	sh := duty.Shift{Department: in.GetDepartment(), DistrictID: in.GetDistrictId(), Seat: in.GetSeat(), Person: in.GetPerson(), Phone: in.GetPhone(), Email: in.GetEmail()}
	if in.GetStartsAt() != nil {
		sh.StartsAt = in.GetStartsAt().AsTime()
	}
	if in.GetEndsAt() != nil {
		sh.EndsAt = in.GetEndsAt().AsTime()
	}
	out, err := s.Duty.AddShift(ctx, id, sh)
	if err != nil {
		return nil, dutyStatus(ctx, s.Log, err)
	}
	return shiftProto(out), nil
}

// DeleteShift removes a shift.
func (s *AdminServer) DeleteShift(ctx context.Context, req *responsev1.DeleteShiftRequest) (*responsev1.DeleteShiftResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetId() == "" {
		return nil, rpcerr.Invalid("id", "is required")
	}
	if err := s.Duty.DeleteShift(ctx, id, req.GetId()); err != nil {
		return nil, dutyStatus(ctx, s.Log, err)
	}
	return &responsev1.DeleteShiftResponse{}, nil
}

// ListDeskHeartbeats returns the desks' last heartbeats.
func (s *AdminServer) ListDeskHeartbeats(ctx context.Context, req *responsev1.ListDeskHeartbeatsRequest) (*responsev1.ListDeskHeartbeatsResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	beats, err := s.Duty.Heartbeats(ctx, id, duty.Desk{Department: req.GetDepartment(), DistrictID: req.GetDistrictId()})
	if err != nil {
		return nil, dutyStatus(ctx, s.Log, err)
	}
	resp := &responsev1.ListDeskHeartbeatsResponse{Window: durationpb.New(s.Duty.Window)}
	for _, b := range beats {
		resp.Heartbeats = append(resp.Heartbeats, &responsev1.DeskHeartbeat{
			Department: b.Department, DistrictId: b.DistrictID, Desk: b.Name, LastSeen: timestamppb.New(b.LastSeen), Live: b.Live,
		})
	}
	return resp, nil
}

func endpointProto(e notify.ManagedEndpoint) *responsev1.WebhookEndpoint {
	p := &responsev1.WebhookEndpoint{
		Id: e.ID, Department: e.Department, DistrictId: e.District, Url: e.URL, Enabled: e.Enabled,
		Source: e.Source, CreatedAt: timestamppb.New(e.CreatedAt),
	}
	if e.UpdatedAt != nil {
		p.UpdatedAt = timestamppb.New(*e.UpdatedAt)
	}
	if e.PreviousSecretExpiresAt != nil {
		p.PreviousSecretExpiresAt = timestamppb.New(*e.PreviousSecretExpiresAt)
	}
	return p
}

// ListWebhookEndpoints returns the endpoints without secrets.
func (s *AdminServer) ListWebhookEndpoints(ctx context.Context, req *responsev1.ListWebhookEndpointsRequest) (*responsev1.ListWebhookEndpointsResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.Endpoints.List(ctx, id, req.GetDepartment(), req.GetDistrictId())
	if err != nil {
		return nil, dutyStatus(ctx, s.Log, err)
	}
	resp := &responsev1.ListWebhookEndpointsResponse{}
	for _, e := range list {
		resp.Endpoints = append(resp.Endpoints, endpointProto(e))
	}
	return resp, nil
}

// CreateWebhookEndpoint adds an endpoint.
func (s *AdminServer) CreateWebhookEndpoint(ctx context.Context, req *responsev1.CreateWebhookEndpointRequest) (*responsev1.WebhookEndpoint, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	e, err := s.Endpoints.Create(ctx, id, req.GetDepartment(), req.GetDistrictId(), req.GetUrl(), req.GetSecret())
	if err != nil {
		return nil, dutyStatus(ctx, s.Log, err)
	}
	return endpointProto(e), nil
}

// UpdateWebhookEndpoint changes an endpoint.
func (s *AdminServer) UpdateWebhookEndpoint(ctx context.Context, req *responsev1.UpdateWebhookEndpointRequest) (*responsev1.WebhookEndpoint, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var ch notify.EndpointChange
	if u := req.GetUrl(); u != "" {
		ch.URL = &u
	}
	if sec := req.GetSecret(); sec != "" {
		ch.Secret = &sec
	}
	ch.Enabled = req.Enabled
	if o := req.GetSecretOverlap(); o != nil {
		if err := o.CheckValid(); err != nil {
			return nil, dutyStatus(ctx, s.Log, response.InvalidError{{Field: "secret_overlap", Reason: "must be a duration"}})
		}
		d := o.AsDuration()
		ch.SecretOverlap = &d
	}
	e, err := s.Endpoints.Update(ctx, id, req.GetId(), ch)
	if err != nil {
		return nil, dutyStatus(ctx, s.Log, err)
	}
	return endpointProto(e), nil
}

// DeleteWebhookEndpoint removes an endpoint.
func (s *AdminServer) DeleteWebhookEndpoint(ctx context.Context, req *responsev1.DeleteWebhookEndpointRequest) (*responsev1.DeleteWebhookEndpointResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Endpoints.Delete(ctx, id, req.GetId()); err != nil {
		return nil, dutyStatus(ctx, s.Log, err)
	}
	return &responsev1.DeleteWebhookEndpointResponse{}, nil
}

func accountProto(a duty.Account) *responsev1.ServiceAccount {
	p := &responsev1.ServiceAccount{
		Id: a.ID, Name: a.Name, Department: a.Department, DistrictId: a.DistrictID, CreatedBy: a.CreatedBy,
		CreatedAt: timestamppb.New(a.CreatedAt), ExpiresAt: timestamppb.New(a.ExpiresAt), RevokedBy: a.RevokedBy,
	}
	if a.RevokedAt != nil {
		p.RevokedAt = timestamppb.New(*a.RevokedAt)
	}
	return p
}

// ListServiceAccounts returns the service accounts.
func (s *AdminServer) ListServiceAccounts(ctx context.Context, req *responsev1.ListServiceAccountsRequest) (*responsev1.ListServiceAccountsResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.Duty.Accounts(ctx, id, req.GetDistrictId())
	if err != nil {
		return nil, dutyStatus(ctx, s.Log, err)
	}
	resp := &responsev1.ListServiceAccountsResponse{}
	for _, a := range list {
		resp.Accounts = append(resp.Accounts, accountProto(a))
	}
	return resp, nil
}

// CreateServiceAccount issues an account and its token.
func (s *AdminServer) CreateServiceAccount(ctx context.Context, req *responsev1.CreateServiceAccountRequest) (*responsev1.CreateServiceAccountResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	a, token, err := s.Duty.CreateAccount(ctx, id, duty.NewAccount{
		Name: req.GetName(), Department: req.GetDepartment(), DistrictID: req.GetDistrictId(), TTL: req.GetTtl().AsDuration(),
	})
	if err != nil {
		return nil, dutyStatus(ctx, s.Log, err)
	}
	return &responsev1.CreateServiceAccountResponse{Account: accountProto(a), Token: token}, nil
}

// RevokeServiceAccount revokes an account.
func (s *AdminServer) RevokeServiceAccount(ctx context.Context, req *responsev1.RevokeServiceAccountRequest) (*responsev1.ServiceAccount, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetId() == "" {
		return nil, rpcerr.Invalid("id", "is required")
	}
	a, err := s.Duty.RevokeAccount(ctx, id, req.GetId())
	if err != nil {
		return nil, dutyStatus(ctx, s.Log, err)
	}
	return accountProto(a), nil
}
