package feedback_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
)

func TestTheUpwardReportPrintsNamesAndChineseSteps(t *testing.T) {
	at := time.Date(2026, 5, 11, 14, 55, 0, 0, feedback.ReportZone)
	s := feedback.WhistleStory{
		DistrictID: "110101", StreetID: "110101001", Category: "noise", RaisedAt: at,
		StreetName: "东华门街道", CategoryName: "噪声扰民",
		Dispatches: []feedback.DispatchStory{{
			Department: "urban-management", Round: 1, DispatchedAt: at.Add(5 * time.Minute),
			Breaches: []string{"ack", "arrive"}, EscalationLevel: 2,
		}},
	}
	require.Equal(t, "05-11 14:55 东城区东华门街道吹哨：噪声扰民（噪声扰民）。\n"+
		"城管 05-11 15:00 派单；超时：签收、到场，已督办。\n尚未回访评价。", feedback.UpwardText(s))

	// Without routing's names the codes stand in.
	s.StreetName, s.CategoryName = "", ""
	require.Contains(t, feedback.UpwardText(s), "05-11 14:55 街道 110101001 吹哨：noise（noise）。")
}
