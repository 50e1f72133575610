package discovery

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/invalid"

	"github.com/chuishao/whistle/services/discovery/internal/reports"
	"github.com/chuishao/whistle/services/discovery/internal/store"
	"github.com/chuishao/whistle/services/discovery/internal/whistle"
)

// Inbox page sizes.
const (
	defaultInboxPage = 200
	maxInboxPage     = 1000
)

// Cursor is the position after the last report of an inbox page.
type Cursor struct {
	At time.Time
	ID string
}

// InboxQuery asks for a page of a street's inbox: PageSize reports (200
// when zero) after After (the first page when nil). BadToken says the API
// could not read the page token it was given.
type InboxQuery struct {
	Street   string
	PageSize int32
	After    *Cursor
	BadToken bool
}

// Inbox is a page of a street's untriaged reports in groups of nearby
// duplicates, Waiting in all, and where the next page starts (nil on the last).
type Inbox struct {
	Street  string
	Waiting int32
	Groups  []ReportGroup
	Next    *Cursor
}

// ReportGroup is nearby reports of one category, named by its oldest.
type ReportGroup struct {
	ID       string
	Category string
	Reports  []Report
	// TriageBy is the earliest of its reports' triage deadlines.
	TriageBy time.Time
}

// GetInbox is a page of the street's untriaged reports, newest first, nearby
// duplicates grouped with the whistles' duplicate radius.
func (s *Service) GetInbox(ctx context.Context, id auth.Identity, in InboxQuery) (Inbox, error) {
	if err := readsReports(id); err != nil {
		return Inbox{}, err
	}
	var f invalid.Violations
	size := in.PageSize
	switch {
	case size == 0:
		size = defaultInboxPage
	case size < 1 || size > maxInboxPage:
		f.Add("page_size", fmt.Sprintf("must be between 1 and %d", maxInboxPage))
	}
	params := store.InboxReportsParams{StreetID: in.Street, MaxRows: size + 1} // one more tells whether there is a next page
	if in.BadToken {
		f.Add("page_token", "is not a token this API returned")
	}
	if in.After != nil {
		params.CursorReceivedAt = pgtype.Timestamptz{Time: in.After.At, Valid: true}
		params.CursorID = pgtype.Text{String: in.After.ID, Valid: true}
	}
	if err := f.Err(); err != nil {
		return Inbox{}, err
	}
	if !streetInScope(id, in.Street) {
		return Inbox{}, whistle.ErrNotFound
	}
	q := store.New(s.Pool)
	rows, err := q.InboxReports(ctx, params)
	if err != nil {
		return Inbox{}, fmt.Errorf("inbox of street %s: %w", in.Street, err)
	}
	waiting, err := q.CountInboxReports(ctx, in.Street)
	if err != nil {
		return Inbox{}, fmt.Errorf("inbox of street %s: %w", in.Street, err)
	}
	out := Inbox{Street: in.Street, Waiting: int32(waiting)}
	if len(rows) > int(size) {
		rows = rows[:size]
		last := rows[len(rows)-1]
		out.Next = &Cursor{At: last.ReceivedAt, ID: last.ID}
	}
	// Grouping goes oldest first (a group is named by its oldest report);
	// the groups are then shown newest first.
	slices.Reverse(rows)
	points := make([]reports.Point, len(rows))
	for i, r := range rows {
		points[i] = reports.Point{ID: r.ID, Category: r.Category, Lat: r.Lat, Lng: r.Lng}
	}
	radius := s.DuplicateRadiusM
	if radius <= 0 {
		radius = whistle.DefaultDuplicateRadiusM
	}
	groups := reports.Group(points, radius)
	slices.SortStableFunc(groups, func(a, b []int) int { return slices.Max(b) - slices.Max(a) })
	var shown []Report
	var sizes []int
	for _, members := range groups {
		// A grid worker's inbox is its micro-grid's part of the street's:
		// groups keep the street's grouping, less the other grids' reports.
		members = slices.DeleteFunc(members, func(i int) bool { return !ReportVisible(id, rows[i]) })
		if len(members) == 0 {
			continue
		}
		g := ReportGroup{ID: rows[members[0]].ID, Category: rows[members[0]].Category}
		for _, i := range members {
			if g.TriageBy.IsZero() || rows[i].TriageBy.Before(g.TriageBy) {
				g.TriageBy = rows[i].TriageBy
			}
			shown = append(shown, Report{Report: rows[i], Full: true})
		}
		out.Groups = append(out.Groups, g)
		sizes = append(sizes, len(members))
	}
	if err := s.withDetails(ctx, shown); err != nil {
		return Inbox{}, err
	}
	for i := range out.Groups {
		out.Groups[i].Reports, shown = shown[:sizes[i]], shown[sizes[i]:]
	}
	return out, nil
}
