package notify_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/response/internal/notify"
)

func TestAWebhookToALoopbackAddressIsRefused(t *testing.T) {
	t.Parallel()
	r := newRigWith(t, notify.Worker{}, notify.Throttle{}) // the default policy: public addresses only
	r.publish("police", "d-loop")
	log := r.waitAttempts("d-loop", 1)
	require.Equal(t, "refused: destination not allowed", log[0].Error)
	require.Zero(t, log[0].StatusCode)
	select {
	case h := <-r.recv.hits:
		t.Fatalf("the loopback receiver got a request: %+v", h)
	default:
	}
}

func TestARedirectIsNotFollowed(t *testing.T) {
	t.Parallel()
	other := make(chan string, 10)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { other <- req.URL.Path }))
	t.Cleanup(target.Close)
	r := newRig(t, notify.Worker{MaxAttempts: 1})
	r.recv.mu.Lock()
	r.recv.redirect = target.URL + "/metadata"
	r.recv.mu.Unlock()
	r.publish("police", "d-redirect")
	require.Equal(t, http.StatusFound, r.nextHit().status)
	log := r.waitAttempts("d-redirect", 1)
	require.Equal(t, http.StatusFound, log[0].StatusCode)
	require.Equal(t, "HTTP 302: redirects are not followed", log[0].Error)
	require.Equal(t, "dead", log[0].Status, "a 3xx is a failed attempt")
	// The attempt is logged after the request returned, so a followed
	// redirect would have reached the other server by now.
	select {
	case p := <-other:
		t.Fatalf("the redirect was followed to %s", p)
	default:
	}
}

func TestTheAttemptLogShowsOnlyACoarseOutcome(t *testing.T) {
	t.Parallel()
	r := newRig(t, notify.Worker{})
	r.recv.setStatus(http.StatusInternalServerError)
	r.publish("police", "d-500")
	r.publish("closed", "d-closed")
	require.Equal(t, http.StatusInternalServerError, r.nextHit().status)
	require.Equal(t, "HTTP 500", r.waitAttempts("d-500", 1)[0].Error)
	closed := r.waitAttempts("d-closed", 1)[0]
	require.Equal(t, "connect failed", closed.Error, "no dial error, address or port echoed")
	require.Zero(t, closed.StatusCode)
}

func TestInternalAddressesAreRefusedByDefault(t *testing.T) {
	t.Parallel()
	def, err := notify.ParseEgress("", "")
	require.NoError(t, err)
	for _, u := range []string{
		"http://127.0.0.1/", "http://localhost:8080/", "http://[::1]/", "http://0.0.0.0/", "http://[::]/",
		"http://169.254.169.254/latest/meta-data/", "http://[fe80::1%25eth0]/", "http://10.0.0.1/", "http://172.16.5.4/",
		"http://192.168.1.1/", "http://[fd00::1]/", "http://100.64.0.1/", "http://224.0.0.1/", "http://[ff02::1]/",
		"http://[::ffff:127.0.0.1]/", "http://[64:ff9b::a9fe:a9fe]/", "http://255.255.255.255/",
	} {
		require.ErrorIs(t, def.CheckURL(u), notify.ErrDestinationNotAllowed, u)
	}
	for _, u := range []string{"https://8.8.8.8/", "https://[2001:4860:4860::8888]/", "https://cmd.police.example/hook"} {
		require.NoError(t, def.CheckURL(u), u)
	}

	intranet, err := notify.ParseEgress("10.20.0.0/16, cmd.police.internal", "10.20.99.0/24")
	require.NoError(t, err)
	require.NoError(t, intranet.CheckURL("http://10.20.1.1/hook"), "allow-listed range")
	require.ErrorIs(t, intranet.CheckURL("http://10.20.99.1/hook"), notify.ErrDestinationNotAllowed, "the deny-list wins")
	require.ErrorIs(t, intranet.CheckURL("http://10.21.0.1/hook"), notify.ErrDestinationNotAllowed)
	require.NoError(t, intranet.CheckURL("http://cmd.police.internal/hook"))

	for _, bad := range [][2]string{{"10.0.0.0/33", ""}, {"not a host", ""}, {"", "cmd.example"}} {
		_, err := notify.ParseEgress(bad[0], bad[1])
		require.Error(t, err, bad)
	}
}

// TestTheAddressIsCheckedAfterDNS dials a name: the policy sees the address
// it resolved to, so a public-looking name cannot lead to an internal address.
func TestTheAddressIsCheckedAfterDNS(t *testing.T) {
	t.Parallel()
	hits := make(chan struct{}, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits <- struct{}{} }))
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	require.NoError(t, err)
	byName := "http://localhost:" + port + "/hook"

	post := func(eg notify.Egress) error {
		resp, err := eg.Client(5*time.Second).Post(byName, "application/json", nil)
		if err == nil {
			_ = resp.Body.Close()
		}
		return err
	}
	def, err := notify.ParseEgress("", "")
	require.NoError(t, err)
	require.ErrorIs(t, post(def), notify.ErrDestinationNotAllowed)
	require.Empty(t, hits)

	byHost, err := notify.ParseEgress("localhost", "")
	require.NoError(t, err)
	require.NoError(t, post(byHost), "the name is allow-listed")
	denied, err := notify.ParseEgress("localhost", "127.0.0.0/8, ::1")
	require.NoError(t, err)
	require.ErrorIs(t, post(denied), notify.ErrDestinationNotAllowed, "the deny-list wins over an allowed name")
	require.Len(t, hits, 1)
}
