package main

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlanKills(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	each, err := planKills("1-of-each", rnd)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"intake", "discovery", "routing", "response", "feedback", "gateway", "nats", "postgres"}, each)

	random, err := planKills("random:12", rnd)
	require.NoError(t, err)
	assert.Len(t, random, 12)

	list, err := planKills("postgres,nats,postgres", rnd)
	require.NoError(t, err)
	assert.Equal(t, []string{"postgres", "nats", "postgres"}, list)

	none, err := planKills("none", rnd)
	require.NoError(t, err)
	assert.Empty(t, none)

	for _, bad := range []string{"random:x", "random:-1", "kafka", "intake,"} {
		_, err := planKills(bad, rnd)
		assert.Error(t, err, bad)
	}
	assert.True(t, slices.Contains(serviceKinds, "gateway"))
}
