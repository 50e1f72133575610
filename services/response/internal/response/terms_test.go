package response_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/response/internal/response"
)

func TestTermsDefaultToAThirtyMinuteArrival(t *testing.T) {
	t.Parallel()
	terms := response.TermsFor(response.Policy{}, nil)
	require.Equal(t, response.Policy{AckWithin: 5 * time.Minute, ArriveWithin: 30 * time.Minute, ResolveWithin: 72 * time.Hour}, terms.Policy)
	for _, c := range response.Clocks {
		require.Equal(t, response.FromDefault, terms.From[c], c)
	}
	require.Equal(t, "arrive within 30m0s of the SLA start (default)", terms.Explain(response.ClockArrive))
}

func TestTermsTakeTheCatalogueThenThePolicy(t *testing.T) {
	t.Parallel()
	catalogue := response.Policy{ArriveWithin: 20 * time.Minute, ResolveWithin: 24 * time.Hour}

	terms := response.TermsFor(catalogue, nil)
	require.Equal(t, 20*time.Minute, terms.ArriveWithin)
	require.Equal(t, response.FromCatalogue, terms.From[response.ClockArrive])
	require.Equal(t, response.FromDefault, terms.From[response.ClockAck], "the catalogue left the ack clock to the default")
	require.Equal(t, 5*time.Minute, terms.AckWithin)

	// An every-district policy's positive limits win; its zero ones keep the catalogue's.
	terms = response.TermsFor(catalogue, &response.Override{Policy: response.Policy{ArriveWithin: 15 * time.Minute}})
	require.Equal(t, 15*time.Minute, terms.ArriveWithin)
	require.Equal(t, response.FromPolicy, terms.From[response.ClockArrive])
	require.Equal(t, 24*time.Hour, terms.ResolveWithin)
	require.Equal(t, response.FromCatalogue, terms.From[response.ClockResolve])

	// A district's policy in working days replaces the catalogue's resolve hours.
	terms = response.TermsFor(catalogue, &response.Override{District: "110101", Policy: response.Policy{ResolveWorkingDays: 3}})
	require.Equal(t, 3, terms.ResolveWorkingDays)
	require.Equal(t, response.FromDistrictPolicy, terms.From[response.ClockResolve])
	require.Equal(t, "resolve within 3 working days (district policy)", terms.Explain(response.ClockResolve))
	require.Equal(t, 20*time.Minute, terms.ArriveWithin)

	// A policy in hours clears working days a catalogue never sets anyway.
	terms = response.TermsFor(catalogue, &response.Override{Policy: response.Policy{ResolveWithin: 10 * time.Hour}})
	require.Equal(t, 10*time.Hour, terms.ResolveWithin)
	require.Zero(t, terms.ResolveWorkingDays)
}
