package e2e_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
)

// clockOf picks one SLA clock from a dispatch's JSON.
func clockOf(t *testing.T, d map[string]any, name string) map[string]any {
	t.Helper()
	for _, c := range list(d["clocks"]) {
		if str(obj(c)["clock"]) == name {
			return obj(c)
		}
	}
	t.Fatalf("no %s clock in %v", name, d["clocks"])
	return nil
}

// levelOf reads escalation_level (absent when zero in proto JSON).
func levelOf(d map[string]any) int {
	f, _ := d["escalation_level"].(float64)
	return int(f)
}

func TestSLAEngineOverREST(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)
	policeTok := deskToken(t, s, dongcheng, "police")
	supTok := s.token(t, auth.Identity{Role: auth.RoleSupervisor, DistrictID: dongcheng})
	id, w := raise(t, s, donghuamen, "joint-enforcement", 3)
	police := str(dispatchOf(t, w, "police")["id"])
	path := "/v1/dispatches/" + police

	got := s.do(t, http.MethodGet, path, policeTok, nil)
	require.Equal(t, http.StatusOK, got.status, got.raw)
	require.Len(t, list(got.body["clocks"]), 3)
	require.Equal(t, "ON_TIME", str(clockOf(t, got.body, "arrive")["state"]))
	require.Zero(t, levelOf(got.body))

	ack := s.do(t, http.MethodPost, path+":acknowledge", policeTok, map[string]any{})
	require.Equal(t, http.StatusOK, ack.status, ack.raw)

	// A desk asks to move the resolve deadline; the supervisor approves.
	resolveBy := parseTime(t, clockOf(t, ack.body, "resolve")["due_at"])
	until := resolveBy.Add(24 * time.Hour)
	req := s.do(t, http.MethodPost, path+":requestExtension", policeTok, map[string]any{
		"clock": "resolve", "until": until.Format(time.RFC3339), "reason": "需协调产权单位到场",
	})
	require.Equal(t, http.StatusOK, req.status, req.raw)
	ext := obj(list(req.body["extensions"])[0])
	require.Equal(t, "PENDING", str(ext["status"]))
	denied := s.do(t, http.MethodPost, path+":decideExtension", policeTok, map[string]any{"extension_id": ext["id"], "approve": true})
	require.Equal(t, http.StatusForbidden, denied.status, denied.raw)
	dec := s.do(t, http.MethodPost, path+":decideExtension", supTok, map[string]any{"extension_id": ext["id"], "approve": true, "note": "同意延期"})
	require.Equal(t, http.StatusOK, dec.status, dec.raw)
	resolve := clockOf(t, dec.body, "resolve")
	require.True(t, parseTime(t, resolve["due_at"]).Equal(until))
	require.True(t, parseTime(t, resolve["original_due_at"]).Equal(resolveBy), "the original deadline stays on record")

	// Acknowledged but not on site at 30 min: breach (催办), then 督办 30 min later.
	for range 30 {
		s.clock.Advance(time.Minute)
	}
	eventually(t, "督办 on the timeline", func() bool {
		s.clock.Advance(30 * time.Second) // small steps: a poller may have just gone to sleep
		n, _ := timelineCount(t, s, streetTok, id, "sla.escalated", "arrive")
		return n >= 1 && s.clock.Now().After(t0.Add(time.Hour))
	})
	got = s.do(t, http.MethodGet, path, policeTok, nil)
	require.Equal(t, 2, levelOf(got.body))
	require.Equal(t, "BREACHED", str(clockOf(t, got.body, "arrive")["state"]))
	require.Equal(t, "MET", str(clockOf(t, got.body, "ack")["state"]))

	// The district supervisor lists it (挂牌督办) by hand; another district's cannot see it.
	other := s.token(t, auth.Identity{Role: auth.RoleSupervisor, DistrictID: "110102"})
	miss := s.do(t, http.MethodPost, path+":escalate", other, map[string]any{"reason": "x"})
	require.Equal(t, http.StatusNotFound, miss.status, miss.raw)
	esc := s.do(t, http.MethodPost, path+":escalate", supTok, map[string]any{"reason": "群众多次反映"})
	require.Equal(t, http.StatusOK, esc.status, esc.raw)
	require.Equal(t, 3, levelOf(esc.body))

	// Arriving now meets the arrival clock late.
	arr := s.do(t, http.MethodPost, path+":arrive", policeTok, map[string]any{"location": map[string]any{"lat": 39.9146, "lng": 116.4036}})
	require.Equal(t, http.StatusOK, arr.status, arr.raw)
	require.Equal(t, "MET_LATE", str(clockOf(t, arr.body, "arrive")["state"]))

	eventually(t, "manual escalation and extension on the timeline", func() bool {
		_, entries := timelineCount(t, s, streetTok, id, "", "")
		var manual, decided bool
		for _, e := range entries {
			e := obj(e)
			if str(e["dispatch_id"]) != police {
				continue
			}
			manual = manual || (str(e["type"]) == "sla.escalated" && obj(e["data"])["manual"] == true)
			decided = decided || str(e["type"]) == "sla.extension_decided"
		}
		return manual && decided
	})
}
