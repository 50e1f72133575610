package feedback_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
)

func TestOnTimeRates(t *testing.T) {
	t.Parallel()
	a := feedback.OnTime{Dispatched: 4, AckedOnTime: 3, ArrivalBase: 4, ArrivedOnTime: 2, ResolvedOnTime: 1}
	b := feedback.OnTime{Dispatched: 4, AckedOnTime: 1, ArrivalBase: 2, ArrivedOnTime: 2, ResolvedOnTime: 2}
	ack, arrive, resolve := a.Add(b).Rates()
	require.InDelta(t, 0.5, ack, 1e-9)
	require.InDelta(t, 4.0/6, arrive, 1e-9)
	require.InDelta(t, 0.5, resolve, 1e-9)

	ack, arrive, resolve = feedback.OnTime{}.Rates()
	require.Zero(t, ack+arrive+resolve, "nothing dispatched scores 0, not NaN")
}
