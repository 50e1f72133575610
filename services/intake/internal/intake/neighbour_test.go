package intake_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/intake/internal/intake"
)

func TestNeighbours(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		result string
		named  []string
		want   []string
	}{
		{"near a boundary informs the others", "near_boundary", []string{"110101002", "110101001", "110101003", "110101002"}, []string{"110101002", "110101003"}},
		{"inside informs nobody", "inside", nil, nil},
		{"outside is for the raising street to confirm", "outside", []string{"110101002"}, nil},
		{"no street goes to review", "no_street", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, intake.Neighbours("110101001", tc.result, tc.named))
		})
	}
}
