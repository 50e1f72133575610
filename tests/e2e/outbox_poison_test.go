package e2e_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// An event too large for NATS must not stop a service's stream. A street
// adds a department with a reason as large as the gateway takes (a 1 MiB
// body), which would make events over NATS's 1 MiB max payload: the request
// is refused with 400, and whistles raised afterwards are still routed.
func TestOversizedEventIsRefusedAndRoutingContinues(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)
	first, _ := raise(t, s, donghuamen, "street-vending", 2)

	const prefix, suffix = `{"department":"transport","reason":"`, `"}`
	body := prefix + strings.Repeat("x", 1<<20-len(prefix)-len(suffix)) + suffix
	r := s.do(t, http.MethodPost, "/v1/whistles/"+first+":addDepartment", streetTok, body)
	require.Equal(t, http.StatusBadRequest, r.status, "status %d, body %.300s", r.status, r.raw)
	require.Equal(t, "INVALID_ARGUMENT", str(obj(r.body["error"])["code"]), "%.300s", r.raw)
	require.Equal(t, "reason", str(obj(list(obj(r.body["error"])["details"])[0])["field"]), "%.300s", r.raw)

	raise(t, s, donghuamen, "street-vending", 2)
	w := s.do(t, http.MethodGet, "/v1/whistles/"+first, streetTok, nil).body
	require.Len(t, list(w["dispatches"]), 2, "the refused department was not added")
}
