package grpcapi

import (
	"context"
	"strings"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/geo/coordsys"
	"github.com/chuishao/whistle/platform/invalid"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"

	"github.com/chuishao/whistle/services/discovery/internal/discovery"
	"github.com/chuishao/whistle/services/discovery/internal/events"
	"github.com/chuishao/whistle/services/discovery/internal/reports"
)

// ImportTicket imports one 12345 ticket; its external number again answers
// the ticket as imported the first time.
func (s *ReportServer) ImportTicket(ctx context.Context, req *intakev1.ImportTicketRequest) (*intakev1.Report, error) {
	return handle(ctx, s, req, func(ctx context.Context, id auth.Identity, req *intakev1.ImportTicketRequest) (*intakev1.Report, error) {
		var f invalid.Violations
		t := reports.Ticket{ExternalNumber: strings.TrimSpace(req.GetExternalNumber()),
			Report: s.newReport(&f, req.GetStreetId(), req.GetCategory(), req.GetDescription(), req.GetAddress(),
				req.GetLocation(), req.GetCoordSys(), nil),
			Type: strings.TrimSpace(req.GetTicketType())}
		if req.GetReceivedAt() != nil {
			t.ReceivedAt = req.GetReceivedAt().AsTime()
		}
		if req.GetDueAt() != nil {
			t.DueAt = req.GetDueAt().AsTime()
		}
		r, err := s.Discovery.ImportTicket(ctx, id, req.GetSource(), t, &f)
		if err != nil {
			return nil, err
		}
		return s.proto(r), nil
	})
}

// ImportTicketsCsv imports a CSV of tickets in one transaction.
func (s *ReportServer) ImportTicketsCsv(ctx context.Context, req *intakev1.ImportTicketsCsvRequest) (*intakev1.ImportTicketsCsvResponse, error) {
	return handle(ctx, s, req, func(ctx context.Context, id auth.Identity, req *intakev1.ImportTicketsCsvRequest) (*intakev1.ImportTicketsCsvResponse, error) {
		var f invalid.Violations
		sys := coordsys.FieldOf(&f, req.GetCoordSys(), s.CoordSys)
		done, err := s.Discovery.ImportTicketsCSV(ctx, id, req.GetSource(), req.GetCsv(), sys, &f)
		if err != nil {
			return nil, err
		}
		out := &intakev1.ImportTicketsCsvResponse{Rows: int32(done.Rows), Imported: int32(done.Imported),
			AlreadyImported: int32(done.AlreadyImported), ErrorsOmitted: int32(done.ErrorsOmitted)}
		for _, b := range done.Errors {
			out.Errors = append(out.Errors, &intakev1.RowError{Line: int32(b.Line), Field: b.Field, Reason: b.Reason})
		}
		return out, nil
	})
}

// GetTicket finds a ticket by its external number, in the caller's scope.
func (s *ReportServer) GetTicket(ctx context.Context, req *intakev1.GetTicketRequest) (*intakev1.Report, error) {
	return handle(ctx, s, req, func(ctx context.Context, id auth.Identity, req *intakev1.GetTicketRequest) (*intakev1.Report, error) {
		r, err := s.Discovery.GetTicket(ctx, id, req.GetSource(), req.GetExternalNumber())
		if err != nil {
			return nil, err
		}
		return s.proto(r), nil
	})
}

// RecordTicketFollowUp records the follow-up call's outcome on a closed ticket.
func (s *ReportServer) RecordTicketFollowUp(ctx context.Context, req *intakev1.RecordTicketFollowUpRequest) (*intakev1.Report, error) {
	return handle(ctx, s, req, func(ctx context.Context, id auth.Identity, req *intakev1.RecordTicketFollowUpRequest) (*intakev1.Report, error) {
		r, err := s.Discovery.RecordTicketFollowUp(ctx, id, discovery.TicketFollowUp{Source: req.GetSource(),
			ExternalNumber: req.GetExternalNumber(), Street: req.GetStreetId(), Satisfaction: req.GetSatisfaction(),
			Fixed: req.Fixed, Comment: req.GetComment()})
		if err != nil {
			return nil, err
		}
		return s.proto(r), nil
	})
}

// ListTicketReturns lists a district's tickets closed or followed up in a
// period, in the hotline's return format's fields.
func (s *ReportServer) ListTicketReturns(ctx context.Context, req *intakev1.ListTicketReturnsRequest) (*intakev1.ListTicketReturnsResponse, error) {
	return handle(ctx, s, req, func(ctx context.Context, id auth.Identity, req *intakev1.ListTicketReturnsRequest) (*intakev1.ListTicketReturnsResponse, error) {
		in := discovery.ReturnsQuery{District: req.GetDistrictId(), Source: req.GetSource(), PageToken: req.GetPageToken(),
			PageSize: req.GetPageSize()}
		if req.GetFrom() != nil {
			in.From = req.GetFrom().AsTime()
		}
		if req.GetTo() != nil {
			in.To = req.GetTo().AsTime()
		}
		page, err := s.Discovery.ListTicketReturns(ctx, id, in)
		if err != nil {
			return nil, err
		}
		out := &intakev1.ListTicketReturnsResponse{NextPageToken: page.NextPageToken}
		for _, r := range page.Returns {
			out.Returns = append(out.Returns, events.TicketReturn(r))
		}
		return out, nil
	})
}
