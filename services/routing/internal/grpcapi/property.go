package grpcapi

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/rpcerr"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

var (
	communityCode = regexp.MustCompile(`^\d{12}$`)
	districtCode  = regexp.MustCompile(`^\d{6}$`)
)

// SavePropertyCompany adds or renames a property company and makes it the
// property company of the communities it lists (admin only, audited). The
// jurisdiction caches of every replica see the registry's new generation
// with their next batch.
func (s *Server) SavePropertyCompany(ctx context.Context, req *routingv1.SavePropertyCompanyRequest) (*routingv1.PropertyCompany, error) {
	id, err := requireRole(ctx, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	var v rpcerr.Violations
	code := req.GetCode()
	_, committee := routing.CommunityOfCommittee(code)
	switch {
	case !departmentCode.MatchString(code):
		v.Add("code", "must be 2 to 40 lower-case letters, digits or hyphens, beginning with a letter")
	case code == routing.PropertyParty || code == routing.CommitteeParty || strings.HasPrefix(code, "cc-") || committee:
		v.Add("code", "%q is reserved for the community parties' desks", code)
	}
	name, nameEn := checkNames(&v, req.GetName(), req.GetNameEn())
	seen := map[string]int{}
	for i, c := range req.GetCommunityCodes() {
		f := fmt.Sprintf("community_codes[%d]", i)
		if !communityCode.MatchString(c) {
			v.Add(f, "must be a twelve-digit community code")
		} else if j, dup := seen[c]; dup {
			v.Add(f, "%s is listed twice (community_codes[%d])", c, j)
		}
		seen[c] = i
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out *routingv1.PropertyCompany
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		q := store.New(tx)
		if err := s.checkCommunities(ctx, q, req.GetCommunityCodes()); err != nil {
			return err
		}
		at := pgtype.Timestamptz{Time: s.clock.Now(), Valid: true}
		row, err := q.SavePropertyCompany(ctx, store.SavePropertyCompanyParams{
			Code: code, Name: name, NameEn: nameEn, EditedAt: at, EditedBy: id.Subject,
		})
		if errors.Is(err, pgx.ErrNoRows) {
			return rpcerr.Invalid("code", "%q is a department's code, not a property company's", code)
		}
		if err != nil {
			return fmt.Errorf("save property company %s: %w", code, err)
		}
		if len(req.GetCommunityCodes()) > 0 {
			if _, err := q.AssignCommunityProperties(ctx, store.AssignCommunityPropertiesParams{
				CommunityCodes: req.GetCommunityCodes(), Department: code, RegisteredAt: at, RegisteredBy: id.Subject,
			}); err != nil {
				return fmt.Errorf("register property company %s: %w", code, err)
			}
		}
		if err := q.BumpCommunityGeneration(ctx); err != nil {
			return fmt.Errorf("register property company %s: %w", code, err)
		}
		out, err = s.propertyCompany(ctx, q, row.Code)
		return err
	})
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return out, nil
}

// checkCommunities refuses codes that are no official community, naming each.
func (s *Server) checkCommunities(ctx context.Context, q *store.Queries, codes []string) error {
	if len(codes) == 0 {
		return nil
	}
	rows, err := q.OfficialCommunities(ctx, codes)
	if err != nil {
		return fmt.Errorf("official communities: %w", err)
	}
	known := make(map[string]bool, len(rows))
	for _, r := range rows {
		known[r.Code] = true
	}
	var v rpcerr.Violations
	for i, c := range codes {
		if !known[c] {
			v.Add(fmt.Sprintf("community_codes[%d]", i), "%s is no official community (社区/村)", c)
		}
	}
	return v.Err()
}

func (s *Server) propertyCompany(ctx context.Context, q *store.Queries, code string) (*routingv1.PropertyCompany, error) {
	rows, err := q.ListPropertyCompanies(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("property companies: %w", err)
	}
	for _, r := range rows {
		if r.Code == code {
			return propertyCompanyToProto(r), nil
		}
	}
	return nil, fmt.Errorf("property company %s: %w", code, routing.ErrNotFound)
}

// ListPropertyCompanies lists the property companies (any signed-in caller:
// who serves a community is public reference data, like the departments).
func (s *Server) ListPropertyCompanies(ctx context.Context, req *routingv1.ListPropertyCompaniesRequest) (*routingv1.ListPropertyCompaniesResponse, error) {
	if err := requireCaller(ctx); err != nil {
		return nil, err
	}
	if d := req.GetDistrict(); d != "" && !districtCode.MatchString(d) {
		return nil, rpcerr.Invalid("district", "must be a six-digit district code")
	}
	rows, err := s.q.ListPropertyCompanies(ctx, req.GetDistrict())
	if err != nil {
		return nil, s.toStatus(ctx, fmt.Errorf("property companies: %w", err))
	}
	out := &routingv1.ListPropertyCompaniesResponse{Companies: make([]*routingv1.PropertyCompany, 0, len(rows))}
	for _, r := range rows {
		out.Companies = append(out.Companies, propertyCompanyToProto(r))
	}
	return out, nil
}

func propertyCompanyToProto(r store.ListPropertyCompaniesRow) *routingv1.PropertyCompany {
	return &routingv1.PropertyCompany{Code: r.Code, Name: r.Name, NameEn: r.NameEn, CommunityCodes: r.Communities}
}
