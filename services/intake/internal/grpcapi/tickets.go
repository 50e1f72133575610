package grpcapi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/geo/coordsys"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"

	"github.com/chuishao/whistle/services/intake/internal/events"
	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/reports"
	"github.com/chuishao/whistle/services/intake/internal/store"
)

// importsTickets: a supervisor imports tickets for its district (or the
// city), a street for itself.
func importsTickets(id auth.Identity) error {
	if id.Role == auth.RoleSupervisor || id.Role == auth.RoleStreet {
		return nil
	}
	return fmt.Errorf("role %s imports no tickets: %w", id.Role, intake.ErrPermissionDenied)
}

// ticketChecker checks a ticket's street and category with routing, asking
// once per street and category of an import.
type ticketChecker struct {
	s          *ReportServer
	id         auth.Identity
	streets    map[string]*routingv1.Street
	categories map[string]bool
}

func (c *ticketChecker) check(ctx context.Context, t *reports.Ticket, f *intake.Fields) (string, error) {
	if c.streets == nil {
		c.streets, c.categories = map[string]*routingv1.Street{}, map[string]bool{}
	}
	st, ok := c.streets[t.Report.StreetID]
	if !ok {
		var err error
		if st, err = c.s.streetOf(ctx, t.Report.StreetID); err != nil {
			return "", err
		}
		c.streets[t.Report.StreetID] = st
	}
	known, ok := c.categories[t.Report.Category]
	if !ok {
		_, err := c.s.Whistles.Routing.GetCategory(ctx, &routingv1.GetCategoryRequest{Code: t.Report.Category})
		switch status.Code(err) {
		case codes.OK, codes.NotFound:
		default:
			return "", fmt.Errorf("look up category %s: %w: %w", t.Report.Category, intake.ErrUnavailable, err)
		}
		known = err == nil
		c.categories[t.Report.Category] = known
	}
	if !known {
		f.Add("category", "unknown category")
	}
	c.ticketClock(t, f)
	switch {
	case st == nil:
		f.Add("street_id", "unknown street")
		return "", nil
	case c.id.Role == auth.RoleStreet && t.Report.StreetID != c.id.StreetID:
		f.Add("street_id", "a street imports its own tickets only")
	case c.id.Role == auth.RoleSupervisor && c.id.DistrictID != "" && st.GetDistrictId() != c.id.DistrictID:
		f.Add("street_id", "is not a street of your district")
	}
	if !t.Report.HasLocation && st.GetCentroid() != nil {
		t.Report.HasLocation, t.Report.Lat, t.Report.Lng = true, st.GetCentroid().GetLat(), st.GetCentroid().GetLng()
	}
	return st.GetDistrictId(), nil
}

// ticketClock names the ticket's type by its code and, when the hotline gave
// no due_at, sets it from the type's statutory limit.
func (c *ticketChecker) ticketClock(t *reports.Ticket, f *intake.Fields) {
	if t.Type == "" {
		return
	}
	limits := c.s.ticketLimits()
	code, ok := limits.Type(t.Type)
	if !ok {
		f.Add("ticket_type", "unknown ticket type: one of "+strings.Join(limits.Types(), ", "))
		return
	}
	received := t.ReceivedAt
	if received.IsZero() {
		received = c.s.Whistles.now()
	}
	t.Type, t.DueAt = code, limits.Due(code, received, t.DueAt)
}

func (s *ReportServer) ticketReport(t reports.Ticket, source, district string, id auth.Identity) newReport {
	return newReport{New: t.Report, source: reports.SourceHotline, districtID: district, externalSrc: source,
		externalNum: t.ExternalNumber, receivedAt: t.ReceivedAt, dueAt: t.DueAt, ticketType: t.Type, actor: actorOf(id)}
}

// ImportTicket imports one 12345 ticket; its external number again answers
// the ticket as imported the first time.
func (s *ReportServer) ImportTicket(ctx context.Context, req *intakev1.ImportTicketRequest) (*intakev1.Report, error) {
	return handle(ctx, s.Whistles, req, s.importTicket)
}

