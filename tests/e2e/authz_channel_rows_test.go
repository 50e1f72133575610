package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"

	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
)

// matrixChannel is a 企业微信 robot channel of dept in 东城区, made by the admin;
// n tells fresh ones apart.
func matrixChannel(t *testing.T, s *system, admin, dept string, n int) string {
	t.Helper()
	r := s.do(t, http.MethodPost, "/v1/channels", admin, map[string]any{"department": dept, "district_id": dongcheng, "kind": "wecom",
		"robot_url": fmt.Sprintf("https://%s.invalid/robot/send?key=authz-matrix-%d", dept, n)})
	if r.status != http.StatusOK {
		t.Errorf("create channel: %d %s", r.status, r.raw)
		return "missing"
	}
	return str(r.body["id"])
}

// The channels to people: like webhook endpoints, admins manage them (a
// robot's URL decides where the service posts from inside the deployment);
// supervisors list their district's, the city's supervisors every district's.
func init() {
	authzMatrix = append(authzMatrix, matrixRoute{
		name: "ListChannels", method: http.MethodGet,
		path: func(matrixFixture) string { return "/v1/channels" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			r, err := c.slaAdmin.ListChannels(ctx, &responsev1.ListChannelsRequest{})
			return slices.ContainsFunc(r.GetChannels(), func(x *responsev1.Channel) bool { return x.GetId() == int64ID(f.channelID) }), err
		},
		seen: func(b map[string]any, f matrixFixture) bool { return listHas(b, "channels", "id", f.channelID) },
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   A   H    A    A   U    U   U   U   U",
	}, matrixRoute{
		name: "CreateChannel", method: http.MethodPost,
		body: map[string]any{"department": "water", "district_id": dongcheng, "kind": "aliyun-sms"},
		path: func(matrixFixture) string { return "/v1/channels" },
		rpc: func(ctx context.Context, c *backendClients, _ matrixFixture) (bool, error) {
			_, err := c.slaAdmin.CreateChannel(ctx, &responsev1.CreateChannelRequest{Department: "water", DistrictId: dongcheng, Kind: "aliyun-sms"})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   F   F    F    A   U    U   U   U   U",
	}, matrixRoute{
		name: "UpdateChannel", method: http.MethodPatch, body: map[string]any{"enabled": true},
		path: func(f matrixFixture) string { return "/v1/channels/" + f.channelID },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			enabled := true
			_, err := c.slaAdmin.UpdateChannel(ctx, &responsev1.UpdateChannelRequest{Id: int64ID(f.channelID), Enabled: &enabled})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   F   F    F    A   U    U   U   U   U",
	}, matrixRoute{
		name: "DeleteChannel", method: http.MethodDelete,
		path: func(f matrixFixture) string { return "/v1/channels/" + f.fresh("channel") },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.slaAdmin.DeleteChannel(ctx, &responsev1.DeleteChannelRequest{Id: int64ID(f.fresh("channel"))})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   F    F   F   F   F    F    A   U    U   U   U   U",
	})
}
