package decisions_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

func TestRouteDecidesWhereARaisedWhistleGoes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name         string
		category     string
		lat, lng     float64
		urgency      string
		rule         string
		jurisdiction string
		urgencyKept  string
		asked        []string
		events       []string
		reviews      int
	}{
		{
			name: "a category's lead, then its cooperating departments", category: "joint-enforcement",
			lat: insideLat, lng: insideLng, urgency: "HIGH",
			rule: "category:joint-enforcement", jurisdiction: "inside", urgencyKept: "HIGH",
			asked:  []string{"urban-management:lead", "police:cooperating", "environment:cooperating"},
			events: []string{"whistle.routed"},
		},
		{
			name: "a whistle without urgency is normal", category: "noise", lat: insideLat, lng: insideLng,
			rule: "category:noise", jurisdiction: "inside", urgencyKept: "NORMAL",
			asked:  []string{"environment:lead", "urban-management:cooperating", "police:cooperating"},
			events: []string{"whistle.routed"},
		},
		{
			name: "a category without a rule goes to the district government (兜底)", category: "no-such-category",
			lat: insideLat, lng: insideLng, rule: "fallback", jurisdiction: "inside", urgencyKept: "NORMAL",
			asked: []string{"district-government:fallback"}, events: []string{"whistle.routed"},
		},
		{
			name: "a point clearly in another street is routed and flagged", category: "noise", lat: outsideLat, lng: outsideLng,
			rule: "category:noise", jurisdiction: "outside", urgencyKept: "NORMAL",
			asked:  []string{"environment:lead", "urban-management:cooperating", "police:cooperating"},
			events: []string{"whistle.jurisdiction_checked", "whistle.routed"},
		},
		{
			name: "a point in no street goes to the district government and a person's review", category: "noise",
			lat: nowhereLat, lng: nowhereLng, rule: "fallback:no_street", jurisdiction: "no_street", urgencyKept: "NORMAL",
			asked:  []string{"district-government:fallback"},
			events: []string{"whistle.jurisdiction_checked", "whistle.routed"}, reviews: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := whistle(tc.category, tc.lat, tc.lng)
			w.Urgency = tc.urgency
			f.route(t, w)

			d, err := store.New(f.pool).GetDecision(t.Context(), w.ID)
			require.NoError(t, err)
			require.Equal(t, tc.rule, d.Rule)
			require.Equal(t, tc.jurisdiction, d.Jurisdiction)
			require.Equal(t, tc.urgencyKept, d.Urgency)
			evs := f.events(t, w.ID)
			require.Equal(t, tc.events, names(evs))
			routed := evs[len(evs)-1]
			require.Equal(t, "routing", routed.GetActor().GetId())
			require.Equal(t, tc.rule, routed.GetWhistleRouted().GetRule())
			require.Equal(t, tc.asked, asked(routed.GetWhistleRouted().GetDepartments()))
			dispatches := f.dispatches(t, w.ID)
			require.Len(t, dispatches, len(tc.asked), "one assignment per department asked")
			for _, to := range routed.GetWhistleRouted().GetDepartments() {
				require.Equal(t, dispatches[to.GetDepartment()], to.GetDispatchId())
				req := to.GetRequest()
				require.Equal(t, tc.category, req.GetCategory())
				require.Equal(t, intakev1.Whistle_Urgency(intakev1.Whistle_Urgency_value[tc.urgencyKept]), req.GetUrgency())
				require.Nil(t, req.GetSlaStartedAt(), "a new dispatch starts its own clocks")
			}
			if checked := evs[0].GetWhistleJurisdictionChecked(); checked != nil {
				require.Equal(t, tc.jurisdiction, checked.GetResult())
				require.True(t, checked.GetNeedsConfirmation())
				require.Equal(t, tc.reviews > 0, checked.GetReviewId() != "")
			}
			require.Equal(t, tc.reviews, f.count(t, "SELECT count(*) FROM arbitrations WHERE whistle_id = $1 AND kind = 'location'", w.ID))
		})
	}
}

func TestRouteDecidesOncePerWhistle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	w, other := whistle("noise", insideLat, insideLng), whistle("joint-enforcement", insideLat, insideLng)
	f.route(t, w, w, other) // a copy within the batch
	f.route(t, w)           // and one in a later batch
	for _, tc := range []struct {
		id         string
		dispatches int
	}{{w.ID, 3}, {other.ID, 3}} {
		require.Equal(t, []string{"whistle.routed"}, names(f.events(t, tc.id)), tc.id)
		require.Len(t, f.dispatches(t, tc.id), tc.dispatches, tc.id)
	}
	require.Equal(t, "category:noise", f.last(t, w.ID, "whistle.routed").GetWhistleRouted().GetRule())
}
