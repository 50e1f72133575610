package service

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/proto/topology"
)

// TestAConsumerStartMustNameOneOfTheServicesDurables: WHISTLE_CONSUMER_START
// naming a durable the service does not run (a misspelt name) keeps it from
// starting, instead of leaving the new consumer to read the whole stream.
func TestAConsumerStartMustNameOneOfTheServicesDurables(t *testing.T) {
	t.Parallel()
	var svc topology.Service
	for _, s := range topology.Services {
		if len(s.Durables) > 0 {
			svc = s
			break
		}
	}
	require.NotEmpty(t, svc.Durables)
	require.NoError(t, checkStarts(svc.Name, nil))
	require.NoError(t, checkStarts(svc.Name, bus.Starts{svc.Durables[0]: {New: true}}))
	err := checkStarts(svc.Name, bus.Starts{svc.Durables[0] + "-typo": {New: true}})
	require.ErrorContains(t, err, "WHISTLE_CONSUMER_START")
	require.ErrorContains(t, err, svc.Durables[0]+"-typo")
}
