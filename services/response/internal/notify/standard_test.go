package notify_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/services/response/internal/notify"
	"github.com/chuishao/whistle/services/response/internal/notify/whistlewebhook"
)

// The test vector published with the Standard Webhooks specification.
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func vectorRequest(signature string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(vectorBody))
	req.Header.Set("webhook-id", vectorID)
	req.Header.Set("webhook-timestamp", "1614265330")
	req.Header.Set("webhook-signature", signature)
	return req
}

func TestSignaturesMatchTheSpecsTestVector(t *testing.T) {
	t.Parallel()
	at := time.Unix(vectorTimestamp, 0)
	sig, err := notify.Sign(vectorID, at, []byte(vectorBody), vectorSecret)
	require.NoError(t, err)
	require.Equal(t, vectorSignature, sig)

	// The receiver of docs/webhooks.md accepts it, and refuses a replay.
	_, err = whistlewebhook.Verify(vectorRequest(sig), vectorSecret, at.Add(time.Minute))
	require.NoError(t, err)
	_, err = whistlewebhook.Verify(vectorRequest(sig), vectorSecret, at.Add(6*time.Minute))
	require.ErrorContains(t, err, "too far")
	_, err = whistlewebhook.Verify(vectorRequest(sig), "whsec_"+strings.Repeat("A", 32), at)
	require.ErrorContains(t, err, "no valid signature")

	// During a rotation both secrets sign; a receiver holding either verifies,
	// and so does the spec's own library.
	other := "whsec_" + strings.Repeat("QUJD", 8)
	both, err := notify.Sign(vectorID, at, []byte(vectorBody), other, vectorSecret)
	require.NoError(t, err)
	require.Equal(t, 2, len(strings.Fields(both)))
	require.True(t, strings.HasSuffix(both, " "+vectorSignature))
	for _, s := range []string{other, vectorSecret} {
		_, err = whistlewebhook.Verify(vectorRequest(both), s, at)
		require.NoError(t, err)
		wh, err := standardwebhooks.NewWebhook(s)
		require.NoError(t, err)
		require.NoError(t, wh.VerifyIgnoringTimestamp([]byte(vectorBody), vectorRequest(both).Header))
	}
}

func TestSecretsAreStandardOrLongEnough(t *testing.T) {
	t.Parallel()
	require.NoError(t, notify.CheckSecret(vectorSecret))
	require.NoError(t, notify.CheckSecret("a-plain-secret-of-24-chars"))
	require.Error(t, notify.CheckSecret("short"))
	require.Error(t, notify.CheckSecret("whsec_not*base64"))
	require.Error(t, notify.CheckSecret("whsec_c2hvcnQ="), "a key of 5 bytes")
}

// TestTheDocumentedGoReceiverIsTheOneTheTestsRun: the Go block of
// docs/webhooks.md is package whistlewebhook, byte for byte, so every test
// receiver (here and in the response app's tests) runs the documented code.
func TestTheDocumentedGoReceiverIsTheOneTheTestsRun(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../../../docs/webhooks.md")
	require.NoError(t, err)
	code, err := os.ReadFile("whistlewebhook/verify.go")
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllSubmatch(doc, -1)
	require.NotEmpty(t, blocks)
	require.Equal(t, string(code), string(blocks[0][1]), "docs/webhooks.md's Go receiver and whistlewebhook/verify.go differ")
}

