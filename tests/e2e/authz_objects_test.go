package e2e_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"
)

// matrixObjects are the objects of the supervisor and admin rows, made by
// the admin before the matrix runs: a police shift of 东城区 starting within
// the hour, a police webhook endpoint and a police service account of 东城区,
// a heartbeat of the owning desk, an extension of the environment dispatch
// awaiting a decision, the arbitration of the urban-management dispatch,
// returned as not its remit, and the owning desk's appeal against the breach
// of its acknowledgement clock (the fake clock is moved past it), and dead
// letters of the police endpoint, which never answers (the clock is moved on
// until its deliveries have used up their attempts).
type matrixObjects struct {
	shiftID, endpointID, accountID string
	channelID                      string
	extDispatchID, extensionID     string
	arbitrationID, appealID        string
	// fresh makes a new object of kind "shift", "endpoint", "channel" or "account" in
	// 东城区 for a row that deletes or revokes one, or finds a "dead-letter"
	// of 东城区 still dead: every caller gets its own.
	fresh func(kind string) string
}

// makeMatrixObjects creates the objects of matrixObjects as the admin.
func makeMatrixObjects(t *testing.T, s *system, w map[string]any, tokens map[string]string) matrixObjects {
	t.Helper()
	// Tokens of the moment: making the objects moves the clock through an hour
	// and more of webhook retries, and the matrix asks for fresh objects later.
	admin := func() string { return adminToken(t, s) }
	var n int
	var lastDead string
	create := func(path string, body map[string]any, id func(map[string]any) string) string {
		r := s.do(t, http.MethodPost, path, admin(), body)
		if r.status != http.StatusOK {
			t.Errorf("create %s: %d %s", path, r.status, r.raw)
			return "missing"
		}
		return id(r.body)
	}
	shift := func(dept, seat string, from time.Time) string {
		return create("/v1/roster/shifts", map[string]any{"department": dept, "district_id": dongcheng, "seat": seat, "person": "矩阵",
			"starts_at": from.Format(time.RFC3339), "ends_at": from.Add(8 * time.Hour).Format(time.RFC3339)},
			func(b map[string]any) string { return str(b["id"]) })
	}
	endpoint := func(dept, url string) string {
		return create("/v1/webhooks/endpoints", map[string]any{"department": dept, "district_id": dongcheng, "url": url,
			"secret": "authz-matrix-secret-0001"}, func(b map[string]any) string { return str(b["id"]) })
	}
	account := func(name string) string {
		return create("/v1/service-accounts", map[string]any{"name": name, "department": "police", "district_id": dongcheng},
			func(b map[string]any) string { return str(obj(b["account"])["id"]) })
	}
	o := matrixObjects{
		shiftID:    shift("police", "值班长", s.clock.Now().Add(time.Hour)),
		endpointID: endpoint("police", "https://police.invalid/authz"),
		accountID:  account("矩阵账号"),
		channelID:  matrixChannel(t, s, admin(), "police", 0),
		fresh: func(kind string) string {
			n++
			switch kind {
			case "channel":
				return matrixChannel(t, s, admin(), "water", n)
			case "shift":
				return shift("water", fmt.Sprintf("seat-%d", n), mustTime("2027-01-01T00:00:00Z"))
			case "endpoint":
				return endpoint("water", fmt.Sprintf("https://water.invalid/authz/%d", n))
			case "account":
				return account(fmt.Sprintf("矩阵账号%d", n))
			case "dead-letter":
				// The newest still dead (a replayed one is queued again); once
				// the allowed callers have replayed all, the last one for the
				// callers refused before it is looked up.
				r := s.do(t, http.MethodGet, "/v1/webhooks/dead-letters?district_id="+dongcheng, admin(), nil)
				if l := list(r.body["dead_letters"]); len(l) > 0 {
					lastDead = str(obj(l[0])["id"])
				}
				return lastDead
			}
			panic("unknown kind " + kind)
		},
	}
	um := dispatchOf(t, w, "urban-management")
	ret := s.do(t, http.MethodPost, "/v1/dispatches/"+str(um["id"])+":return", deskToken(t, s, dongcheng, "urban-management"),
		map[string]any{"reason": "非城管职责", "reason_code": "NOT_OUR_REMIT"})
	if ret.status != http.StatusOK {
		t.Errorf("return: %d %s", ret.status, ret.raw)
	}
	eventually(t, "the return queued for arbitration", func() bool {
		q := s.do(t, http.MethodGet, "/v1/arbitrations?district="+dongcheng, tokens["supervisor"], nil)
		if l := list(q.body["arbitrations"]); len(l) > 0 {
			o.arbitrationID = str(obj(l[0])["id"])
		}
		return o.arbitrationID != ""
	})
	beat := s.do(t, http.MethodPost, "/v1/desk/heartbeat", tokens["owning-desk"], map[string]any{"desk": "矩阵"})
	if beat.status != http.StatusOK {
		t.Errorf("heartbeat: %d %s", beat.status, beat.raw)
	}
	env := dispatchOf(t, w, "environment")
	o.extDispatchID = str(env["id"])
	until := parseTime(t, obj(env["deadlines"])["ack_by"]).Add(2 * time.Hour)
	ext := s.do(t, http.MethodPost, "/v1/dispatches/"+o.extDispatchID+":requestExtension", deskToken(t, s, dongcheng, "environment"),
		map[string]any{"clock": "ack", "until": until.Format(time.RFC3339), "reason": "需协调产权单位"})
	if ext.status != http.StatusOK {
		t.Errorf("request extension: %d %s", ext.status, ext.raw)
	} else {
		o.extensionID = str(obj(list(ext.body["extensions"])[0])["id"])
	}
	police := dispatchOf(t, w, "police")
	s.clock.Advance(parseTime(t, obj(police["deadlines"])["ack_by"]).Sub(s.clock.Now()))
	eventually(t, "the police acknowledgement clock breached and appealed", func() bool {
		s.clock.Advance(10 * time.Second) // small steps: a poller may have just gone to sleep
		r := s.do(t, http.MethodPost, "/v1/appeals", tokens["owning-desk"], map[string]any{
			"dispatch_id": str(police["id"]), "clock": "ack", "reason_code": "other", "reason": "系统故障未能及时签收"})
		o.appealID = str(r.body["id"])
		return r.status == http.StatusOK
	})
	eventuallyWithin(t, 3*time.Minute, "six webhook deliveries to the police endpoint dead", func() bool {
		s.clock.Advance(5 * time.Minute) // the failing endpoint's retries back off to a dead letter within 65 minutes
		// A token of the moment: the hour of retries outlives one minted before.
		r := s.do(t, http.MethodGet, "/v1/webhooks/dead-letters?district_id="+dongcheng, adminToken(t, s), nil)
		return len(list(r.body["dead_letters"])) >= 6
	})
	return o
}

func int64ID(s string) int64 {
	id, _ := strconv.ParseInt(s, 10, 64)
	return id
}

func listHas(b map[string]any, key, field, want string) bool {
	return slices.ContainsFunc(list(b[key]), func(x any) bool { return str(obj(x)[field]) == want })
}
