package storm

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// FanOuts reads, from routing's catalogue, how many departments each category
// sends a whistle to (lead plus cooperating).
func FanOuts(ctx context.Context, db *pgxpool.Pool) (map[string]int, error) {
	rows, err := db.Query(ctx, `SELECT code, cardinality(ARRAY(
		SELECT DISTINCT d FROM unnest(lead_department || cooperating_departments) AS d))
		FROM routing.categories`)
	if err != nil {
		return nil, fmt.Errorf("read the catalogue: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var code string
		var n int
		if err := rows.Scan(&code, &n); err != nil {
			return nil, fmt.Errorf("read the catalogue: %w", err)
		}
		out[code] = n
	}
	return out, rows.Err()
}

// Visible is how the storm's dispatches landed.
type Visible struct {
	// Dispatches expected (accepted whistles × their fan-out) and found.
	Expected, Found int
	// Incomplete counts accepted whistles without every dispatch when the
	// wait ended (zero is zero loss).
	Incomplete int
	// AfterEnd is from the storm's last accepted raise until every dispatch
	// was committed in the response service (the desks' queues).
	AfterEnd time.Duration
}

// WaitDispatched polls the response service's dispatches every 200 ms until
// every accepted whistle has its fan-out or timeout passes.
func WaitDispatched(ctx context.Context, db *pgxpool.Pool, res Result, fanOut map[string]int, timeout time.Duration) (Visible, error) {
	var v Visible
	ids := make([]string, len(res.Raises))
	want := make([]int32, len(res.Raises))
	for i, r := range res.Raises {
		ids[i], want[i] = r.WhistleID, int32(fanOut[r.Category])
		v.Expected += fanOut[r.Category]
	}
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		// A failed query (the database restarting under tools/chaos) is a
		// look that saw nothing yet.
		final := !time.Now().Before(deadline)
		done, err := v.look(ctx, db, ids, want, final)
		if done || final {
			if err != nil {
				return v, err
			}
			v.AfterEnd = max(time.Since(res.End), 0)
			return v, nil
		}
		select {
		case <-ctx.Done():
			return v, ctx.Err()
		case <-tick.C:
		}
	}
}

// look counts the dispatches: the cheap total first (the storm's stack has a
// database of its own), the exact per-whistle check once it adds up or final.
func (v *Visible) look(ctx context.Context, db *pgxpool.Pool, ids []string, want []int32, final bool) (bool, error) {
	if err := db.QueryRow(ctx, `SELECT count(*) FROM response.dispatches`).Scan(&v.Found); err != nil {
		return false, fmt.Errorf("count dispatches: %w", err)
	}
	if v.Found < v.Expected && !final {
		return false, nil
	}
	err := db.QueryRow(ctx, `SELECT count(*) FROM unnest($1::text[], $2::int[]) AS a(id, n)
		WHERE n > (SELECT count(DISTINCT department) FROM response.dispatches d WHERE d.whistle_id = a.id)`,
		ids, want).Scan(&v.Incomplete)
	if err != nil {
		return false, fmt.Errorf("check dispatches: %w", err)
	}
	return v.Incomplete == 0, nil
}
