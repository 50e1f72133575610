package limits_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/chuishao/whistle/platform/limits"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

func fields(t *testing.T, err error) []string {
	t.Helper()
	st := status.Convert(err)
	require.Equal(t, codes.InvalidArgument, st.Code(), "%v", err)
	var out []string
	for _, d := range st.Details() {
		for _, v := range d.(*errdetails.BadRequest).GetFieldViolations() {
			out = append(out, v.GetField())
		}
	}
	return out
}

func TestCheckNamesEveryOversizedFieldByItsPath(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("字", 2001)
	req := &intakev1.TriageReportsRequest{
		ReportIds: []string{"r1", strings.Repeat("x", 257)},
		Result:    long,
		Whistle:   &intakev1.RaiseWhistleRequest{Description: long, Title: strings.Repeat("t", 200)},
	}
	require.ElementsMatch(t, []string{"report_ids[1]", "result", "whistle.description"}, fields(t, limits.Check(req)))
	req.ReportIds = make([]string, 101)
	require.Contains(t, fields(t, limits.Check(req)), "report_ids")

	require.NoError(t, limits.Check(&routingv1.UpdateCatalogueDraftRequest{Rules: make([]*routingv1.CatalogueRule, 5000)}))
	require.NoError(t, limits.Check(nil))
}

func TestCheckBoundsUnknownFieldsAndHowManyProblemsItNames(t *testing.T) {
	t.Parallel()
	req := &routingv1.AddDepartmentRequest{WhistleId: "w"}
	req.ProtoReflect().SetUnknown(protowire.AppendBytes(protowire.AppendTag(nil, 99, protowire.BytesType), make([]byte, 2000)))
	require.Equal(t, []string{"(unknown fields)"}, fields(t, limits.Check(req)))

	rules := make([]*routingv1.CatalogueRule, 50)
	for i := range rules {
		rules[i] = &routingv1.CatalogueRule{Category: strings.Repeat("c", 300)}
	}
	got := fields(t, limits.Check(&routingv1.UpdateCatalogueDraftRequest{Rules: rules}))
	require.Len(t, got, 10, "an answer names at most ten problems")
	require.Equal(t, "rules[0].category", got[0])
}
