package service

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/bus/outbox"
)

// A service does not start with an event limit the NATS server could not
// publish; the default fits the default 1 MiB max payload.
func TestEventLimitMustFitTheServersMaxPayload(t *testing.T) {
	require.ErrorContains(t, checkEventLimit(1<<20, 1<<20), "WHISTLE_MAX_EVENT_BYTES")
	require.NoError(t, checkEventLimit(0, 1<<20))
	require.Equal(t, outbox.DefaultMaxEventBytes, outbox.MaxEventBytes())
}