func (s *ReportServer) importTicket(ctx context.Context, id auth.Identity, req *intakev1.ImportTicketRequest) (*intakev1.Report, error) {
	if err := importsTickets(id); err != nil {
		return nil, err
	}
	source := ticketSource(req.GetSource())
	var f intake.Fields
	loc := s.Whistles.toWGS84(&f, req.GetLocation(), req.GetCoordSys())
	t := reports.Ticket{ExternalNumber: strings.TrimSpace(req.GetExternalNumber()),
		Report: newFromRequest(req.GetStreetId(), req.GetCategory(), req.GetDescription(), req.GetAddress(), loc, nil),
		Type:   strings.TrimSpace(req.GetTicketType())}
	if req.GetReceivedAt() != nil {
		t.ReceivedAt = req.GetReceivedAt().AsTime()
	}
	if req.GetDueAt() != nil {
		t.DueAt = req.GetDueAt().AsTime()
	}
	reports.ValidateTicket(t, &f)
	if err := f.Err(); err != nil {
		return nil, err
	}
	checker := &ticketChecker{s: s, id: id}
	district, err := checker.check(ctx, &t, &f)
	if err != nil {
		return nil, err
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	var saved store.Report
	err = pgx.BeginFunc(ctx, s.Whistles.Pool, func(tx pgx.Tx) error {
		r, _, ok, err := s.insert(ctx, tx, s.ticketReport(t, source, district, id))
		if err != nil || ok {
			saved = r
			return err
		}
		saved, err = store.New(tx).GetTicket(ctx, store.GetTicketParams{
			ExternalSource: source, StreetID: t.Report.StreetID, ExternalNumber: t.ExternalNumber})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("import ticket %s: %w", t.ExternalNumber, err)
	}
	if !reportVisible(id, saved) {
		return nil, intake.ErrNotFound // imported before, by someone else's scope
	}
	return s.proto(saved), nil
}

func ticketSource(s string) string {
	if s = strings.TrimSpace(s); s == "" {
		return reports.DefaultTicketSource
	}
	return s
}

// ImportTicketsCsv imports a CSV of tickets in one transaction: good rows
// are imported, rows imported before are counted, bad rows are answered with
// their line numbers and reasons.
func (s *ReportServer) ImportTicketsCsv(ctx context.Context, req *intakev1.ImportTicketsCsvRequest) (*intakev1.ImportTicketsCsvResponse, error) {
	return handle(ctx, s.Whistles, req, s.importCSV)
}

func (s *ReportServer) importCSV(ctx context.Context, id auth.Identity, req *intakev1.ImportTicketsCsvRequest) (*intakev1.ImportTicketsCsvResponse, error) {
	if err := importsTickets(id); err != nil {
		return nil, err
	}
	var sf intake.Fields
	sys := s.Whistles.coordSys(&sf, req.GetCoordSys())
	if err := sf.Err(); err != nil {
		return nil, err
	}
	parsed, err := reports.ParseCSV(ctx, strings.NewReader(req.GetCsv()))
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, intake.Invalid("csv", err.Error())
	}
	source := ticketSource(req.GetSource())
	checker := &ticketChecker{s: s, id: id}
	var tickets []reports.Ticket
	var districts []string
	var bad []reports.RowError
	for i, t := range parsed.Tickets {
		if i%256 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if t.Report.HasLocation {
			p := coordsys.ToWGS84(sys, coordsys.Point{Lat: t.Report.Lat, Lng: t.Report.Lng})
			t.Report.Lat, t.Report.Lng = p.Lat, p.Lng
		}
		var f intake.Fields
		district, err := checker.check(ctx, &t, &f)
		if err != nil {
			return nil, err
		}
		if rows := reports.RowErrorsOf(t.Line, &f); len(rows) > 0 {
			bad = append(bad, rows...)
			continue
		}
		tickets = append(tickets, t)
		districts = append(districts, district)
	}
	parsed.Merge(bad)
	imported, err := s.insertTickets(ctx, tickets, districts, source, id)
	if err != nil {
		return nil, fmt.Errorf("import tickets: %w", err)
	}
	out := &intakev1.ImportTicketsCsvResponse{Rows: int32(parsed.Rows), Imported: int32(imported),
		AlreadyImported: int32(len(tickets) - imported), ErrorsOmitted: int32(parsed.Omitted)}
	for _, b := range parsed.Errors {
		out.Errors = append(out.Errors, &intakev1.RowError{Line: int32(b.Line), Field: b.Field, Reason: b.Reason})
	}
	return out, nil
}

// ticketChunk is how many tickets one INSERT carries.
const ticketChunk = 2000

// insertTickets stores a CSV's good tickets in one transaction, a chunk per
// statement, with their report.filed events written to the outbox in one
// pipeline: a 10,000-row file costs a handful of round trips, not 20,000.
// It returns how many were new.
func (s *ReportServer) insertTickets(ctx context.Context, tickets []reports.Ticket, districts []string, source string, id auth.Identity) (int, error) {
	imported := 0
	actor := actorOf(id)
	err := pgx.BeginFunc(ctx, s.Whistles.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		pipe := &pipeline{Tx: tx}
		now := s.Whistles.now()
		for start := 0; start < len(tickets); start += ticketChunk {
			chunk := tickets[start:min(start+ticketChunk, len(tickets))]
			p := store.InsertTicketsParams{ExternalSource: source, ReportedByRole: actor.GetRole(), ReportedByID: actor.GetId(),
				TriageFrom: now, TriageBy: now.Add(s.triageLimit())}
			for i, t := range chunk {
				received := t.ReceivedAt
				if received.IsZero() {
					received = now
				}
				received = received.UTC().Truncate(time.Microsecond)
				p.Ids = append(p.Ids, uuid.Must(uuid.NewV7()).String())
				p.StreetIds = append(p.StreetIds, t.Report.StreetID)
				p.DistrictIds = append(p.DistrictIds, districts[start+i])
				p.Categories = append(p.Categories, t.Report.Category)
				p.Descriptions = append(p.Descriptions, t.Report.Description)
				p.Addresses = append(p.Addresses, t.Report.Address)
				p.Lats = append(p.Lats, t.Report.Lat)
				p.Lngs = append(p.Lngs, t.Report.Lng)
				p.ReceivedAts = append(p.ReceivedAts, received)
				p.ExternalNumbers = append(p.ExternalNumbers, t.ExternalNumber)
				p.DueAts = append(p.DueAts, t.DueAt.UTC().Truncate(time.Microsecond))
				p.TicketTypes = append(p.TicketTypes, t.Type)
			}
			rows, err := q.InsertTickets(ctx, p)
			if err != nil {
				return fmt.Errorf("insert tickets: %w", err)
			}
			imported += len(rows)
			for _, r := range rows {
				if err := outbox.Add(ctx, pipe, events.ReportFiled(r.ReceivedAt, actor, s.proto(r))); err != nil {
					return err
				}
			}
		}
		return pipe.flush(ctx)
	})
	return imported, err
}

