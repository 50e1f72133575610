package grpcapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/reports"
	"github.com/chuishao/whistle/services/intake/internal/store"
)

// AddReportAttachment records a photo the gateway has stored on a report:
// its reporter's, while the report waits for triage (the street triages on
// what it sees). The same limits as a whistle's evidence apply.
func (s *ReportServer) AddReportAttachment(ctx context.Context, req *intakev1.AddReportAttachmentRequest) (*intakev1.Attachment, error) {
	return handle(ctx, s.Whistles, req, s.addReportAttachment)
}

func (s *ReportServer) addReportAttachment(ctx context.Context, id auth.Identity, req *intakev1.AddReportAttachmentRequest) (*intakev1.Attachment, error) {
	if id.Role != auth.RoleGrid && id.Role != auth.RoleStreet {
		return nil, fmt.Errorf("role %s adds no photos to reports: %w", id.Role, intake.ErrPermissionDenied)
	}
	a := req.GetAttachment()
	var saved store.ReportAttachment
	err := pgx.BeginFunc(ctx, s.Whistles.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		// Scope first, so that nobody learns anything of a report out of reach.
		locked, err := q.LockReports(ctx, []string{a.GetReportId()})
		if err != nil {
			return fmt.Errorf("lock report %s: %w", a.GetReportId(), err)
		}
		if len(locked) == 0 || !reportVisible(id, locked[0]) {
			return intake.ErrNotFound
		}
		r := locked[0]
		if r.ReportedByRole != id.Role || r.ReportedByID != id.Subject {
			return fmt.Errorf("only the reporter adds photos to a report: %w", intake.ErrPermissionDenied)
		}
		if a.GetStage() != StageReport {
			return intake.Invalid("attachment.stage", "must be report")
		}
		if r.Status != string(reports.StatusReceived) {
			return &intake.StateError{Status: intake.Status("report " + r.Status), Reason: "photos are added while the report waits for triage"}
		}
		if req.GetCheckOnly() {
			saved = store.ReportAttachment{ReportID: r.ID}
			return nil
		}
		if err := checkAttachment(a); err != nil {
			return err
		}
		if existing, err := q.GetReportAttachment(ctx, store.GetReportAttachmentParams{ReportID: r.ID, AttachmentID: a.GetId()}); err == nil {
			saved = existing // added before: the retry changes nothing
			return nil
		}
		n, err := q.CountReportAttachments(ctx, r.ID)
		if err != nil {
			return fmt.Errorf("count attachments of report %s: %w", r.ID, err)
		}
		if n >= MaxAttachments {
			return intake.Invalid("attachment", fmt.Sprintf("a report holds at most %d attachments", MaxAttachments))
		}
		row := store.InsertReportAttachmentParams{
			AttachmentID: a.GetId(), ReportID: r.ID, MediaType: a.GetMediaType(), SizeBytes: a.GetSizeBytes(),
			Sha256: a.GetSha256(), StoredSha256: a.GetStoredSha256(), Width: a.GetWidth(), Height: a.GetHeight(),
			HasThumbnail: a.GetHasThumbnail(), FileName: a.GetFileName(), ActorRole: id.Role, ActorID: id.Subject,
			AddedAt: s.Whistles.now(),
		}
		if l := a.GetExifLocation(); l != nil {
			row.ExifLat = pgtype.Float8{Float64: l.GetLat(), Valid: true}
			row.ExifLng = pgtype.Float8{Float64: l.GetLng(), Valid: true}
		}
		inserted, err := q.InsertReportAttachment(ctx, row)
		if err != nil {
			return fmt.Errorf("add attachment to report %s: %w", r.ID, err)
		}
		if inserted == 0 { // the id belongs to another report
			return intake.Invalid("attachment.id", "is already used")
		}
		saved = store.ReportAttachment(row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return reportAttachmentOf(saved), nil
}

// GetReportAttachment returns one attachment of a report the caller may read.
func (s *ReportServer) GetReportAttachment(ctx context.Context, req *intakev1.GetReportAttachmentRequest) (*intakev1.Attachment, error) {
	return handle(ctx, s.Whistles, req, s.getReportAttachment)
}

func (s *ReportServer) getReportAttachment(ctx context.Context, id auth.Identity, req *intakev1.GetReportAttachmentRequest) (*intakev1.Attachment, error) {
	if err := readsReports(id); err != nil {
		return nil, err
	}
	q := store.New(s.Whistles.Pool)
	r, err := q.GetReport(ctx, req.GetReportId())
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !reportVisible(id, r)) {
		return nil, intake.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get report %s: %w", req.GetReportId(), err)
	}
	if err := checkVariant(ctx, req.GetVariant()); err != nil {
		return nil, err
	}
	a, err := q.GetReportAttachment(ctx, store.GetReportAttachmentParams{ReportID: r.ID, AttachmentID: req.GetId()})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, intake.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("attachment %s of report %s: %w", req.GetId(), r.ID, err)
	}
	return reportAttachmentOf(a), nil
}

func reportAttachmentOf(r store.ReportAttachment) *intakev1.Attachment {
	a := &intakev1.Attachment{
		Id: r.AttachmentID, ReportId: r.ReportID, Stage: StageReport, MediaType: r.MediaType, SizeBytes: r.SizeBytes,
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

// withDetails adds to reports the caller reads in full their photos (with
// positions) and the status of the whistle each is linked to: two queries
// for the whole list.
func (s *ReportServer) withDetails(ctx context.Context, out []*intakev1.Report) error {
	if len(out) == 0 {
		return nil
	}
	byID := make(map[string]*intakev1.Report, len(out))
	ids := make([]string, 0, len(out))
	var whistles []string
	for _, r := range out {
		byID[r.GetId()] = r
		ids = append(ids, r.GetId())
		if r.GetWhistleId() != "" {
			whistles = append(whistles, r.GetWhistleId())
		}
	}
	q := store.New(s.Whistles.Pool)
	atts, err := q.ListReportAttachments(ctx, ids)
	if err != nil {
		return fmt.Errorf("attachments of reports: %w", err)
	}
	for _, a := range atts {
		r := byID[a.ReportID]
		r.Attachments = append(r.Attachments, reportAttachmentOf(a))
	}
	if len(whistles) == 0 {
		return nil
	}
	states, err := q.WhistleStatuses(ctx, whistles)
	if err != nil {
		return fmt.Errorf("whistles of reports: %w", err)
	}
	status := make(map[string]string, len(states))
	for _, w := range states {
		status[w.ID] = w.Status
	}
	for _, r := range out {
		r.WhistleStatus = status[r.GetWhistleId()]
	}
	return nil
}
