package grpcapi

import (
	"context"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/rpcerr"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

// departmentCode is what a department's code may be: it appears in URLs,
// event subjects (dispatch.v1.<ev>.<district>.<dept>) and tokens.
var departmentCode = regexp.MustCompile(`^[a-z][a-z0-9-]{1,39}$`)

// Longest names, in characters.
const (
	maxName   = 64
	maxNameEn = 128
)

// SaveDepartment adds a department or renames one (admin only).
func (s *Server) SaveDepartment(ctx context.Context, req *routingv1.SaveDepartmentRequest) (*routingv1.Department, error) {
	id, err := requireRole(ctx, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	var v rpcerr.Violations
	if !departmentCode.MatchString(req.GetCode()) {
		v.Add("code", "must be 2 to 40 lower-case letters, digits or hyphens, beginning with a letter")
	}
	name, nameEn := checkNames(&v, req.GetName(), req.GetNameEn())
	if err := v.Err(); err != nil {
		return nil, err
	}
	row, err := s.q.SaveDepartment(ctx, store.SaveDepartmentParams{
		Code: req.GetCode(), Name: name, NameEn: nameEn, EditedAt: s.editedAt(), EditedBy: id.Subject,
	})
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &routingv1.Department{Code: row.Code, Name: row.Name, NameEn: row.NameEn, Kind: row.Kind}, nil
}

// RenameStreet changes a street's names (admin only).
func (s *Server) RenameStreet(ctx context.Context, req *routingv1.RenameStreetRequest) (*routingv1.Street, error) {
	id, err := requireRole(ctx, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	var v rpcerr.Violations
	if req.GetId() == "" {
		v.Add("id", "is required")
	}
	name, nameEn := checkNames(&v, req.GetName(), req.GetNameEn())
	if err := v.Err(); err != nil {
		return nil, err
	}
	if _, err := s.q.RenameStreet(ctx, store.RenameStreetParams{
		ID: req.GetId(), Name: name, NameEn: nameEn, EditedAt: s.editedAt(), EditedBy: id.Subject,
	}); err != nil {
		return nil, s.toStatus(ctx, notFound(err, "street", req.GetId()))
	}
	row, err := s.q.GetStreet(ctx, req.GetId()) // with its boundary in force
	if err != nil {
		return nil, s.toStatus(ctx, notFound(err, "street", req.GetId()))
	}
	st, err := streetToProto(store.ListStreetsRow(row))
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return st, nil
}

func (s *Server) editedAt() pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: s.clock.Now(), Valid: true}
}

// checkNames trims a Chinese and an English name and adds what is wrong with them to v.
func checkNames(v *rpcerr.Violations, name, nameEn string) (string, string) {
	name, nameEn = strings.TrimSpace(name), strings.TrimSpace(nameEn)
	for _, f := range []struct {
		field, value string
		max          int
	}{{"name", name, maxName}, {"name_en", nameEn, maxNameEn}} {
		switch n := utf8.RuneCountInString(f.value); {
		case n == 0:
			v.Add(f.field, "is required")
		case n > f.max:
			v.Add(f.field, "must be at most %d characters", f.max)
		case strings.ContainsAny(f.value, "\n\r\t<>"):
			v.Add(f.field, "must be one line of plain text")
		}
	}
	return name, nameEn
}
