package grpcapi

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chuishao/whistle/platform/auth"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"

	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/store"
)

// reportVisible tells whether r is in the caller's scope: its street (the
// street committee), its micro-grid (a grid worker: the grid claim; a report
// that carries no micro-grid — a resident's, a ticket, the street's own — is
// the whole street's), its district's supervisor or the city's.
func reportVisible(id auth.Identity, r store.Report) bool {
	switch id.Role {
	case auth.RoleStreet:
		return r.StreetID == id.StreetID
	case auth.RoleGrid:
		return r.StreetID == id.StreetID && (r.GridID == "" || r.GridID == id.GridID)
	case auth.RoleSupervisor:
		return id.DistrictID == "" || r.DistrictID == id.DistrictID
	}
	return false
}

// readers are the roles that read reports at all.
func readsReports(id auth.Identity) error {
	switch id.Role {
	case auth.RoleStreet, auth.RoleGrid, auth.RoleSupervisor:
		return nil
	}
	return fmt.Errorf("role %s reads no reports: %w", id.Role, intake.ErrPermissionDenied)
}

// GetReport returns one report in the caller's scope.
func (s *ReportServer) GetReport(ctx context.Context, req *intakev1.GetReportRequest) (*intakev1.Report, error) {
	out, err := s.getReport(ctx, req.GetId())
	return answer(ctx, s.Whistles, out, err)
}

func (s *ReportServer) getReport(ctx context.Context, reportID string) (*intakev1.Report, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	// The public reads every report, in its public view.
	public := id.Role == auth.RolePublic
	if !public {
		if err := readsReports(id); err != nil {
			return nil, err
		}
	}
	r, err := store.New(s.Whistles.Pool).GetReport(ctx, reportID)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !public && !reportVisible(id, r)) {
		return nil, intake.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get report %s: %w", reportID, err)
	}
	if public {
		return publicReport(s.proto(r)), nil
	}
	out := s.proto(r)
	if err := s.withDetails(ctx, []*intakev1.Report{out}); err != nil {
		return nil, err
	}
	return out, nil
}

// ListReports lists a street's reports or a whistle's linked reports.
func (s *ReportServer) ListReports(ctx context.Context, req *intakev1.ListReportsRequest) (*intakev1.ListReportsResponse, error) {
	return handle(ctx, s.Whistles, req, s.listReports)
}

func (s *ReportServer) listReports(ctx context.Context, id auth.Identity, req *intakev1.ListReportsRequest) (*intakev1.ListReportsResponse, error) {
	q := store.New(s.Whistles.Pool)
	var (
		rows  []store.Report
		err   error
		party bool // the caller reads the whistle as a party to it, not as an informed neighbour
	)
	if wid := req.GetWhistleId(); wid != "" {
		// The whistle's side of the link: whoever may read the whistle.
		w, err := s.Whistles.get(ctx, wid)
		if err != nil {
			return nil, err
		}
		party = w.GetViewerRole() != intake.ViewerNeighbour
		if rows, err = q.ListReportsByWhistle(ctx, wid); err != nil {
			return nil, fmt.Errorf("reports of whistle %s: %w", wid, err)
		}
	} else {
		if err := readsReports(id); err != nil {
			return nil, err
		}
		street := req.GetStreetId()
		if street == "" {
			street = id.StreetID
		}
		var f intake.Fields
		if street == "" {
			f.Add("street_id", "is required")
		}
		size := req.GetPageSize()
		if size == 0 {
			size = 100
		}
		if size < 1 || size > 500 {
			f.Add("page_size", "must be between 1 and 500")
		}
		var st pgtype.Text
		if v := req.GetStatus(); v != intakev1.Report_STATUS_UNSPECIFIED {
			st = pgtype.Text{String: v.String(), Valid: true}
		}
		if err := f.Err(); err != nil {
			return nil, err
		}
		if !streetInScope(id, street) {
			return nil, intake.ErrNotFound
		}
		params := store.ListReportsByStreetParams{StreetID: street, Status: st, MaxRows: size}
		if id.Role == auth.RoleGrid {
			// Filtered in the query, so the other micro-grids' reports take no room in the page.
			params.GridID = pgtype.Text{String: id.GridID, Valid: true}
		}
		if rows, err = q.ListReportsByStreet(ctx, params); err != nil {
			return nil, fmt.Errorf("reports of street %s: %w", street, err)
		}
	}
	out := &intakev1.ListReportsResponse{}
	var full []*intakev1.Report
	for _, r := range rows {
		switch {
		case reportVisible(id, r):
			p := s.proto(r)
			full = append(full, p)
			out.Reports = append(out.Reports, p)
		case party:
			// A whistle's reports go to its parties (its street, its desks,
			// the supervisors), but only the street's side sees what the
			// reporters wrote; a neighbour informed of the whistle reads
			// only the reports it may read on its own.
			out.Reports = append(out.Reports, publicReport(s.proto(r)))
		}
	}
	if err := s.withDetails(ctx, full); err != nil {
		return nil, err
	}
	return out, nil
}

// streetInScope: a street and its grid workers see their own street, a
// supervisor the streets of its district (township codes begin with it).
func streetInScope(id auth.Identity, street string) bool {
	switch id.Role {
	case auth.RoleStreet, auth.RoleGrid:
		return street == id.StreetID
	case auth.RoleSupervisor:
		return id.DistrictID == "" || strings.HasPrefix(street, id.DistrictID)
	}
	return false
}
