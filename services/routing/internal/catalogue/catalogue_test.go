package catalogue_test

import (
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/services/routing/internal/catalogue"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/routingtest"
)

var (
	t0    = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	admin = auth.Identity{Role: auth.RoleAdmin, Subject: "a1"}
)

// newService is the catalogue use cases over a seeded database of their own.
func newService(t *testing.T) *catalogue.Service {
	t.Helper()
	pool := routingtest.SeededPool(t)
	return &catalogue.Service{Pool: pool, Clock: clock.NewFake(t0), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// fields are the invalid fields of err.
func fields(t *testing.T, err error) []string {
	t.Helper()
	var invalid routing.InvalidError
	require.ErrorAs(t, err, &invalid)
	out := make([]string, len(invalid))
	for i, v := range invalid {
		out[i] = v.Field
	}
	return out
}

func TestTheCatalogueIsEditedAsADraftAndPublished(t *testing.T) {
	t.Parallel()
	s := newService(t)
	ctx := t.Context()
	inForce, err := s.Catalogue(ctx, "")
	require.NoError(t, err)
	require.NotEmpty(t, inForce.Rules)
	sla := routing.SLA{AckWithin: 5 * time.Minute, ArriveWithin: 20 * time.Minute, ResolveWithin: 48 * time.Hour}
	override := routing.Rule{Category: "noise", DistrictID: "110101", Lead: "police", Cooperating: []string{"environment"}, SLA: sla}
	for _, tc := range []struct {
		name  string
		edit  func([]routing.Rule) []routing.Rule
		field []string
	}{
		{"an unknown category", func(rs []routing.Rule) []routing.Rule {
			return append(rs, routing.Rule{Category: "nope", Lead: "police", SLA: sla})
		}, []string{"rules[N].category"}},
		{"a second lead for a category", func(rs []routing.Rule) []routing.Rule {
			r := rs[0]
			r.Lead = "water"
			return append(rs, r)
		}, []string{"rules[N].category"}},
		{"an unknown department", func(rs []routing.Rule) []routing.Rule {
			return append(rs, routing.Rule{Category: "noise", DistrictID: "110101", Lead: "nobody", SLA: sla})
		}, []string{"rules[N].lead_department"}},
		{"no limits", func(rs []routing.Rule) []routing.Rule {
			return append(rs, routing.Rule{Category: "noise", DistrictID: "110101", Lead: "police"})
		}, []string{"rules[N].sla.ack_within", "rules[N].sla.arrive_within", "rules[N].sla.resolve_within"}},
	} {
		t.Run("a draft with "+tc.name+" is refused", func(t *testing.T) {
			rules := tc.edit(append([]routing.Rule(nil), inForce.Rules...))
			_, err := s.UpdateDraft(ctx, "bad", rules)
			want := make([]string, len(tc.field))
			for i, f := range tc.field {
				want[i] = strings.Replace(f, "N", strconv.Itoa(len(rules)-1), 1)
			}
			require.Equal(t, want, fields(t, err))
		})
	}

	draft, err := s.UpdateDraft(ctx, "noise in Dongcheng goes to the police", append(inForce.Rules, override))
	require.NoError(t, err)
	require.Equal(t, routing.DraftVersion, draft.Version)
	from, to, changes, err := s.Diff(ctx, "", "")
	require.NoError(t, err)
	require.Equal(t, inForce.Version, from.Version)
	require.Equal(t, routing.DraftVersion, to.Version)
	require.Len(t, changes, 1)
	require.Equal(t, "added", changes[0].Kind)
	require.Equal(t, "category:noise@110101", changes[0].After.Name())

	published, err := s.Publish(ctx, admin, time.Time{})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(published.Version, "v"), published.Version)
	require.Equal(t, admin.Subject, published.PublishedBy)
	now, err := s.Catalogue(ctx, "")
	require.NoError(t, err)
	require.Equal(t, published.Version, now.Version, "in force at once")
	_, err = s.Catalogue(ctx, "v999")
	require.ErrorIs(t, err, routing.ErrNotFound)
}
