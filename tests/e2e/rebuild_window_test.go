package e2e_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
)

// TestRebuildKeepsFactsOlderThanTheStream: the event stream keeps events for
// a limited time, the SLA read model keeps them for good. Once the stream has
// dropped a whistle's events, a rebuild is refused with a clear message and
// the supervisor's report still counts that whistle's dispatches.
func TestRebuildKeepsFactsOlderThanTheStream(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	ctx := t.Context()
	raise(t, s, donghuamen, "joint-enforcement", 3)

	q := url.Values{"district": {dongcheng}, "from": {t0.Add(-time.Hour).Format(time.RFC3339)},
		"to": {t0.Add(24 * time.Hour).Format(time.RFC3339)}}
	dispatched := func() string {
		sup := s.token(t, auth.Identity{Role: auth.RoleSupervisor, DistrictID: dongcheng})
		r := s.do(t, http.MethodGet, "/v1/reports/sla?"+q.Encode(), sup, nil)
		require.Equal(t, http.StatusOK, r.status, r.raw)
		return str(obj(r.body["total"])["dispatched"])
	}
	eventually(t, "the first whistle's dispatches in the report", func() bool { return dispatched() == "3" })

	// A month later the stream has aged out the first whistle's events.
	stream, err := s.js.Stream(ctx, bus.StreamName)
	require.NoError(t, err)
	info, err := stream.Info(ctx)
	require.NoError(t, err)
	s.clock.Advance(31 * 24 * time.Hour)
	raise(t, s, donghuamen, "street-vending", 2)
	require.NoError(t, stream.Purge(ctx, jetstream.WithPurgeSequence(info.State.LastSeq+1)))

	admin := s.token(t, auth.Identity{Role: auth.RoleAdmin})
	rb := s.do(t, http.MethodPost, "/v1/feedback:rebuild", admin, map[string]any{})
	require.Equal(t, http.StatusBadRequest, rb.status, rb.raw)
	require.Contains(t, rb.raw, "no longer reaches back")
	require.Contains(t, rb.raw, "nothing was changed")
	require.Equal(t, "3", dispatched(), "the first whistle's facts are kept")
}
