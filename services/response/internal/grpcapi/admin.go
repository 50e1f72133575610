package grpcapi

import (
	"context"
	"log/slog"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/durationpb"

	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	"github.com/chuishao/whistle/services/response/internal/duty"
	"github.com/chuishao/whistle/services/response/internal/notify"
	"github.com/chuishao/whistle/services/response/internal/policy"
	"github.com/chuishao/whistle/services/response/internal/response"
)

// AdminServer implements responsev1.SlaAdminServiceServer.
type AdminServer struct {
	responsev1.UnimplementedSlaAdminServiceServer
	Policy *policy.Service
	// Webhooks are the outbound webhook deliveries (dead letters, replay).
	Webhooks *notify.Deliveries
	// Endpoints manages webhook endpoints; Duty rosters, heartbeats and service accounts.
	Endpoints *notify.Endpoints
	// Channels manages the channels to people (SMS, e-mail, group robots).
	Channels *notify.Channels
	Duty     *duty.Service
	Log      *slog.Logger
}

// Register adds the API to srv.
func (s *AdminServer) Register(srv *grpc.Server) { responsev1.RegisterSlaAdminServiceServer(srv, s) }

var dayKinds = map[responsev1.CalendarDay_Kind]response.DayKind{
	responsev1.CalendarDay_HOLIDAY: response.Holiday,
	responsev1.CalendarDay_WORKDAY: response.Workday,
}

func dayProto(d policy.Day) *responsev1.CalendarDay {
	kind := responsev1.CalendarDay_HOLIDAY
	if d.Kind == response.Workday {
		kind = responsev1.CalendarDay_WORKDAY
	}
	return &responsev1.CalendarDay{Date: d.Date, Kind: kind, Name: d.Name, Provisional: d.Provisional}
}

func ruleProto(r policy.Rule) *responsev1.Policy {
	return &responsev1.Policy{
		Category: r.Category, DistrictId: r.DistrictID,
		AckWithin: durationpb.New(r.AckWithin), ArriveWithin: durationpb.New(r.ArriveWithin),
		ResolveWithin: durationpb.New(r.ResolveWithin), ResolveWorkingDays: int32(r.ResolveWorkingDays),
	}
}

// ListCalendarDays returns a year's special days.
func (s *AdminServer) ListCalendarDays(ctx context.Context, req *responsev1.ListCalendarDaysRequest) (*responsev1.ListCalendarDaysResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	days, err := s.Policy.ListDays(ctx, id, int(req.GetYear()))
	if err != nil {
		return nil, toStatus(ctx, s.Log, err)
	}
	resp := &responsev1.ListCalendarDaysResponse{}
	for _, d := range days {
		resp.Days = append(resp.Days, dayProto(d))
	}
	return resp, nil
}

// SetCalendarDay sets one special day.
func (s *AdminServer) SetCalendarDay(ctx context.Context, req *responsev1.SetCalendarDayRequest) (*responsev1.CalendarDay, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	d := req.GetDay()
	day, err := s.Policy.SetDay(ctx, id, policy.Day{Date: d.GetDate(), Kind: dayKinds[d.GetKind()], Name: d.GetName()})
	if err != nil {
		return nil, toStatus(ctx, s.Log, err)
	}
	return dayProto(day), nil
}

// DeleteCalendarDay returns a day to the Monday-to-Friday rule.
func (s *AdminServer) DeleteCalendarDay(ctx context.Context, req *responsev1.DeleteCalendarDayRequest) (*responsev1.DeleteCalendarDayResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Policy.DeleteDay(ctx, id, req.GetDate()); err != nil {
		return nil, toStatus(ctx, s.Log, err)
	}
	return &responsev1.DeleteCalendarDayResponse{}, nil
}

// ListPolicies returns every policy.
func (s *AdminServer) ListPolicies(ctx context.Context, _ *responsev1.ListPoliciesRequest) (*responsev1.ListPoliciesResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	rules, err := s.Policy.ListRules(ctx, id)
	if err != nil {
		return nil, toStatus(ctx, s.Log, err)
	}
	resp := &responsev1.ListPoliciesResponse{}
	for _, r := range rules {
		resp.Policies = append(resp.Policies, ruleProto(r))
	}
	return resp, nil
}

// SetPolicy sets one policy.
func (s *AdminServer) SetPolicy(ctx context.Context, req *responsev1.SetPolicyRequest) (*responsev1.Policy, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	p := req.GetPolicy()
	r, err := s.Policy.SetRule(ctx, id, policy.Rule{
		Category: p.GetCategory(), DistrictID: p.GetDistrictId(),
		Policy: response.Policy{
			AckWithin: p.GetAckWithin().AsDuration(), ArriveWithin: p.GetArriveWithin().AsDuration(),
			ResolveWithin: p.GetResolveWithin().AsDuration(), ResolveWorkingDays: int(p.GetResolveWorkingDays()),
		},
	})
	if err != nil {
		return nil, toStatus(ctx, s.Log, err)
	}
	return ruleProto(r), nil
}