// pipeline is the import's transaction with its Exec calls queued rather than
// sent: outbox.Add writes each event with one Exec, so the events of a bulk
// import go to Postgres in one batch at flush, still inside the transaction.
// Anything else (Query, QueryRow) goes straight to the transaction.
type pipeline struct {
	pgx.Tx
	batch pgx.Batch
}

// Exec queues the statement for flush.
func (p *pipeline) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	p.batch.Queue(sql, args...)
	return pgconn.CommandTag{}, nil
}

// flush sends the queued statements and reports the first failure.
func (p *pipeline) flush(ctx context.Context) error {
	if p.batch.Len() == 0 {
		return nil
	}
	if err := p.Tx.SendBatch(ctx, &p.batch).Close(); err != nil {
		return fmt.Errorf("write the import's events: %w", err)
	}
	return nil
}

// GetTicket finds a ticket by its external number, in the caller's scope.
func (s *ReportServer) GetTicket(ctx context.Context, req *intakev1.GetTicketRequest) (*intakev1.Report, error) {
	return handle(ctx, s.Whistles, req, s.getTicket)
}

func (s *ReportServer) getTicket(ctx context.Context, id auth.Identity, req *intakev1.GetTicketRequest) (*intakev1.Report, error) {
	if err := readsReports(id); err != nil {
		return nil, err
	}
	// Only the caller's scope is searched, so a number used elsewhere
	// answers exactly like one never used.
	p := store.FindTicketParams{ExternalSource: ticketSource(req.GetSource()), ExternalNumber: req.GetExternalNumber()}
	switch {
	case id.Role == auth.RoleStreet || id.Role == auth.RoleGrid:
		p.StreetID = pgtype.Text{String: id.StreetID, Valid: true}
	case id.DistrictID != "":
		p.DistrictID = pgtype.Text{String: id.DistrictID, Valid: true}
	}
	r, err := store.New(s.Whistles.Pool).FindTicket(ctx, p)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !reportVisible(id, r)) {
		return nil, intake.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get ticket %s: %w", req.GetExternalNumber(), err)
	}
	return s.proto(r), nil
}
