package e2e_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/resolver"
)

// replicasScheme names a service's replicas the way a headless Service's DNS
// name does in a cluster: "e2e-replicas:///<name>" resolves to every replica's
// address. It is registered once, before any test dials.
const replicasScheme = "e2e-replicas"

// replicaAddrs maps a target's name to its replicas' addresses.
var replicaAddrs sync.Map

func init() { resolver.Register(replicasResolver{}) }

// replicasTarget is the one address of a single replica, or a target that
// resolves to all of them.
func replicasTarget(t *testing.T, addrs []string) string {
	if len(addrs) == 1 {
		return addrs[0]
	}
	name := strings.ReplaceAll(t.Name(), "/", "_")
	replicaAddrs.Store(name, addrs)
	t.Cleanup(func() { replicaAddrs.Delete(name) })
	return replicasScheme + ":///" + name
}

type replicasResolver struct{}

func (replicasResolver) Scheme() string { return replicasScheme }

func (replicasResolver) Build(target resolver.Target, cc resolver.ClientConn, _ resolver.BuildOptions) (resolver.Resolver, error) {
	v, ok := replicaAddrs.Load(target.Endpoint())
	if !ok {
		return nil, fmt.Errorf("no replicas named %q", target.Endpoint())
	}
	var st resolver.State
	for _, a := range v.([]string) {
		st.Addresses = append(st.Addresses, resolver.Address{Addr: a})
	}
	_ = cc.UpdateState(st) // a balancer's refusal shows as failed calls
	return replicasResolver{}, nil
}

func (replicasResolver) ResolveNow(resolver.ResolveNowOptions) {}

func (replicasResolver) Close() {}

// servedBy counts the desk queue reads a response replica served, from its
// debug log.
func servedBy(logs *lockedBuffer, replica int) int {
	n := 0
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "msg=rpc ") && strings.Contains(line, fmt.Sprintf("svc=response-%d ", replica)) &&
			strings.Contains(line, "method=/whistle.response.v1.DispatchService/ListDispatches ") {
			n++
		}
	}
	return n
}

// TestGatewayCallsReachBothResponseReplicas: with two response replicas behind
// one name (a headless Service in a cluster), the gateway's REST calls are
// served by both, not pinned to the first.
func TestGatewayCallsReachBothResponseReplicas(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	s := startSystem(t, options{responseReplicas: 2, logs: logs})
	desk := deskToken(t, s, "110101", "police")
	// Call until both replicas have served, up to a bound a pinned client never passes.
	for calls := 0; calls < 200 && (servedBy(logs, 0) == 0 || servedBy(logs, 1) == 0); calls++ {
		r := s.do(t, http.MethodGet, "/v1/dispatches", desk, nil)
		require.Equal(t, http.StatusOK, r.status, r.raw)
	}
	t.Logf("queue reads served by replica 0: %d, replica 1: %d", servedBy(logs, 0), servedBy(logs, 1))
	require.Positive(t, servedBy(logs, 0), "replica 0 served no call")
	require.Positive(t, servedBy(logs, 1), "replica 1 served no call")
}
