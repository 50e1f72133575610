package grpcapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus/outbox"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/intake/internal/events"
	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/reports"
	"github.com/chuishao/whistle/services/intake/internal/store"
)

// PublicReportMethods are the ReportService methods that need no token: a
// resident's report, the follow-up token's view and rating, the public results.
var PublicReportMethods = []string{
	intakev1.ReportService_SubmitPublicReport_FullMethodName,
	intakev1.ReportService_GetFollowUp_FullMethodName,
	intakev1.ReportService_RateFollowUp_FullMethodName,
	intakev1.ReportService_GetPublicResults_FullMethodName,
}

// ReportServer implements intakev1.ReportServiceServer on top of the whistle
// server: blowing the whistle raises one through it, ratings close and
// reopen through the street's own paths.
type ReportServer struct {
	intakev1.UnimplementedReportServiceServer

	Whistles *Server
	// TriageLimit is how long a street has to triage a report
	// (reports.DefaultTriageLimit when zero).
	TriageLimit time.Duration
	// FollowUpTTL is how long a follow-up token works after the result it
	// follows (reports.DefaultFollowUpTTL when zero).
	FollowUpTTL time.Duration
	// TicketLimits are the 12345 statutory limits per ticket type
	// (reports.DefaultTicketLimits when nil).
	TicketLimits reports.TicketLimits
}

func (s *ReportServer) ticketLimits() reports.TicketLimits {
	if s.TicketLimits != nil {
		return s.TicketLimits
	}
	return reports.DefaultTicketLimits
}

func (s *ReportServer) triageLimit() time.Duration {
	if s.TriageLimit > 0 {
		return s.TriageLimit
	}
	return reports.DefaultTriageLimit
}

func (s *ReportServer) proto(r store.Report) *intakev1.Report {
	return events.ReportProto(r, s.Whistles.now())
}

// newReport is what every source stores.
type newReport struct {
	reports.New
	source       reports.Source
	districtID   string
	gridID       string
	contactName  string
	contactPhone string
	externalSrc  string
	externalNum  string
	receivedAt   time.Time
	dueAt        time.Time
	ticketType   string
	actor        *typesv1.Actor
	withToken    bool
}

func newFromRequest(street, category, description, address string, loc *typesv1.LatLng, photos []*intakev1.Photo) reports.New {
	n := reports.New{StreetID: street, Category: category, Description: description, Address: address,
		HasLocation: loc != nil, Lat: loc.GetLat(), Lng: loc.GetLng()}
	for _, p := range photos {
		ph := reports.Photo{URL: p.GetUrl(), ContentType: p.GetContentType(), SizeBytes: p.GetSizeBytes()}
		if p.GetTakenAt() != nil {
			ph.TakenAt = p.GetTakenAt().AsTime()
		}
		if p.GetLocation() != nil {
			ph.HasLocation, ph.Lat, ph.Lng = true, p.GetLocation().GetLat(), p.GetLocation().GetLng()
		}
		n.Photos = append(n.Photos, ph)
	}
	return n
}

