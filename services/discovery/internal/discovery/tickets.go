package discovery

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

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/geo/coordsys"
	"github.com/chuishao/whistle/platform/invalid"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"

	"github.com/chuishao/whistle/services/discovery/internal/events"
	"github.com/chuishao/whistle/services/discovery/internal/reports"
	"github.com/chuishao/whistle/services/discovery/internal/store"
	"github.com/chuishao/whistle/services/discovery/internal/whistle"
)

// importsTickets: a supervisor imports tickets for its district (or the
// city), a street for itself.
func importsTickets(id auth.Identity) error {
	if id.Role == auth.RoleSupervisor || id.Role == auth.RoleStreet {
		return nil
	}
	return fmt.Errorf("role %s imports no tickets: %w", id.Role, whistle.ErrPermissionDenied)
}

// ticketChecker checks a ticket's street and category with routing, asking
// once per street and category of an import.
type ticketChecker struct {
	s          *Service
	id         auth.Identity
	streets    map[string]*routingv1.Street
	categories map[string]bool
}

func (c *ticketChecker) check(ctx context.Context, t *reports.Ticket, f *invalid.Violations) (string, error) {
	if c.streets == nil {
		c.streets, c.categories = map[string]*routingv1.Street{}, map[string]bool{}
	}
	st, ok := c.streets[t.Report.StreetID]
	if !ok {
		var err error
		if st, err = c.s.Refs.Street(ctx, t.Report.StreetID); err != nil {
			return "", err
		}
		c.streets[t.Report.StreetID] = st
	}
	known, ok := c.categories[t.Report.Category]
	if !ok {
		var err error
		if known, err = c.s.Refs.CategoryKnown(ctx, t.Report.Category); err != nil {
			return "", err
		}
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
func (c *ticketChecker) ticketClock(t *reports.Ticket, f *invalid.Violations) {
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
		received = c.s.Now()
	}
	t.Type, t.DueAt = code, limits.Due(code, received, t.DueAt)
}

// TicketSource is a ticket's hotline: reports.DefaultTicketSource when unnamed.
func TicketSource(s string) string {
	if s = strings.TrimSpace(s); s == "" {
		return reports.DefaultTicketSource
	}
	return s
}

// ImportTicket imports one 12345 ticket from source; its external number
// again answers the ticket as imported the first time. t's location is in
// WGS-84; problems the API found in the request come in f.
func (s *Service) ImportTicket(ctx context.Context, id auth.Identity, source string, t reports.Ticket, f *invalid.Violations) (store.Report, error) {
	if err := importsTickets(id); err != nil {
		return store.Report{}, err
	}
	source = TicketSource(source)
	reports.ValidateTicket(t, f)
	if err := f.Err(); err != nil {
		return store.Report{}, err
	}
	checker := &ticketChecker{s: s, id: id}
	district, err := checker.check(ctx, &t, f)
	if err != nil {
		return store.Report{}, err
	}
	if err := f.Err(); err != nil {
		return store.Report{}, err
	}
	var saved store.Report
	err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		r, _, ok, err := s.insert(ctx, tx, newReport{New: t.Report, source: reports.SourceHotline, districtID: district,
			externalSrc: source, externalNum: t.ExternalNumber, receivedAt: t.ReceivedAt, dueAt: t.DueAt,
			ticketType: t.Type, actor: actorOf(id)})
		if err != nil || ok {
			saved = r
			return err
		}
		saved, err = store.New(tx).GetTicket(ctx, store.GetTicketParams{
			ExternalSource: source, StreetID: t.Report.StreetID, ExternalNumber: t.ExternalNumber})
		return err
	})
	if err != nil {
		return store.Report{}, fmt.Errorf("import ticket %s: %w", t.ExternalNumber, err)
	}
	if !ReportVisible(id, saved) {
		return store.Report{}, whistle.ErrNotFound // imported before, by someone else's scope
	}
	return saved, nil
}

// CSVImport is a CSV's outcome: rows read, new tickets, tickets imported
// before, and the bad rows (some left out past reports.MaxRowErrors).
type CSVImport struct {
	Rows, Imported, AlreadyImported, ErrorsOmitted int
	Errors                                         []reports.RowError
}

// ImportTicketsCSV imports a CSV of tickets from source, its points in sys,
// in one transaction: good rows are imported, rows imported before are
// counted, bad rows are answered with their line numbers and reasons.
// Problems the API found in the request (its coordinate system) come in f.
func (s *Service) ImportTicketsCSV(ctx context.Context, id auth.Identity, source, csv string, sys coordsys.System, f *invalid.Violations) (CSVImport, error) {
	if err := importsTickets(id); err != nil {
		return CSVImport{}, err
	}
	if err := f.Err(); err != nil {
		return CSVImport{}, err
	}
	parsed, err := reports.ParseCSV(ctx, strings.NewReader(csv))
	if ctx.Err() != nil {
		return CSVImport{}, ctx.Err()
	}
	if err != nil {
		return CSVImport{}, invalid.Field("csv", err.Error())
	}
	source = TicketSource(source)
	checker := &ticketChecker{s: s, id: id}
	var tickets []reports.Ticket
	var districts []string
	var bad []reports.RowError
	for i, t := range parsed.Tickets {
		if i%256 == 0 && ctx.Err() != nil {
			return CSVImport{}, ctx.Err()
		}
		if t.Report.HasLocation {
			p := coordsys.ToWGS84(sys, coordsys.Point{Lat: t.Report.Lat, Lng: t.Report.Lng})
			t.Report.Lat, t.Report.Lng = p.Lat, p.Lng
		}
		var f invalid.Violations
		district, err := checker.check(ctx, &t, &f)
		if err != nil {
			return CSVImport{}, err
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
		return CSVImport{}, fmt.Errorf("import tickets: %w", err)
	}
	return CSVImport{Rows: parsed.Rows, Imported: imported, AlreadyImported: len(tickets) - imported,
		ErrorsOmitted: parsed.Omitted, Errors: parsed.Errors}, nil
}

// ticketChunk is how many tickets one INSERT carries.
const ticketChunk = 2000

// insertTickets stores a CSV's good tickets in one transaction, a chunk per
// statement, with their report.filed events written to the outbox in one
// pipeline: a 10,000-row file costs a handful of round trips, not 20,000.
// It returns how many were new.
func (s *Service) insertTickets(ctx context.Context, tickets []reports.Ticket, districts []string, source string, id auth.Identity) (int, error) {
	imported := 0
	actor := actorOf(id)
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		pipe := &pipeline{Tx: tx}
		now := s.Now()
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

// GetTicket finds a ticket of source by its external number, in the
// caller's scope.
func (s *Service) GetTicket(ctx context.Context, id auth.Identity, source, externalNumber string) (store.Report, error) {
	if err := readsReports(id); err != nil {
		return store.Report{}, err
	}
	// Only the caller's scope is searched, so a number used elsewhere
	// answers exactly like one never used.
	p := store.FindTicketParams{ExternalSource: TicketSource(source), ExternalNumber: externalNumber}
	switch {
	case id.Role == auth.RoleStreet || id.Role == auth.RoleGrid:
		p.StreetID = pgtype.Text{String: id.StreetID, Valid: true}
	case id.DistrictID != "":
		p.DistrictID = pgtype.Text{String: id.DistrictID, Valid: true}
	}
	r, err := store.New(s.Pool).FindTicket(ctx, p)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !ReportVisible(id, r)) {
		return store.Report{}, whistle.ErrNotFound
	}
	if err != nil {
		return store.Report{}, fmt.Errorf("get ticket %s: %w", externalNumber, err)
	}
	return r, nil
}
