package discovery

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/invalid"
	"github.com/chuishao/whistle/platform/whistlestatus"

	"github.com/chuishao/whistle/services/discovery/internal/reports"
	"github.com/chuishao/whistle/services/discovery/internal/store"
	"github.com/chuishao/whistle/services/discovery/internal/whistle"
)

// Report is a report as its reader sees it: in full, with its attachments
// and the status of the whistle it went into, or (Full false) only in its
// public view, which the API cuts down.
type Report struct {
	store.Report
	Full          bool
	Attachments   []store.ReportAttachment
	WhistleStatus string
}

// GetReport is one report in the caller's scope; the public reads every
// report, in its public view.
func (s *Service) GetReport(ctx context.Context, id auth.Identity, reportID string) (Report, error) {
	public := id.Role == auth.RolePublic
	if !public {
		if err := readsReports(id); err != nil {
			return Report{}, err
		}
	}
	r, err := store.New(s.Pool).GetReport(ctx, reportID)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !public && !ReportVisible(id, r)) {
		return Report{}, whistle.ErrNotFound
	}
	if err != nil {
		return Report{}, fmt.Errorf("get report %s: %w", reportID, err)
	}
	if public {
		return Report{Report: r}, nil
	}
	out := []Report{{Report: r, Full: true}}
	if err := s.withDetails(ctx, out); err != nil {
		return Report{}, err
	}
	return out[0], nil
}

// ReportQuery lists a street's reports (Street, the caller's own when
// empty; up to PageSize, 100 when zero; of one Status when set) or, with
// WhistleID, a whistle's linked reports.
type ReportQuery struct {
	WhistleID string
	Street    string
	PageSize  int32
	Status    string
}