// insert stores a report and its report.filed event in tx, with a follow-up
// token when asked. It returns ok = false when a ticket's external number was
// imported before.
func (s *ReportServer) insert(ctx context.Context, tx pgx.Tx, n newReport) (store.Report, string, bool, error) {
	photos, err := json.Marshal(n.Photos)
	if err != nil {
		return store.Report{}, "", false, fmt.Errorf("photos: %w", err)
	}
	if n.Photos == nil {
		photos = []byte("[]")
	}
	// The triage clock starts when the street gets the report (a ticket's
	// received_at is the hotline's, often earlier).
	now := s.Whistles.now()
	received := n.receivedAt
	if received.IsZero() {
		received = now
	}
	var due pgtype.Timestamptz
	if !n.dueAt.IsZero() {
		due = pgtype.Timestamptz{Time: n.dueAt.UTC().Truncate(time.Microsecond), Valid: true}
	}
	q := store.New(tx)
	r, err := q.InsertReport(ctx, store.InsertReportParams{
		ID: uuid.Must(uuid.NewV7()).String(), Source: string(n.source), StreetID: n.StreetID, DistrictID: n.districtID,
		GridID: n.gridID, Category: n.Category, Description: n.Description, Address: n.Address, Lat: n.Lat, Lng: n.Lng,
		Photos: photos, ContactName: n.contactName, ContactPhone: n.contactPhone, Status: string(reports.StatusReceived),
		ReceivedAt: received.UTC().Truncate(time.Microsecond), TriageFrom: now, TriageBy: now.Add(s.triageLimit()),
		ExternalSource: n.externalSrc, ExternalNumber: n.externalNum, DueAt: due,
		ReportedByRole: n.actor.GetRole(), ReportedByID: n.actor.GetId(), TicketType: n.ticketType,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Report{}, "", false, nil
	}
	if err != nil {
		return store.Report{}, "", false, fmt.Errorf("insert report: %w", err)
	}
	var token string
	if n.withToken {
		var hash string
		token, hash = reports.NewToken()
		if err := q.InsertFollowUpToken(ctx, store.InsertFollowUpTokenParams{TokenHash: hash, ReportID: r.ID, IssuedAt: r.ReceivedAt}); err != nil {
			return store.Report{}, "", false, fmt.Errorf("follow-up token of report %s: %w", r.ID, err)
		}
	}
	if err := outbox.Add(ctx, tx, events.ReportFiled(r.ReceivedAt, n.actor, s.proto(r))); err != nil {
		return store.Report{}, "", false, err
	}
	return r, token, true, nil
}

// file stores one report in its own transaction.
func (s *ReportServer) file(ctx context.Context, n newReport) (*intakev1.FiledReport, error) {
	var saved store.Report
	var token string
	err := pgx.BeginFunc(ctx, s.Whistles.Pool, func(tx pgx.Tx) error {
		var err error
		saved, token, _, err = s.insert(ctx, tx, n)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("file report: %w", err)
	}
	return &intakev1.FiledReport{Report: s.proto(saved), FollowUpToken: token}, nil
}

// FileReport is a grid worker's report on its own street (or a street's own).
func (s *ReportServer) FileReport(ctx context.Context, req *intakev1.FileReportRequest) (*intakev1.FiledReport, error) {
	return handle(ctx, s.Whistles, req, s.fileReport)
}

func (s *ReportServer) fileReport(ctx context.Context, id auth.Identity, req *intakev1.FileReportRequest) (*intakev1.FiledReport, error) {
	source := reports.SourceGrid
	switch id.Role {
	case auth.RoleGrid:
	case auth.RoleStreet:
		source = reports.SourceStreet
	default:
		return nil, fmt.Errorf("only grid workers and streets file reports: %w", intake.ErrPermissionDenied)
	}
	street := req.GetStreetId()
	if street == "" {
		street = id.StreetID
	}
	if street != id.StreetID {
		return nil, fmt.Errorf("reports are filed for the caller's own street: %w", intake.ErrPermissionDenied)
	}
	var f intake.Fields
	loc := s.Whistles.toWGS84(&f, req.GetLocation(), req.GetCoordSys())
	n := newFromRequest(street, req.GetCategory(), req.GetDescription(), req.GetAddress(), loc, req.GetPhotos())
	n.Validate(&f)
	if err := f.Err(); err != nil {
		return nil, err
	}
	if _, err := s.Whistles.checkReferences(ctx, intake.Raise{StreetID: street, Category: n.Category}); err != nil {
		return nil, err
	}
	return s.file(ctx, newReport{New: n, source: source, districtID: id.DistrictID, gridID: id.GridID,
		actor: actorOf(id), withToken: true})
}

// SubmitPublicReport is a resident's report. It needs no token, so routing
// (which serves signed-in callers only) cannot be asked: the street must be a
// nine-digit township code, its district is the code's first six digits, and
// the category is checked when the street blows the whistle on it.
func (s *ReportServer) SubmitPublicReport(ctx context.Context, req *intakev1.SubmitPublicReportRequest) (*intakev1.FiledReport, error) {
	out, err := s.submitPublic(ctx, req)
	return answer(ctx, s.Whistles, out, err)
}

func (s *ReportServer) submitPublic(ctx context.Context, req *intakev1.SubmitPublicReportRequest) (*intakev1.FiledReport, error) {
	var f intake.Fields
	loc := s.Whistles.toWGS84(&f, req.GetLocation(), req.GetCoordSys())
	n := newFromRequest(req.GetStreetId(), req.GetCategory(), req.GetDescription(), req.GetAddress(), loc, req.GetPhotos())
	n.Validate(&f)
	if n.StreetID != "" && !townshipCode(n.StreetID) {
		f.Add("street_id", "must be a nine-digit township code")
	}
	reports.ValidateContact(&f, req.GetContactName(), req.GetContactPhone())
	if err := f.Err(); err != nil {
		return nil, err
	}
	// Anyone may call this: a street or category routing does not know is
	// refused, not left in an inbox nobody reads.
	district, err := s.Whistles.checkReferences(ctx, intake.Raise{StreetID: n.StreetID, Category: n.Category})
	if err != nil {
		return nil, err
	}
	return s.file(ctx, newReport{New: n, source: reports.SourceResident, districtID: district,
		contactName: strings.TrimSpace(req.GetContactName()), contactPhone: strings.TrimSpace(req.GetContactPhone()),
		actor: &typesv1.Actor{Role: "resident", Id: "resident"}, withToken: true})
}

func townshipCode(s string) bool {
	if len(s) != 9 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

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
