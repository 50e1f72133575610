package service

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthv1 "google.golang.org/grpc/health/grpc_health_v1"
)

// TestAnAuditedMethodMustNameItsObjectByAFieldItHas: a method declared
// audited by a field that neither its request nor its answer has (its
// object is named otherwise) keeps the service from starting, so no record
// goes out with an empty object.
func TestAnAuditedMethodMustNameItsObjectByAFieldItHas(t *testing.T) {
	t.Parallel()
	runtime := func(decl Audited) *Runtime {
		rt := &Runtime{GRPC: grpc.NewServer(), audited: map[string]string{}}
		healthv1.RegisterHealthServer(rt.GRPC, health.NewServer())
		rt.Audit(decl)
		return rt
	}
	require.NoError(t, runtime(Audited{Method: healthv1.Health_Check_FullMethodName, Object: "service"}).checkAudited())
	require.NoError(t, runtime(Audited{Method: healthv1.Health_Check_FullMethodName}).checkAudited(), "an action on no one object")

	err := runtime(Audited{Method: healthv1.Health_Check_FullMethodName, Object: "id"}).checkAudited()
	require.ErrorContains(t, err, `/grpc.health.v1.Health/Check is declared audited by its "id", a field of neither`)
	err = runtime(Audited{Method: healthv1.Health_Check_FullMethodName, Object: "service/status.code"}).checkAudited()
	require.Error(t, err, "a path through a field that is no message")
	err = runtime(Audited{Method: "/grpc.health.v1.Health/Vanished", Object: "service"}).checkAudited()
	require.ErrorContains(t, err, "declared audited but not served")
}
