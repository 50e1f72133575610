package grpcapi

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"

	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/reports"
	"github.com/chuishao/whistle/services/intake/internal/store"
)

// Inbox page sizes.
const (
	defaultInboxPage = 200
	maxInboxPage     = 1000
)

// GetInbox is a page of the street's untriaged reports, newest first, nearby
// duplicates grouped with the whistles' duplicate radius.
func (s *ReportServer) GetInbox(ctx context.Context, req *intakev1.GetInboxRequest) (*intakev1.Inbox, error) {
	out, err := s.inbox(ctx, req)
	return answer(ctx, s.Whistles, out, err)
}

func (s *ReportServer) inbox(ctx context.Context, req *intakev1.GetInboxRequest) (*intakev1.Inbox, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := readsReports(id); err != nil {
		return nil, err
	}
	street := req.GetStreetId()
	var f intake.Fields
	size := req.GetPageSize()
	switch {
	case size == 0:
		size = defaultInboxPage
	case size < 1 || size > maxInboxPage:
		f.Add("page_size", fmt.Sprintf("must be between 1 and %d", maxInboxPage))
	}
	params := store.InboxReportsParams{StreetID: street, MaxRows: size + 1} // one more tells whether there is a next page
	if t := req.GetPageToken(); t != "" {
		after, ok := parseToken(t)
		if !ok {
			f.Add("page_token", "is not a token this API returned")
		}
		params.CursorReceivedAt = pgtype.Timestamptz{Time: after.raisedAt, Valid: true}
		params.CursorID = pgtype.Text{String: after.id, Valid: true}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	if !streetInScope(id, street) {
		return nil, intake.ErrNotFound
	}
	q := store.New(s.Whistles.Pool)
	rows, err := q.InboxReports(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("inbox of street %s: %w", street, err)
	}
	waiting, err := q.CountInboxReports(ctx, street)
	if err != nil {
		return nil, fmt.Errorf("inbox of street %s: %w", street, err)
	}
	out := &intakev1.Inbox{StreetId: street, Waiting: int32(waiting)}
	if len(rows) > int(size) {
		rows = rows[:size]
		last := rows[len(rows)-1]
		out.NextPageToken = cursor{raisedAt: last.ReceivedAt, id: last.ID}.token()
	}
	// Grouping goes oldest first (a group is named by its oldest report);
	// the groups are then shown newest first.
	slices.Reverse(rows)
	points := make([]reports.Point, len(rows))
	for i, r := range rows {
		points[i] = reports.Point{ID: r.ID, Category: r.Category, Lat: r.Lat, Lng: r.Lng}
	}
	radius := s.Whistles.DuplicateRadiusM
	if radius <= 0 {
		radius = intake.DefaultDuplicateRadiusM
	}
	groups := reports.Group(points, radius)
	slices.SortStableFunc(groups, func(a, b []int) int { return slices.Max(b) - slices.Max(a) })
	for _, members := range groups {
		// A grid worker's inbox is its micro-grid's part of the street's:
		// groups keep the street's grouping, less the other grids' reports.
		members = slices.DeleteFunc(members, func(i int) bool { return !reportVisible(id, rows[i]) })
		if len(members) == 0 {
			continue
		}
		g := &intakev1.ReportGroup{Id: rows[members[0]].ID, Category: rows[members[0]].Category}
		for _, i := range members {
			r := s.proto(rows[i])
			g.Reports = append(g.Reports, r)
			if g.TriageBy == nil || r.GetTriageBy().AsTime().Before(g.TriageBy.AsTime()) {
				g.TriageBy = r.GetTriageBy()
			}
		}
		out.Groups = append(out.Groups, g)
	}
	var shown []*intakev1.Report
	for _, g := range out.Groups {
		shown = append(shown, g.GetReports()...)
	}
	if err := s.withDetails(ctx, shown); err != nil {
		return nil, err
	}
	return out, nil
}

// streetOf asks routing for a street (the caller's token is forwarded).
func (s *ReportServer) streetOf(ctx context.Context, id string) (*routingv1.Street, error) {
	st, err := s.Whistles.Routing.GetStreet(ctx, &routingv1.GetStreetRequest{Id: id})
	switch status.Code(err) {
	case codes.OK:
		return st, nil
	case codes.NotFound:
		return nil, nil
	}
	return nil, fmt.Errorf("look up street %s: %w: %w", id, intake.ErrUnavailable, err)
}
