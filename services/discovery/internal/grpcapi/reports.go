package grpcapi

import (
	"context"
	"log/slog"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/geo/coordsys"
	"github.com/chuishao/whistle/platform/invalid"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/discovery/internal/discovery"
	"github.com/chuishao/whistle/services/discovery/internal/events"
	"github.com/chuishao/whistle/services/discovery/internal/reports"
	"github.com/chuishao/whistle/services/discovery/internal/store"
)

// PublicReportMethods are the ReportService methods that need no token: a
// resident's report, the follow-up token's view and rating, the public results.
var PublicReportMethods = []string{
	intakev1.ReportService_SubmitPublicReport_FullMethodName,
	intakev1.ReportService_GetFollowUp_FullMethodName,
	intakev1.ReportService_RateFollowUp_FullMethodName,
	intakev1.ReportService_GetPublicResults_FullMethodName,
}

// ReportServer implements intakev1.ReportServiceServer: it maps requests
// and answers around the discovery use cases.
type ReportServer struct {
	intakev1.UnimplementedReportServiceServer

	Discovery *discovery.Service
	Log       *slog.Logger
	// CoordSys is the coordinate system of a location whose request names
	// none (WGS-84 when empty).
	CoordSys coordsys.System
}

func (s *ReportServer) proto(r store.Report) *intakev1.Report {
	return events.ReportProto(r, s.Discovery.Now())
}

// view is a report as its reader sees it.
func (s *ReportServer) view(r discovery.Report) *intakev1.Report {
	out := s.proto(r.Report)
	if !r.Full {
		return publicReport(out)
	}
	for _, a := range r.Attachments {
		out.Attachments = append(out.Attachments, reportAttachmentOf(a))
	}
	out.WhistleStatus = r.WhistleStatus
	return out
}

func (s *ReportServer) filed(f discovery.Filed) *intakev1.FiledReport {
	return &intakev1.FiledReport{Report: s.proto(f.Report), FollowUpToken: f.FollowUpToken}
}

// newReport is a request's report with its location in WGS-84 (what is
// wrong with its coordinate system goes to f).
func (s *ReportServer) newReport(f *invalid.Violations, street, category, description, address string, loc *typesv1.LatLng, coordSys string, photos []*intakev1.Photo) reports.New {
	loc = s.toWGS84(f, loc, coordSys)
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

// FileReport is a grid worker's report on its own street (or a street's own).
func (s *ReportServer) FileReport(ctx context.Context, req *intakev1.FileReportRequest) (*intakev1.FiledReport, error) {
	return handle(ctx, s, req, func(ctx context.Context, id auth.Identity, req *intakev1.FileReportRequest) (*intakev1.FiledReport, error) {
		var f invalid.Violations
		n := s.newReport(&f, req.GetStreetId(), req.GetCategory(), req.GetDescription(), req.GetAddress(),
			req.GetLocation(), req.GetCoordSys(), req.GetPhotos())
		out, err := s.Discovery.FileReport(ctx, id, n, &f)
		if err != nil {
			return nil, err
		}
		return s.filed(out), nil
	})
}

// SubmitPublicReport is a resident's report; it needs no token.
func (s *ReportServer) SubmitPublicReport(ctx context.Context, req *intakev1.SubmitPublicReportRequest) (*intakev1.FiledReport, error) {
	var f invalid.Violations
	n := s.newReport(&f, req.GetStreetId(), req.GetCategory(), req.GetDescription(), req.GetAddress(),
		req.GetLocation(), req.GetCoordSys(), req.GetPhotos())
	out, err := s.Discovery.SubmitPublicReport(ctx, n, discovery.Contact{Name: req.GetContactName(), Phone: req.GetContactPhone()}, &f)
	if err != nil {
		return nil, toStatus(ctx, s.Log, err)
	}
	return s.filed(out), nil
}

// reportAttachmentOf is the API's view of a report's attachment.
func reportAttachmentOf(r store.ReportAttachment) *intakev1.Attachment {
	a := &intakev1.Attachment{
		Id: r.AttachmentID, ReportId: r.ReportID, Stage: discovery.StageReport, MediaType: r.MediaType, SizeBytes: r.SizeBytes,
		Sha256: r.Sha256, StoredSha256: r.StoredSha256, Width: r.Width, Height: r.Height, HasThumbnail: r.HasThumbnail,
		FileName: r.FileName, AddedBy: &typesv1.Actor{Role: r.ActorRole, Id: r.ActorID},
	}
	if !r.AddedAt.IsZero() {
		a.AddedAt = timestamppb.New(r.AddedAt)
	}
	if r.ExifLat.Valid && r.ExifLng.Valid {
		a.ExifLocation = &typesv1.LatLng{Lat: r.ExifLat.Float64, Lng: r.ExifLng.Float64}
	}
	return a
}
