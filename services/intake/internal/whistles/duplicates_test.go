package whistles

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
)

func TestMergeAndKeep(t *testing.T) {
	t.Parallel()
	e := newRaiseEnv(t)
	other := auth.Identity{Subject: "street-b", Role: auth.RoleStreet, StreetID: "110101002", DistrictID: district}
	desk := auth.Identity{Subject: "desk", Role: auth.RoleDesk, DistrictID: district, Department: "police"}
	// Each case raises a first whistle and, 10 m from it, its duplicate; far
	// is a whistle of the same street that is no candidate of the duplicate.
	for i, tc := range []struct {
		name   string
		before func(s *Service, dup, first string) // what happened to the pair before
		act    func(s *Service, dup, first, far string) error
		kind   string
		status string // the duplicate's status after
		merged bool   // the duplicate points at first after
		events int    // whistle.merged, whistle.cancelled and whistle.duplicate_kept events
	}{
		{"merge into the candidate", nil, func(s *Service, dup, first, _ string) error {
			_, err := s.Merge(context.Background(), streetA, dup, first)
			return err
		}, "ok", "CANCELLED", true, 3},
		{"merge again changes nothing", func(s *Service, dup, first string) {
			_, err := s.Merge(context.Background(), streetA, dup, first)
			require.NoError(t, err)
		}, func(s *Service, dup, first, _ string) error {
			_, err := s.Merge(context.Background(), streetA, dup, first)
			return err
		}, "ok", "CANCELLED", true, 0},
		{"merge into a whistle that is no candidate", nil, func(s *Service, dup, _, far string) error {
			_, err := s.Merge(context.Background(), streetA, dup, far)
			return err
		}, "invalid", "RAISED", false, 0},
		{"merge into nothing", nil, func(s *Service, dup, _, _ string) error {
			_, err := s.Merge(context.Background(), streetA, dup, "")
			return err
		}, "invalid", "RAISED", false, 0},
		{"merge a merged whistle elsewhere", func(s *Service, dup, first string) {
			_, err := s.Merge(context.Background(), streetA, dup, first)
			require.NoError(t, err)
		}, func(s *Service, dup, _, far string) error {
			_, err := s.Merge(context.Background(), streetA, dup, far)
			return err
		}, "state", "CANCELLED", true, 0},
		{"another street merges nothing of this one", nil, func(s *Service, dup, first, _ string) error {
			_, err := s.Merge(context.Background(), other, dup, first)
			return err
		}, "not found", "RAISED", false, 0},
		{"a desk merges nothing", nil, func(s *Service, dup, first, _ string) error {
			_, err := s.Merge(context.Background(), desk, dup, first)
			return err
		}, "denied", "RAISED", false, 0},
		{"keep despite the candidate", nil, func(s *Service, dup, _, _ string) error {
			_, err := s.Keep(context.Background(), streetA, dup)
			return err
		}, "ok", "RAISED", false, 1},
		{"keep again changes nothing", func(s *Service, dup, _ string) {
			_, err := s.Keep(context.Background(), streetA, dup)
			require.NoError(t, err)
		}, func(s *Service, dup, _, _ string) error {
			_, err := s.Keep(context.Background(), streetA, dup)
			return err
		}, "ok", "RAISED", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := float64(i) * 3000
			first, err := e.raise(context.Background(), call{northM: at})
			require.NoError(t, err)
			far, err := e.raise(context.Background(), call{northM: at + 1000})
			require.NoError(t, err)
			dup, err := e.raise(context.Background(), call{northM: at + 10})
			require.NoError(t, err)
			require.Equal(t, []string{first.GetId()}, candidateIDs(dup))
			if tc.before != nil {
				tc.before(e.s, dup.GetId(), first.GetId())
			}
			events := func() int {
				return e.count(`SELECT count(*) FROM outbox WHERE (subject LIKE 'whistle.v1.merged.%' OR subject LIKE 'whistle.v1.cancelled.%'
					OR subject LIKE 'whistle.v1.duplicate_kept.%')`)
			}
			before := events()
			err = tc.act(e.s, dup.GetId(), first.GetId(), far.GetId())
			require.Equal(t, tc.kind, kind(err), "%v", err)
			saved := mustGet(t, e.pool, dup.GetId())
			require.Equal(t, tc.status, saved.Status)
			require.Equal(t, tc.merged, saved.MergedInto == first.GetId())
			require.Equal(t, tc.events, events()-before, "the change and its events commit together")
		})
	}
}
