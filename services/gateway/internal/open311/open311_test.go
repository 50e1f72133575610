package open311

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

func TestParseKeys(t *testing.T) {
	t.Parallel()
	keys, err := ParseKeys("0123456789abcdef:110101001, fedcba9876543210:110105001\n# a comment\nzzzzzzzzzzzzzzzz:110101002")
	require.NoError(t, err)
	require.Equal(t, Keys{"0123456789abcdef": "110101001", "fedcba9876543210": "110105001", "zzzzzzzzzzzzzzzz": "110101002"}, keys)

	for _, bad := range []string{"nostreet", "short:110101001", "0123456789abcdef:1,0123456789abcdef:2"} {
		_, err := ParseKeys(bad)
		require.Error(t, err, bad)
		require.NotContains(t, err.Error(), "0123456789abcdef", "keys are not echoed in errors")
	}
}

func TestListFilter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	f, err := parseListFilter(map[string][]string{"status": {"open,closed"}, "service_code": {"noise"}}, now)
	require.NoError(t, err)
	require.Equal(t, now.Add(-90*24*time.Hour), f.start, "90 days by default")
	require.Equal(t, []string{"open", "closed"}, f.statuses)

	_, err = parseListFilter(map[string][]string{"start_date": {"2026-11-23T10:00:00Z"}, "end_date": {"2026-11-23T09:00:00Z"}}, now)
	require.ErrorContains(t, err, "end_date")
	_, err = parseListFilter(map[string][]string{"status": {"pending"}}, now)
	require.ErrorContains(t, err, "status")
}

func TestRequestFromWhistle(t *testing.T) {
	t.Parallel()
	raised := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
	ref := reference{
		categories: map[string]*routingv1.Category{"noise": {Code: "noise", Name: "噪声扰民", LeadDepartment: "environment",
			Sla: &routingv1.SlaPolicy{ArriveWithin: durationpb.New(30 * time.Minute), ResolveWithin: durationpb.New(72 * time.Hour)}}},
		departments: map[string]*routingv1.Department{"environment": {Code: "environment", Name: "生态环境局"}, "district-government": {Code: "district-government", Name: "区政府"}},
	}
	wh := &intakev1.Whistle{Id: "w1", Category: "noise", Status: intakev1.Whistle_ROUTED, RaisedAt: timestamppb.New(raised)}
	req := toRequest(wh, ref)
	require.Equal(t, "open", req.Status)
	require.Equal(t, "生态环境局", *req.AgencyResponsible)
	require.Equal(t, "2026-11-26T09:00:00+08:00", *req.ExpectedDatetime, "from the category's SLA before dispatches exist")
	require.Equal(t, "The departments arrive on site within 30 minutes and resolve within 3 days.", *req.ServiceNotice)

	// The environment desk returned it; the district government leads now, and the deadlines come from the dispatches.
	wh.Status = intakev1.Whistle_RESOLVED
	wh.Dispatches = []*responsev1.Dispatch{
		{Department: "environment", Role: "lead", Status: responsev1.Dispatch_RETURNED,
			Deadlines: &responsev1.Deadlines{ResolveBy: timestamppb.New(raised.Add(100 * time.Hour))}},
		{Department: "district-government", Role: "lead", Status: responsev1.Dispatch_RESOLVED,
			Deadlines: &responsev1.Deadlines{ResolveBy: timestamppb.New(raised.Add(72 * time.Hour))}},
	}
	req = toRequest(wh, ref)
	require.Equal(t, "closed", req.Status)
	require.Equal(t, "区政府", *req.AgencyResponsible)
	require.Equal(t, "2026-11-26T09:00:00+08:00", *req.ExpectedDatetime)
}
