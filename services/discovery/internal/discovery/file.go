package discovery

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
	"github.com/chuishao/whistle/platform/invalid"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/discovery/internal/events"
	"github.com/chuishao/whistle/services/discovery/internal/reports"
	"github.com/chuishao/whistle/services/discovery/internal/store"
	"github.com/chuishao/whistle/services/discovery/internal/whistle"
)

// Filed is a stored report and the follow-up token its reporter keeps.
type Filed struct {
	Report        store.Report
	FollowUpToken string
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

// insert stores a report and its report.filed event in tx, with a follow-up
// token when asked. It returns ok = false when a ticket's external number was
// imported before.
func (s *Service) insert(ctx context.Context, tx pgx.Tx, n newReport) (store.Report, string, bool, error) {
	photos, err := json.Marshal(n.Photos)
	if err != nil {
		return store.Report{}, "", false, fmt.Errorf("photos: %w", err)
	}
	if n.Photos == nil {
		photos = []byte("[]")
	}
	// The triage clock starts when the street gets the report (a ticket's
	// received_at is the hotline's, often earlier).
	now := s.Now()
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
func (s *Service) file(ctx context.Context, n newReport) (Filed, error) {
	var out Filed
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		var err error
		out.Report, out.FollowUpToken, _, err = s.insert(ctx, tx, n)
		return err
	})
	if err != nil {
		return Filed{}, fmt.Errorf("file report: %w", err)
	}
	return out, nil
}

// FileReport is a grid worker's report on its own street (or a street's
// own). n's location is in WGS-84; problems the API found in the request
// (its coordinate system) come in f.
func (s *Service) FileReport(ctx context.Context, id auth.Identity, n reports.New, f *invalid.Violations) (Filed, error) {
	source := reports.SourceGrid
	switch id.Role {
	case auth.RoleGrid:
	case auth.RoleStreet:
		source = reports.SourceStreet
	default:
		return Filed{}, fmt.Errorf("only grid workers and streets file reports: %w", whistle.ErrPermissionDenied)
	}
	if n.StreetID == "" {
		n.StreetID = id.StreetID
	}
	if n.StreetID != id.StreetID {
		return Filed{}, fmt.Errorf("reports are filed for the caller's own street: %w", whistle.ErrPermissionDenied)
	}
	n.Validate(f)
	if err := f.Err(); err != nil {
		return Filed{}, err
	}
	if _, err := s.Refs.District(ctx, n.StreetID, n.Category); err != nil {
		return Filed{}, err
	}
	return s.file(ctx, newReport{New: n, source: source, districtID: id.DistrictID, gridID: id.GridID,
		actor: actorOf(id), withToken: true})
}

// Contact is how a resident may be called back.
type Contact struct{ Name, Phone string }

// SubmitPublicReport is a resident's report, which needs no sign-in: the
// street must be a nine-digit township code that routing knows, with a
// category routing knows.
func (s *Service) SubmitPublicReport(ctx context.Context, n reports.New, c Contact, f *invalid.Violations) (Filed, error) {
	n.Validate(f)
	if n.StreetID != "" && !TownshipCode(n.StreetID) {
		f.Add("street_id", "must be a nine-digit township code")
	}
	reports.ValidateContact(f, c.Name, c.Phone)
	if err := f.Err(); err != nil {
		return Filed{}, err
	}
	// Anyone may call this: a street or category routing does not know is
	// refused, not left in an inbox nobody reads.
	district, err := s.Refs.District(ctx, n.StreetID, n.Category)
	if err != nil {
		return Filed{}, err
	}
	return s.file(ctx, newReport{New: n, source: reports.SourceResident, districtID: district,
		contactName: strings.TrimSpace(c.Name), contactPhone: strings.TrimSpace(c.Phone),
		actor: &typesv1.Actor{Role: "resident", Id: "resident"}, withToken: true})
}
