package discovery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/geo/coordsys"
	"github.com/chuishao/whistle/platform/invalid"
	"github.com/chuishao/whistle/platform/whistlestatus"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/discovery/internal/events"
	"github.com/chuishao/whistle/services/discovery/internal/reports"
	"github.com/chuishao/whistle/services/discovery/internal/store"
	"github.com/chuishao/whistle/services/discovery/internal/whistle"
)

// maxTriage bounds the reports of one triage.
const maxTriage = 100

// Triage is the street's decision on reports of its inbox: Action is one of
// the report triages (HANDLE_LOCALLY, MERGE, BLOW_WHISTLE, REJECT) by name.
type Triage struct {
	ReportIDs []string
	Action    string
	// Result is the report's result when handled locally or rejected.
	Result string
	// WhistleID is the open whistle to merge into.
	WhistleID string
	// Whistle is what the street says of the whistle it blows (what it
	// leaves out is filled from the reports).
	Whistle *intakev1.RaiseWhistleRequest
}

// Triaged is the triaged reports and the whistle they went into, if any.
type Triaged struct {
	Reports []store.Report
	Whistle *intakev1.Whistle
}

// Triage handles reports locally, merges them into an open whistle of the
// street, blows the whistle on them, or rejects them (不予受理) with the
// reason as their result.
func (s *Service) Triage(ctx context.Context, id auth.Identity, in Triage) (Triaged, error) {
	if id.Role != auth.RoleStreet {
		return Triaged{}, fmt.Errorf("only the street triages its reports: %w", whistle.ErrPermissionDenied)
	}
	ids := slices.Clone(in.ReportIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var f invalid.Violations
	switch {
	case len(ids) == 0:
		f.Add("report_ids", "at least one report is required")
	case len(ids) > maxTriage:
		f.Add("report_ids", fmt.Sprintf("at most %d reports at once", maxTriage))
	}
	switch in.Action {
	case reports.TriageLocal, reports.TriageReject:
		reports.ValidateResult(&f, in.Result)
	case reports.TriageMerge:
		if in.WhistleID == "" {
			f.Add("whistle_id", "is required to merge")
		}
	case reports.TriageWhistle:
	default:
		f.Add("action", "must be HANDLE_LOCALLY, MERGE, BLOW_WHISTLE or REJECT")
	}
	if err := f.Err(); err != nil {
		return Triaged{}, err
	}
	// Every report must be the street's and still in its inbox (or already
	// triaged this very way: the same request again answers the same).
	rows, err := store.New(s.Pool).GetReports(ctx, ids)
	if err != nil {
		return Triaged{}, fmt.Errorf("read reports: %w", err)
	}
	if len(rows) != len(ids) || slices.ContainsFunc(rows, func(r store.Report) bool { return r.StreetID != id.StreetID }) {
		return Triaged{}, whistle.ErrNotFound
	}

	var out Triaged
	switch in.Action {
	case reports.TriageMerge:
		w, err := s.Whistles.Get(ctx, id, in.WhistleID)
		if err != nil {
			return Triaged{}, err
		}
		if w.GetStreetId() != id.StreetID {
			return Triaged{}, whistle.ErrNotFound
		}
		switch whistlestatus.Status(w.GetStatus().String()) {
		case whistlestatus.Resolved, whistlestatus.Closed, whistlestatus.Cancelled:
			if !alreadyLinked(rows, w.GetId()) {
				return Triaged{}, &whistlestatus.StateError{Status: whistlestatus.Status(w.GetStatus().String()), Reason: "reports are merged into an open whistle only"}
			}
		}
		out.Whistle = w
	case reports.TriageWhistle:
		w, err := s.blow(ctx, id, rows, in.Whistle)
		if err != nil {
			return Triaged{}, err
		}
		out.Whistle = w
	}
	whistleID := out.Whistle.GetId()

	err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		if err := remember(ctx, q, out.Whistle); err != nil {
			return err
		}
		locked, err := q.LockReports(ctx, ids)
		if err != nil {
			return fmt.Errorf("lock reports: %w", err)
		}
		now := s.Now()
		at := pgtype.Timestamptz{Time: now, Valid: true}
		actor := actorOf(id)
		for _, r := range locked {
			if r.Status != string(reports.StatusReceived) {
				if r.Triage == in.Action && (whistleID == "" || r.WhistleID == whistleID) {
					out.Reports = append(out.Reports, r) // triaged this way already
					continue
				}
				return &whistlestatus.StateError{Status: whistlestatus.Status("report " + r.Status), Reason: "report " + r.ID + " was triaged already"}
			}
			r.Triage, r.TriagedAt = in.Action, at
			if whistleID != "" {
				r.Status, r.WhistleID = string(reports.StatusInProgress), whistleID
			} else {
				r.Status, r.Result, r.ClosedAt = string(reports.StatusClosed), in.Result, at
			}
			updated, err := q.UpdateReport(ctx, r.UpdateParams())
			if err != nil {
				return fmt.Errorf("triage report %s: %w", r.ID, err)
			}
			out.Reports = append(out.Reports, updated)
			if err := s.triaged(ctx, tx, now, actor, updated); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Triaged{}, err
	}
	return out, nil
}

// triaged writes the events of a report just triaged: report.triaged, and
// for one closed by it report.closed and what the hotline is told.
func (s *Service) triaged(ctx context.Context, tx pgx.Tx, now time.Time, actor *typesv1.Actor, r store.Report) error {
	pr := s.proto(r)
	if err := outbox.Add(ctx, tx, events.ReportTriaged(now, actor, pr)); err != nil {
		return err
	}
	if r.Status != string(reports.StatusClosed) {
		return nil
	}
	if err := outbox.Add(ctx, tx, events.ReportClosed(now, actor, pr)); err != nil {
		return err
	}
	return events.AddTicketReturned(ctx, tx, now, actor, r)
}

func alreadyLinked(rows []store.Report, whistleID string) bool {
	for _, r := range rows {
		if r.WhistleID != whistleID {
			return false
		}
	}
	return true
}

// blow raises the whistle on reports as the street, so it is checked,
// de-duplicated and routed like any other. Its idempotency key is made of
// the report ids, so triaging the same reports again (say after a failure
// between the raise and the link) raises no second whistle.
//
// What the street leaves out of the whistle is filled from the reports, but
// only from its own staff's (grid workers', the street's): a resident's or a
// hotline caller's words, address and exact point stay in the street's inbox.
// Their reports are named by id, and a resident's point is rounded to
// staffGridDegrees, near enough for a department to find the spot.
func (s *Service) blow(ctx context.Context, id auth.Identity, rows []store.Report, w *intakev1.RaiseWhistleRequest) (*intakev1.Whistle, error) {
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
			req.Location = &typesv1.LatLng{Lat: rows[staff].Lat, Lng: rows[staff].Lng}
		} else {
			req.Location = &typesv1.LatLng{Lat: roundTo(first.Lat, staffGridDegrees), Lng: roundTo(first.Lng, staffGridDegrees)}
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
		req.Description = truncate(strings.Join(parts, "\n"), whistle.MaxDescription)
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	sum := sha256.Sum256([]byte(strings.Join(ids, ",")))
	return s.Whistles.Raise(ctx, id, req, "reports:"+hex.EncodeToString(sum[:16]))
}

// staffGridDegrees is the grid a resident's point is rounded to in a
// whistle: 0.001° is about 110 m north-south and 85 m east-west in Beijing.
const staffGridDegrees = 0.001

func roundTo(v, step float64) float64 { return math.Round(v/step) * step }

// byStaff tells whether a report is the street's own staff's (a grid
// worker's or the street's), whose words may go into a whistle.
func byStaff(r store.Report) bool {
	return r.Source == string(reports.SourceGrid) || r.Source == string(reports.SourceStreet)
}