// ListReports lists a street's reports or a whistle's linked reports.
func (s *Service) ListReports(ctx context.Context, id auth.Identity, in ReportQuery) ([]Report, error) {
	q := store.New(s.Pool)
	var (
		rows  []store.Report
		err   error
		party bool // the caller reads the whistle as a party to it, not as an informed neighbour
	)
	if wid := in.WhistleID; wid != "" {
		// The whistle's side of the link: whoever may read the whistle.
		w, err := s.Whistles.Get(ctx, id, wid)
		if err != nil {
			return nil, err
		}
		party = w.GetViewerRole() != whistle.ViewerNeighbour
		if rows, err = q.ListReportsByWhistle(ctx, wid); err != nil {
			return nil, fmt.Errorf("reports of whistle %s: %w", wid, err)
		}
	} else {
		if err := readsReports(id); err != nil {
			return nil, err
		}
		street := in.Street
		if street == "" {
			street = id.StreetID
		}
		var f invalid.Violations
		if street == "" {
			f.Add("street_id", "is required")
		}
		size := in.PageSize
		if size == 0 {
			size = 100
		}
		if size < 1 || size > 500 {
			f.Add("page_size", "must be between 1 and 500")
		}
		var st pgtype.Text
		if in.Status != "" {
			st = pgtype.Text{String: in.Status, Valid: true}
		}
		if err := f.Err(); err != nil {
			return nil, err
		}
		if !streetInScope(id, street) {
			return nil, whistle.ErrNotFound
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
	var out []Report
	for _, r := range rows {
		switch {
		case ReportVisible(id, r):
			out = append(out, Report{Report: r, Full: true})
		case party:
			// A whistle's reports go to its parties (its street, its desks,
			// the supervisors), but only the street's side sees what the
			// reporters wrote; a neighbour informed of the whistle reads
			// only the reports it may read on its own.
			out = append(out, Report{Report: r})
		}
	}
	if err := s.withDetails(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// withDetails adds to the reports read in full their photos (with
// positions) and the status of the whistle each is linked to: two queries
// for the whole list.
func (s *Service) withDetails(ctx context.Context, out []Report) error {
	byID := make(map[string]*Report, len(out))
	ids := make([]string, 0, len(out))
	var whistles []string
	for i := range out {
		r := &out[i]
		if !r.Full {
			continue
		}
		byID[r.ID] = r
		ids = append(ids, r.ID)
		if r.WhistleID != "" {
			whistles = append(whistles, r.WhistleID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	q := store.New(s.Pool)
	atts, err := q.ListReportAttachments(ctx, ids)
	if err != nil {
		return fmt.Errorf("attachments of reports: %w", err)
	}
	for _, a := range atts {
		r := byID[a.ReportID]
		r.Attachments = append(r.Attachments, a)
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
	for _, r := range byID {
		r.WhistleStatus = status[r.WhistleID]
	}
	return nil
}

// MaxReportAttachments bounds the photos on one report, as many as a
// whistle's evidence.
const MaxReportAttachments = 9

// NewAttachment is a photo the gateway has stored on a report. Problems is
// what the API found wrong with the upload's fields (nil when nothing),
// reported once the report's scope and state allow adding it.
type NewAttachment struct {
	ID, ReportID, MediaType, Sha256, StoredSha256, FileName string
	SizeBytes                                               int64
	Width, Height                                           int32
	HasThumbnail                                            bool
	// Exif is the position the photo's EXIF data gives, if any.
	Exif      *Point
	Stage     string
	CheckOnly bool
	Problems  error
}

// Point is a WGS-84 position.
type Point struct{ Lat, Lng float64 }

// StageReport is the attachment stage of a report's photos.
const StageReport = "report"

// AddReportAttachment records a photo the gateway has stored on a report:
// its reporter's, while the report waits for triage (the street triages on
// what it sees). The same limits as a whistle's evidence apply.
func (s *Service) AddReportAttachment(ctx context.Context, id auth.Identity, a NewAttachment) (store.ReportAttachment, error) {
	if id.Role != auth.RoleGrid && id.Role != auth.RoleStreet {
		return store.ReportAttachment{}, fmt.Errorf("role %s adds no photos to reports: %w", id.Role, whistle.ErrPermissionDenied)
	}
	var saved store.ReportAttachment
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		// Scope first, so that nobody learns anything of a report out of reach.
		locked, err := q.LockReports(ctx, []string{a.ReportID})
		if err != nil {
			return fmt.Errorf("lock report %s: %w", a.ReportID, err)
		}
		if len(locked) == 0 || !ReportVisible(id, locked[0]) {
			return whistle.ErrNotFound
		}
		r := locked[0]
		if r.ReportedByRole != id.Role || r.ReportedByID != id.Subject {
			return fmt.Errorf("only the reporter adds photos to a report: %w", whistle.ErrPermissionDenied)
		}
		if a.Stage != StageReport {
			return invalid.Field("attachment.stage", "must be report")
		}
		if r.Status != string(reports.StatusReceived) {
			return &whistlestatus.StateError{Status: whistlestatus.Status("report " + r.Status), Reason: "photos are added while the report waits for triage"}
		}
		if a.CheckOnly {
			saved = store.ReportAttachment{ReportID: r.ID}
			return nil
		}
		if a.Problems != nil {
			return a.Problems
		}
		if existing, err := q.GetReportAttachment(ctx, store.GetReportAttachmentParams{ReportID: r.ID, AttachmentID: a.ID}); err == nil {
			saved = existing // added before: the retry changes nothing
			return nil
		}
		n, err := q.CountReportAttachments(ctx, r.ID)
		if err != nil {
			return fmt.Errorf("count attachments of report %s: %w", r.ID, err)
		}
		if n >= MaxReportAttachments {
			return invalid.Field("attachment", fmt.Sprintf("a report holds at most %d attachments", MaxReportAttachments))
		}
		row := store.InsertReportAttachmentParams{
			AttachmentID: a.ID, ReportID: r.ID, MediaType: a.MediaType, SizeBytes: a.SizeBytes,
			Sha256: a.Sha256, StoredSha256: a.StoredSha256, Width: a.Width, Height: a.Height,
			HasThumbnail: a.HasThumbnail, FileName: a.FileName, ActorRole: id.Role, ActorID: id.Subject,
			AddedAt: s.Now(),
		}
		if a.Exif != nil {
			row.ExifLat = pgtype.Float8{Float64: a.Exif.Lat, Valid: true}
			row.ExifLng = pgtype.Float8{Float64: a.Exif.Lng, Valid: true}
		}
		inserted, err := q.InsertReportAttachment(ctx, row)
		if err != nil {
			return fmt.Errorf("add attachment to report %s: %w", r.ID, err)
		}
		if inserted == 0 { // the id belongs to another report
			return invalid.Field("attachment.id", "is already used")
		}
		saved = store.ReportAttachment(row)
		return nil
	})
	return saved, err
}

// GetReportAttachment is one attachment of a report the caller may read.
// variantProblem is what the API found wrong with the variant asked for
// (nil when nothing), reported once the report is in scope.
func (s *Service) GetReportAttachment(ctx context.Context, id auth.Identity, reportID, attachmentID string, variantProblem error) (store.ReportAttachment, error) {
	if err := readsReports(id); err != nil {
		return store.ReportAttachment{}, err
	}
	q := store.New(s.Pool)
	r, err := q.GetReport(ctx, reportID)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !ReportVisible(id, r)) {
		return store.ReportAttachment{}, whistle.ErrNotFound
	}
	if err != nil {
		return store.ReportAttachment{}, fmt.Errorf("get report %s: %w", reportID, err)
	}
	if variantProblem != nil {
		return store.ReportAttachment{}, variantProblem
	}
	a, err := q.GetReportAttachment(ctx, store.GetReportAttachmentParams{ReportID: r.ID, AttachmentID: attachmentID})
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ReportAttachment{}, whistle.ErrNotFound
	}
	if err != nil {
		return store.ReportAttachment{}, fmt.Errorf("attachment %s of report %s: %w", attachmentID, r.ID, err)
	}
	return a, nil
}
