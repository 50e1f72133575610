package grpcapi

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	"github.com/chuishao/whistle/services/response/internal/notify"
)

func channelProto(c notify.ManagedChannel) *responsev1.Channel {
	p := &responsev1.Channel{
		Id: c.ID, Department: c.Department, DistrictId: c.District, Kind: c.Kind, Target: c.Target, Signed: c.Signed,
		Enabled: c.Enabled, Source: c.Source, CreatedAt: timestamppb.New(c.CreatedAt),
	}
	if c.UpdatedAt != nil {
		p.UpdatedAt = timestamppb.New(*c.UpdatedAt)
	}
	return p
}

// ListChannels returns the channels without their keys.
func (s *AdminServer) ListChannels(ctx context.Context, req *responsev1.ListChannelsRequest) (*responsev1.ListChannelsResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.Channels.List(ctx, id, req.GetDepartment(), req.GetDistrictId())
	if err != nil {
		return nil, dutyStatus(ctx, s.Log, err)
	}
	resp := &responsev1.ListChannelsResponse{}
	for _, c := range list {
		resp.Channels = append(resp.Channels, channelProto(c))
	}
	return resp, nil
}

// CreateChannel adds a channel.
func (s *AdminServer) CreateChannel(ctx context.Context, req *responsev1.CreateChannelRequest) (*responsev1.Channel, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.Channels.Create(ctx, id, req.GetDepartment(), req.GetDistrictId(), req.GetKind(), req.GetRobotUrl(), req.GetSecret())
	if err != nil {
		return nil, dutyStatus(ctx, s.Log, err)
	}
	return channelProto(c), nil
}

// UpdateChannel changes a channel.
func (s *AdminServer) UpdateChannel(ctx context.Context, req *responsev1.UpdateChannelRequest) (*responsev1.Channel, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var ch notify.ChannelChange
	if u := req.GetRobotUrl(); u != "" {
		ch.RobotURL = &u
	}
	if sec := req.GetSecret(); sec != "" {
		ch.Secret = &sec
	}
	ch.Enabled = req.Enabled
	c, err := s.Channels.Update(ctx, id, req.GetId(), ch)
	if err != nil {
		return nil, dutyStatus(ctx, s.Log, err)
	}
	return channelProto(c), nil
}

// DeleteChannel removes a channel.
func (s *AdminServer) DeleteChannel(ctx context.Context, req *responsev1.DeleteChannelRequest) (*responsev1.DeleteChannelResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Channels.Delete(ctx, id, req.GetId()); err != nil {
		return nil, dutyStatus(ctx, s.Log, err)
	}
	return &responsev1.DeleteChannelResponse{}, nil
}
