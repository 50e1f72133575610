package grpcapi

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/whistlefields"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"

	"github.com/chuishao/whistle/services/discovery/internal/discovery"
)

// GetReport returns one report in the caller's scope (the public's in its
// public view).
func (s *ReportServer) GetReport(ctx context.Context, req *intakev1.GetReportRequest) (*intakev1.Report, error) {
	return handle(ctx, s, req, func(ctx context.Context, id auth.Identity, req *intakev1.GetReportRequest) (*intakev1.Report, error) {
		r, err := s.Discovery.GetReport(ctx, id, req.GetId())
		if err != nil {
			return nil, err
		}
		return s.view(r), nil
	})
}

// ListReports lists a street's reports or a whistle's linked reports.
func (s *ReportServer) ListReports(ctx context.Context, req *intakev1.ListReportsRequest) (*intakev1.ListReportsResponse, error) {
	return handle(ctx, s, req, func(ctx context.Context, id auth.Identity, req *intakev1.ListReportsRequest) (*intakev1.ListReportsResponse, error) {
		in := discovery.ReportQuery{WhistleID: req.GetWhistleId(), Street: req.GetStreetId(), PageSize: req.GetPageSize()}
		if v := req.GetStatus(); v != intakev1.Report_STATUS_UNSPECIFIED {
			in.Status = v.String()
		}
		rows, err := s.Discovery.ListReports(ctx, id, in)
		if err != nil {
			return nil, err
		}
		out := &intakev1.ListReportsResponse{}
		for _, r := range rows {
			out.Reports = append(out.Reports, s.view(r))
		}
		return out, nil
	})
}

// GetInbox is a page of the street's untriaged reports, newest first, nearby
// duplicates grouped with the whistles' duplicate radius.
func (s *ReportServer) GetInbox(ctx context.Context, req *intakev1.GetInboxRequest) (*intakev1.Inbox, error) {
	return handle(ctx, s, req, func(ctx context.Context, id auth.Identity, req *intakev1.GetInboxRequest) (*intakev1.Inbox, error) {
		in := discovery.InboxQuery{Street: req.GetStreetId(), PageSize: req.GetPageSize()}
		if t := req.GetPageToken(); t != "" {
			after, ok := parseToken(t)
			in.BadToken = !ok
			in.After = &discovery.Cursor{At: after.At, ID: after.ID}
		}
		box, err := s.Discovery.GetInbox(ctx, id, in)
		if err != nil {
			return nil, err
		}
		out := &intakev1.Inbox{StreetId: box.Street, Waiting: box.Waiting}
		if box.Next != nil {
			out.NextPageToken = cursor{At: box.Next.At, ID: box.Next.ID}.token()
		}
		for _, g := range box.Groups {
			pg := &intakev1.ReportGroup{Id: g.ID, Category: g.Category, TriageBy: timestamppb.New(g.TriageBy)}
			for _, r := range g.Reports {
				pg.Reports = append(pg.Reports, s.view(r))
			}
			out.Groups = append(out.Groups, pg)
		}
		return out, nil
	})
}

// AddReportAttachment records a photo the gateway has stored on a report.
func (s *ReportServer) AddReportAttachment(ctx context.Context, req *intakev1.AddReportAttachmentRequest) (*intakev1.Attachment, error) {
	return handle(ctx, s, req, func(ctx context.Context, id auth.Identity, req *intakev1.AddReportAttachmentRequest) (*intakev1.Attachment, error) {
		a := req.GetAttachment()
		in := discovery.NewAttachment{Stage: a.GetStage(), CheckOnly: req.GetCheckOnly(), Problems: whistlefields.CheckAttachment(a),
			ID: a.GetId(), ReportID: a.GetReportId(), MediaType: a.GetMediaType(), SizeBytes: a.GetSizeBytes(),
			Sha256: a.GetSha256(), StoredSha256: a.GetStoredSha256(), Width: a.GetWidth(), Height: a.GetHeight(),
			HasThumbnail: a.GetHasThumbnail(), FileName: a.GetFileName()}
		if l := a.GetExifLocation(); l != nil {
			in.Exif = &discovery.Point{Lat: l.GetLat(), Lng: l.GetLng()}
		}
		saved, err := s.Discovery.AddReportAttachment(ctx, id, in)
		if err != nil {
			return nil, err
		}
		return reportAttachmentOf(saved), nil
	})
}

// GetReportAttachment returns one attachment of a report the caller may read.
func (s *ReportServer) GetReportAttachment(ctx context.Context, req *intakev1.GetReportAttachmentRequest) (*intakev1.Attachment, error) {
	return handle(ctx, s, req, func(ctx context.Context, id auth.Identity, req *intakev1.GetReportAttachmentRequest) (*intakev1.Attachment, error) {
		a, err := s.Discovery.GetReportAttachment(ctx, id, req.GetReportId(), req.GetId(), checkVariant(id, req.GetVariant()))
		if err != nil {
			return nil, err
		}
		return reportAttachmentOf(a), nil
	})
}
