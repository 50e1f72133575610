package grpcapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus/outbox"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
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
