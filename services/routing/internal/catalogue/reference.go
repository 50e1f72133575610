// Package catalogue is routing's use cases about its reference data: the
// districts, streets, departments and categories; the routing catalogue's
// draft, versions and their differences; the boundary files, their versions
// and units, the official divisions and the supervisors' district map; and the
// communities' property companies. Every edit runs through postgres.InTx, so
// it commits with its audit record (the audit interceptor's transaction).
package catalogue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

// Service reads and edits routing's reference data.
type Service struct {
	Pool  *pgxpool.Pool
	Clock clock.Clock
	Log   *slog.Logger
}

func (s *Service) q() *store.Queries { return store.New(s.Pool) }

func (s *Service) now() pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: s.Clock.Now(), Valid: true}
}

// notFound turns pgx.ErrNoRows into the domain's ErrNotFound.
func notFound(err error, what, id string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s %q: %w", what, id, routing.ErrNotFound)
	}
	return fmt.Errorf("get %s %s: %w", what, id, err)
}

// Districts are every district.
func (s *Service) Districts(ctx context.Context) ([]store.District, error) {
	rows, err := s.q().ListDistricts(ctx)
	if err != nil {
		return nil, fmt.Errorf("list districts: %w", err)
	}
	return rows, nil
}

// Streets are the streets with their boundaries in force, of one district
// unless district is "".
func (s *Service) Streets(ctx context.Context, district string) ([]store.ListStreetsRow, error) {
	rows, err := s.q().ListStreets(ctx, district)
	if err != nil {
		return nil, fmt.Errorf("list streets of %q: %w", district, err)
	}
	return rows, nil
}

// Street is one street with its boundary in force.
func (s *Service) Street(ctx context.Context, id string) (store.ListStreetsRow, error) {
	r, err := s.q().GetStreet(ctx, id)
	if err != nil {
		return store.ListStreetsRow{}, notFound(err, "street", id)
	}
	return store.ListStreetsRow(r), nil
}

// Departments are every department.
func (s *Service) Departments(ctx context.Context) ([]store.Department, error) {
	rows, err := s.q().ListDepartments(ctx)
	if err != nil {
		return nil, fmt.Errorf("list departments: %w", err)
	}
	return rows, nil
}

// Categories are every category with its routing rule.
func (s *Service) Categories(ctx context.Context) ([]store.Category, error) {
	rows, err := s.q().ListCategories(ctx)
	if err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	return rows, nil
}

// Category is one category.
func (s *Service) Category(ctx context.Context, code string) (store.Category, error) {
	r, err := s.q().GetCategory(ctx, code)
	if err != nil {
		return r, notFound(err, "category", code)
	}
	return r, nil
}

// departmentCode is what a department's code may be: it appears in URLs,
// event subjects (dispatch.v1.<ev>.<district>.<dept>) and tokens.
var departmentCode = regexp.MustCompile(`^[a-z][a-z0-9-]{1,39}$`)

// Longest names, in characters.
const (
	maxName   = 64
	maxNameEn = 128
)

// SaveDepartment adds a department or renames one.
func (s *Service) SaveDepartment(ctx context.Context, caller auth.Identity, code, name, nameEn string) (store.Department, error) {
	var v routing.Violations
	if !departmentCode.MatchString(code) {
		v.Add("code", "must be 2 to 40 lower-case letters, digits or hyphens, beginning with a letter")
	}
	name, nameEn = checkNames(&v, name, nameEn)
	if err := v.Err(); err != nil {
		return store.Department{}, err
	}
	var row store.Department
	err := postgres.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		var err error
		row, err = store.New(tx).SaveDepartment(ctx, store.SaveDepartmentParams{
			Code: code, Name: name, NameEn: nameEn, EditedAt: s.now(), EditedBy: caller.Subject,
		})
		return err
	})
	if err != nil {
		return row, fmt.Errorf("save department %s: %w", code, err)
	}
	return row, nil
}

// RenameStreet changes a street's names and answers the street with its
// boundary in force.
func (s *Service) RenameStreet(ctx context.Context, caller auth.Identity, id, name, nameEn string) (store.ListStreetsRow, error) {
	var v routing.Violations
	if id == "" {
		v.Add("id", "is required")
	}
	name, nameEn = checkNames(&v, name, nameEn)
	if err := v.Err(); err != nil {
		return store.ListStreetsRow{}, err
	}
	var row store.GetStreetRow
	err := postgres.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		if _, err := q.RenameStreet(ctx, store.RenameStreetParams{
			ID: id, Name: name, NameEn: nameEn, EditedAt: s.now(), EditedBy: caller.Subject,
		}); err != nil {
			return err
		}
		var err error
		row, err = q.GetStreet(ctx, id)
		return err
	})
	if err != nil {
		return store.ListStreetsRow{}, notFound(err, "street", id)
	}
	return store.ListStreetsRow(row), nil
}

// checkNames trims a Chinese and an English name and adds what is wrong with them to v.
func checkNames(v *routing.Violations, name, nameEn string) (string, string) {
	name, nameEn = strings.TrimSpace(name), strings.TrimSpace(nameEn)
	for _, f := range []struct {
		field, value string
		max          int
	}{{"name", name, maxName}, {"name_en", nameEn, maxNameEn}} {
		switch n := utf8.RuneCountInString(f.value); {
		case n == 0:
			v.Add(f.field, "is required")
		case n > f.max:
			v.Addf(f.field, "must be at most %d characters", f.max)
		case strings.ContainsAny(f.value, "\n\r\t<>"):
			v.Add(f.field, "must be one line of plain text")
		}
	}
	return name, nameEn
}
