package whistles

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/invalid"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"

	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/store"
)

// maxKeywordChars bounds a search keyword (as the proto's limit says).
const maxKeywordChars = 100

// SearchQuery is what Search is asked for; empty fields filter nothing.
type SearchQuery struct {
	RaisedFrom, RaisedTo *time.Time
	StreetID             string
	DistrictID           string
	Category             string
	Department           string
	Breached             bool
	Status               intakev1.Whistle_Status
	Urgency              intakev1.Whistle_Urgency
	Keyword              string
	PageSize             int32 // 0 for the default
	PageToken            string
}

// Search finds whistles in the caller's scope, newest first.
func (s *Service) Search(ctx context.Context, caller auth.Identity, req SearchQuery) (Page, error) {
	arg, size, err := searchArgs(caller, req)
	if err != nil {
		return Page{}, err
	}
	q := store.New(customPlans{s.Pool})
	rows, err := q.SearchWhistles(ctx, arg)
	if err != nil {
		return Page{}, fmt.Errorf("search whistles: %w", err)
	}
	// Searches and the registers made of them are the real record: drills stay out.
	return s.page(ctx, store.New(s.Pool), caller, rows, size, true)
}

// searchArgs checks req and turns it into the query's filters, the caller's
// scope first: the same scope as ListWhistles (a street: its own and its
// neighbour whistles; a supervisor: its district, or every district when it
// has none) and GetWhistle for a desk (whistles dispatched to its department
// in its district).
func searchArgs(id auth.Identity, req SearchQuery) (store.SearchWhistlesParams, int32, error) {
	var arg store.SearchWhistlesParams
	switch id.Role {
	case auth.RoleStreet:
		arg.ScopeStreet = text(id.StreetID)
	case auth.RoleSupervisor:
		arg.ScopeDistrict = text(id.DistrictID)
	case auth.RoleDesk:
		arg.ScopeDistrict, arg.ScopeDepartment = text(id.DistrictID), text(id.Department)
		if id.DistrictID == "" || id.Department == "" {
			return arg, 0, fmt.Errorf("a desk without district or department searches nothing: %w", intake.ErrPermissionDenied)
		}
	default:
		return arg, 0, fmt.Errorf("role %s searches no whistles: %w", id.Role, intake.ErrPermissionDenied)
	}

	var f invalid.Violations
	size, curAt, curID := pageArgs(&f, req.PageSize, req.PageToken)
	arg.CursorRaisedAt, arg.CursorID, arg.MaxRows = curAt, curID, size+1
	if t := req.RaisedFrom; t != nil {
		arg.RaisedFrom = pgtype.Timestamptz{Time: *t, Valid: true}
	}
	if t := req.RaisedTo; t != nil {
		arg.RaisedTo = pgtype.Timestamptz{Time: *t, Valid: true}
	}
	if arg.RaisedFrom.Valid && arg.RaisedTo.Valid && !arg.RaisedFrom.Time.Before(arg.RaisedTo.Time) {
		f.Add("raised_to", "must be after raised_from")
	}
	arg.StreetID = text(req.StreetID)
	arg.DistrictID = text(req.DistrictID)
	arg.Category = text(req.Category)
	arg.Department = text(req.Department)
	arg.Breached = req.Breached
	if st := req.Status; st != intakev1.Whistle_STATUS_UNSPECIFIED {
		if _, known := intakev1.Whistle_Status_name[int32(st)]; !known {
			f.Add("status", "is not a whistle status")
		}
		arg.Status = text(st.String())
	}
	if u := req.Urgency; u != intakev1.Whistle_URGENCY_UNSPECIFIED {
		if _, known := intakev1.Whistle_Urgency_name[int32(u)]; !known {
			f.Add("urgency", "is not an urgency")
		}
		arg.Urgency = text(u.String())
	}
	kw := strings.TrimSpace(req.Keyword)
	if utf8.RuneCountInString(kw) > maxKeywordChars {
		f.Add("keyword", fmt.Sprintf("must be at most %d characters", maxKeywordChars))
	}
	if kw != "" {
		arg.Pattern = text("%" + escapeLike(kw) + "%")
	}
	return arg, size, f.Err()
}

// text is a filter: NULL (no filter) when v is empty.
func text(v string) pgtype.Text { return pgtype.Text{String: v, Valid: v != ""} }

// escapeLike makes every character of kw stand for itself in a LIKE pattern.
var escapeLike = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace

// customPlans runs every query as an unnamed statement, planned for its
// values: the search's NULL filters fold away and the planner sees the
// keyword, which a cached generic plan of the prepared statement would not.
type customPlans struct{ store.DBTX }

func (c customPlans) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return c.DBTX.Query(ctx, sql, append([]any{pgx.QueryExecModeExec}, args...)...)
}

func (c customPlans) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return c.DBTX.QueryRow(ctx, sql, append([]any{pgx.QueryExecModeExec}, args...)...)
}

func (c customPlans) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return c.DBTX.Exec(ctx, sql, append([]any{pgx.QueryExecModeExec}, args...)...)
}