func TestARotatedSecretKeepsVerifyingDuringTheOverlap(t *testing.T) {
	t.Parallel()
	r := newRig(t, notify.Worker{})
	eps := &notify.Endpoints{Pool: r.pool, Clock: r.clk, Egress: loopbackEgress(t), Subscriptions: r.subs}
	admin := auth.Identity{Role: auth.RoleAdmin, Subject: "admin"}
	police := r.endpointID("police", "110101")

	r.publish("police", "d-before")
	require.Equal(t, []string{secret}, r.nextHit().verifiedBy)

	// The admin rotates; the department's system learns the new secret some
	// time during the overlap. Meanwhile both signatures come.
	newSecret := "whsec_bmV3LXNlY3JldC1mb3ItdGhlLXBvbGljZS1zeXN0ZW0="
	require.NoError(t, notify.CheckSecret(newSecret))
	overlap := time.Hour
	ep, err := eps.Update(r.ctx, admin, police, notify.EndpointChange{Secret: &newSecret, SecretOverlap: &overlap})
	require.NoError(t, err)
	require.Equal(t, t0.Add(time.Hour), *ep.PreviousSecretExpiresAt)
	r.recv.setSecrets(secret, newSecret)
	r.publish("police", "d-during")
	h := r.nextHit()
	require.Equal(t, http.StatusOK, h.status)
	require.Equal(t, []string{secret, newSecret}, h.verifiedBy, "a system on either secret verifies during the overlap")

	// After the overlap only the new secret signs.
	r.clk.Advance(overlap)
	r.publish("police", "d-after")
	require.Equal(t, []string{newSecret}, r.nextHit().verifiedBy)
}

func TestAHangingEndpointDelaysNoOtherDepartment(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{}, 10)
	release := make(chan struct{})
	var inFlight, most atomic.Int32
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		entered <- struct{}{}
		<-release
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) }) // runs before hang.Close
	r := newRig(t, notify.Worker{Concurrency: 4, PerEndpoint: 1, Timeout: time.Minute})
	eps := &notify.Endpoints{Pool: r.pool, Clock: r.clk, Egress: loopbackEgress(t), Subscriptions: r.subs}
	admin := auth.Identity{Role: auth.RoleAdmin, Subject: "admin"}
	_, err := eps.Create(r.ctx, admin, "chengguan", "110101", hang.URL+"/hook", secret)
	require.NoError(t, err)

	// The 城管 system hangs on its first delivery; three more queue behind it.
	for _, id := range []string{"d-h1", "d-h2", "d-h3", "d-h4"} {
		r.publish("chengguan", id)
	}
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the hanging endpoint was never called")
	}

	// The police's delivery, queued after all of them, arrives while the
	// 城管 system still hangs.
	r.publish("police", "d-p1")
	h := r.nextHit()
	require.Equal(t, http.StatusOK, h.status)
	require.Equal(t, "d-p1", h.body["dispatch_id"])
	require.EqualValues(t, 1, inFlight.Load(), "the 城管 system is still being waited for")
	require.EqualValues(t, 1, most.Load(), "one post at a time to one endpoint (PerEndpoint)")
}

func loopbackEgress(t *testing.T) notify.Egress {
	t.Helper()
	e, err := notify.ParseEgress("127.0.0.1", "")
	require.NoError(t, err)
	return e
}

// endpointID is the id of the rig's endpoint of department in district.
func (r *rig) endpointID(department, district string) int64 {
	r.t.Helper()
	var id int64
	require.NoError(r.t, r.pool.QueryRow(r.ctx,
		`SELECT id FROM webhook_endpoints WHERE department = $1 AND district_id = $2`, department, district).Scan(&id))
	return id
}

// TestALeaseOfADeadWorkerRunsOutAndTheDeliveryIsPosted: a delivery claimed by
// a worker that died mid-post (its lease still held in the table) is posted
// by another once the lease runs out, and logged once.
func TestALeaseOfADeadWorkerRunsOutAndTheDeliveryIsPosted(t *testing.T) {
	t.Parallel()
	r := newRig(t, notify.Worker{})
	_, err := r.pool.Exec(r.ctx, `
		INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_name, dispatch_id, body, next_attempt_at, created_at,
		                                lease_token, lease_until)
		VALUES ('del-orphan', $1, 'ev-orphan', 'dispatch.created', 'd-orphan', '{"dispatch_id":"d-orphan"}', $2, $2,
		        'a-worker-that-died', clock_timestamp() + interval '300 milliseconds')`,
		r.endpointID("police", "110101"), t0)
	require.NoError(t, err)

	h := r.nextHit()
	require.Equal(t, http.StatusOK, h.status)
	require.Equal(t, "del-orphan", h.id, "the same webhook-id")
	log := r.waitAttempts("d-orphan", 1)
	require.Equal(t, "delivered", log[0].Status)
}
