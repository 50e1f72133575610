package ramp

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/tools/bench/internal/report"
	"github.com/chuishao/whistle/tools/bench/internal/stats"
)

func TestJudge(t *testing.T) {
	ok := report.Steady{Rate: 100, Duration: 10 * time.Second, Raised: 1000, Visible: 1000, Elapsed: 10500 * time.Millisecond,
		VisibleAfter: stats.Summary{P99: time.Second}}
	sustained, _ := Judge(ok, 5*time.Second)
	require.True(t, sustained)

	for name, tc := range map[string]func(s *report.Steady){
		"errors":  func(s *report.Steady) { s.Errors = 11 },
		"backlog": func(s *report.Steady) { s.Missing = 1 },
		"short":   func(s *report.Steady) { s.Raised = 800 },
		"p99":     func(s *report.Steady) { s.VisibleAfter.P99 = 6 * time.Second },
	} {
		s := ok
		tc(&s)
		sustained, reason := Judge(s, 5*time.Second)
		require.False(t, sustained, name)
		require.NotEmpty(t, reason, name)
	}
	require.Equal(t, 100.0, Sustainable([]Step{{Result: ok, Sustained: true}, {Result: report.Steady{Rate: 200}}}))
}
