package download

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
)

// documentedColumns reads the column map of docs/hotline.md: the rows of the
// table headed "| 列名 | field | value |", as header and field.
func documentedColumns(t *testing.T) [][2]string {
	t.Helper()
	raw, err := os.ReadFile("../../../../docs/hotline.md")
	require.NoError(t, err)
	var out [][2]string
	in := false
	for line := range strings.SplitSeq(string(raw), "\n") {
		switch {
		case strings.HasPrefix(line, "| 列名 | field |"):
			in = true
		case in && strings.HasPrefix(line, "|---"):
		case in && strings.HasPrefix(line, "|"):
			cells := strings.Split(line, "|")
			out = append(out, [2]string{strings.TrimSpace(cells[1]), strings.TrimSpace(cells[2])})
		case in:
			return out
		}
	}
	return out
}

// TestReturnColumnsAreTheDocumented: the return files' columns are those
// docs/hotline.md documents, in its order.
func TestReturnColumnsAreTheDocumented(t *testing.T) {
	t.Parallel()
	var code [][2]string
	for _, c := range ReturnColumns {
		code = append(code, [2]string{c.Header, c.Field})
	}
	require.Equal(t, documentedColumns(t), code)
}

// TestReturnValues: a followed-up, late ticket and an open one, as written.
func TestReturnValues(t *testing.T) {
	t.Parallel()
	closed := time.Date(2026, 12, 7, 2, 30, 0, 0, time.UTC)
	row := func(r *intakev1.TicketReturn) map[string]string {
		out := map[string]string{}
		for _, c := range ReturnColumns {
			out[c.Header] = c.value(r)
		}
		return out
	}
	done := row(&intakev1.TicketReturn{ExternalNumber: "BJ-1", TicketType: "urgent", Status: "CLOSED", Overdue: true,
		ClosedAt: timestamppb.New(closed), FollowedUpAt: timestamppb.New(closed.Add(time.Hour)), Satisfaction: 4, Fixed: false})
	require.Equal(t, "紧急", done["工单类型"])
	require.Equal(t, "已办结", done["办理状态"])
	require.Equal(t, "2026-12-07 10:30:00", done["办结时间"])
	require.Equal(t, "是", done["是否超期"])
	require.Equal(t, "4", done["回访满意度"])
	require.Equal(t, "否", done["是否解决"])
	open := row(&intakev1.TicketReturn{ExternalNumber: "BJ-2", TicketType: "consult", Status: "IN_PROGRESS"})
	require.Equal(t, "consult", open["工单类型"])
	require.Equal(t, "办理中", open["办理状态"])
	require.Equal(t, "否", open["是否超期"])
	require.Empty(t, open["办结时间"]+open["回访满意度"]+open["是否解决"])
}
