package ctl_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/cli/internal/ctl"
)

// TestEtaShowSaysWhatEachEstimateRestsOn: the street reads each dispatch's
// expected arrival and resolution with its basis, and a whistle the answer
// leaves out is said to have none.
func TestEtaShowSaysWhatEachEstimateRestsOn(t *testing.T) {
	t.Parallel()
	_, url := startFake(t, http.StatusOK, `{"etas": [{"whistle_id": "w-1", "expected_resolution_at": "2026-11-28T06:00:00Z",
	  "dispatches": [
	    {"dispatch_id": "d-1", "department": "police", "status": "ACKNOWLEDGED",
	     "arrival": {"expected_at": "2026-11-28T02:40:00Z", "basis": "ETA_BASIS_DESK", "note": "约40分钟后到"},
	     "resolution": {"expected_at": "2026-11-28T05:00:00Z", "p80_at": "2026-11-28T06:00:00Z", "basis": "ETA_BASIS_HISTORY_HOUR", "samples": "34"}},
	    {"dispatch_id": "d-2", "department": "urban-management", "status": "PENDING",
	     "arrival": {"expected_at": "2026-11-28T02:30:00Z", "basis": "ETA_BASIS_SLA"},
	     "resolution": {"expected_at": "2026-11-28T06:00:00Z", "basis": "ETA_BASIS_SLA"}}]}]}`)
	code, out, errOut := run(t, map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": streetToken()}, "eta", "show", "w-1", "w-9")
	require.Equal(t, 0, code, errOut)
	local := func(s string) string {
		at, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return at.Local().Format(ctl.TimeLayout)
	}
	require.Contains(t, out, "Whistle w-1, expected done 预计办结: "+local("2026-11-28T06:00:00Z"))
	require.Regexp(t, `d-1\s+police\s+ACKNOWLEDGED\s+`+local("2026-11-28T02:40:00Z")+`\s+desk 部门预计\s+`+local("2026-11-28T05:00:00Z")+
		`\s+`+local("2026-11-28T06:00:00Z")+`\s+history, same hour 同时段历史 \(34\)\s+约40分钟后到`, out)
	require.Regexp(t, `d-2\s+urban-management\s+PENDING\s+.*SLA deadline 时限\s+.*-\s+SLA deadline 时限\s+-`, out)
	require.Contains(t, out, "Whistle w-9: no estimate (unknown, or not yours to see).")
}
