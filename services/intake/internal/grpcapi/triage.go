package grpcapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/geo/coordsys"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"

	"github.com/chuishao/whistle/services/intake/internal/events"
	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/reports"
	"github.com/chuishao/whistle/services/intake/internal/store"
)

// maxTriage bounds the reports of one triage.
const maxTriage = 100

// TriageReports handles reports locally, merges them into an open whistle of
// the street, blows the whistle on them, or rejects them (不予受理) with the
// reason as their result.
func (s *ReportServer) TriageReports(ctx context.Context, req *intakev1.TriageReportsRequest) (*intakev1.TriageReportsResponse, error) {
	return handle(ctx, s.Whistles, req, s.triage)
}

func (s *ReportServer) triage(ctx context.Context, id auth.Identity, req *intakev1.TriageReportsRequest) (*intakev1.TriageReportsResponse, error) {
	if id.Role != auth.RoleStreet {
		return nil, fmt.Errorf("only the street triages its reports: %w", intake.ErrPermissionDenied)
	}
	ids := slices.Clone(req.GetReportIds())
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var f intake.Fields
	switch {
	case len(ids) == 0:
		f.Add("report_ids", "at least one report is required")
	case len(ids) > maxTriage:
		f.Add("report_ids", fmt.Sprintf("at most %d reports at once", maxTriage))
	}
	switch req.GetAction() {
	case intakev1.Report_HANDLE_LOCALLY, intakev1.Report_REJECT:
		reports.ValidateResult(&f, req.GetResult())
	case intakev1.Report_MERGE:
		if req.GetWhistleId() == "" {
			f.Add("whistle_id", "is required to merge")
		}
	case intakev1.Report_BLOW_WHISTLE:
	default:
		f.Add("action", "must be HANDLE_LOCALLY, MERGE, BLOW_WHISTLE or REJECT")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	// Every report must be the street's and still in its inbox (or already
	// triaged this very way: the same request again answers the same).
	rows, err := store.New(s.Whistles.Pool).GetReports(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read reports: %w", err)
	}
	if len(rows) != len(ids) || slices.ContainsFunc(rows, func(r store.Report) bool { return r.StreetID != id.StreetID }) {
		return nil, intake.ErrNotFound
	}

	var whistle *intakev1.Whistle
	whistleID := ""
	switch req.GetAction() {
	case intakev1.Report_MERGE:
		w, err := s.Whistles.get(ctx, req.GetWhistleId())
		if err != nil {
			return nil, err
		}
		if w.GetStreetId() != id.StreetID {
			return nil, intake.ErrNotFound
		}
		switch intake.Status(w.GetStatus().String()) {
		case intake.StatusResolved, intake.StatusClosed, intake.StatusCancelled:
			if !alreadyLinked(rows, w.GetId()) {
				return nil, &intake.StateError{Status: intake.Status(w.GetStatus().String()), Reason: "reports are merged into an open whistle only"}
			}
		}
		whistle, whistleID = w, w.GetId()
	case intakev1.Report_BLOW_WHISTLE:
		w, err := s.blow(ctx, rows, req.GetWhistle())
		if err != nil {
			return nil, err
		}
		whistle, whistleID = w, w.GetId()
	}

	var saved []store.Report
	err = pgx.BeginFunc(ctx, s.Whistles.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		locked, err := q.LockReports(ctx, ids)
		if err != nil {
			return fmt.Errorf("lock reports: %w", err)
		}
		now := s.Whistles.now()
		at := pgtype.Timestamptz{Time: now, Valid: true}
		actor := actorOf(id)
		for _, r := range locked {
			action := req.GetAction().String()
			if r.Status != string(reports.StatusReceived) {
				if r.Triage == action && (whistleID == "" || r.WhistleID == whistleID) {
					saved = append(saved, r) // triaged this way already
					continue
				}
				return &intake.StateError{Status: intake.Status("report " + r.Status), Reason: "report " + r.ID + " was triaged already"}
			}
			r.Triage, r.TriagedAt = action, at
			if whistleID != "" {
				r.Status, r.WhistleID = string(reports.StatusInProgress), whistleID
			} else {
				r.Status, r.Result, r.ClosedAt = string(reports.StatusClosed), req.GetResult(), at
			}
			updated, err := q.UpdateReport(ctx, r.UpdateParams())
			if err != nil {
				return fmt.Errorf("triage report %s: %w", r.ID, err)
			}
			saved = append(saved, updated)
			pr := s.proto(updated)
			if err := outbox.Add(ctx, tx, events.ReportTriaged(now, actor, pr)); err != nil {
				return err
			}
			if updated.Status == string(reports.StatusClosed) {
				if err := outbox.Add(ctx, tx, events.ReportClosed(now, actor, pr)); err != nil {
					return err
				}
				if err := events.AddTicketReturned(ctx, tx, now, actor, updated); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &intakev1.TriageReportsResponse{Whistle: whistle}
	for _, r := range saved {
		out.Reports = append(out.Reports, s.proto(r))
	}
	return out, nil
}

func alreadyLinked(rows []store.Report, whistleID string) bool {
	for _, r := range rows {
		if r.WhistleID != whistleID {
			return false
		}
	}
	return true
}

// blow raises the whistle on reports through the street's own raise, so it
// is checked, de-duplicated and routed like any other. Its idempotency key
// is made of the report ids, so triaging the same reports again (say after a
// failure between the raise and the link) raises no second whistle.
//
// What the street leaves out of the whistle is filled from the reports, but
// only from its own staff's (grid workers', the street's): a resident's or a
// hotline caller's words, address and exact point stay in the street's inbox.
// Their reports are named by id, and a resident's point is rounded to
// staffGridDegrees, near enough for a department to find the spot.
func (s *ReportServer) blow(ctx context.Context, rows []store.Report, w *intakev1.RaiseWhistleRequest) (*intakev1.Whistle, error) {
	first := rows[0]
	req := proto.Clone(w).(*intakev1.RaiseWhistleRequest)
	if req == nil {
		req = &intakev1.RaiseWhistleRequest{}
	}
	if req.StreetId == "" {
		req.StreetId = first.StreetID
	}
	if req.Category == "" {
		req.Category = first.Category
	}
	staff := slices.IndexFunc(rows, byStaff)
	if req.Location == nil {
		// The reports' points are stored in WGS-84 already.
		req.CoordSys = string(coordsys.WGS84)
		if staff >= 0 {
			req.Location = events.ReportProto(rows[staff], s.Whistles.now()).GetLocation()
		} else {
			req.Location = roundTo(events.ReportProto(first, s.Whistles.now()).GetLocation(), staffGridDegrees)
		}
	}
	if req.Address == "" && staff >= 0 {
		req.Address = rows[staff].Address
	}
	if req.Description == "" {
		var parts []string
		for _, r := range rows {
			if byStaff(r) {
				parts = append(parts, r.Description)
			} else {
				parts = append(parts, fmt.Sprintf("居民报告 %s，详见街道收件箱 (a resident's report: see the street's inbox)", r.ID))
			}
		}
		req.Description = truncate(strings.Join(parts, "\n"), intake.MaxDescription)
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	sum := sha256.Sum256([]byte(strings.Join(ids, ",")))
	md, _ := metadata.FromIncomingContext(ctx)
	md = md.Copy()
	md.Set(IdempotencyKeyHeader, "reports:"+hex.EncodeToString(sum[:16]))
	return s.Whistles.raise(metadata.NewIncomingContext(ctx, md), req)
}

// staffGridDegrees is the grid a resident's point is rounded to in a
// whistle: 0.001° is about 110 m north-south and 85 m east-west in Beijing.
const staffGridDegrees = 0.001

// byStaff tells whether a report is the street's own staff's (a grid
// worker's or the street's), whose words may go into a whistle.
func byStaff(r store.Report) bool {
	return r.Source == string(reports.SourceGrid) || r.Source == string(reports.SourceStreet)
}

func truncate(s string, runes int) string {
	r := []rune(s)
	if len(r) <= runes {
		return s
	}
	return string(r[:runes])
}
