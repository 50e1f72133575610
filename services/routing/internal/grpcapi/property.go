package grpcapi

import (
	"context"

	"github.com/chuishao/whistle/platform/auth"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	"github.com/chuishao/whistle/services/routing/internal/catalogue"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

// SavePropertyCompany adds or renames a property company and makes it the
// property company of the communities it lists (admin only, audited).
func (s *Server) SavePropertyCompany(ctx context.Context, req *routingv1.SavePropertyCompanyRequest) (*routingv1.PropertyCompany, error) {
	id, err := requireRole(ctx, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	row, err := s.catalogue.SavePropertyCompany(ctx, id, catalogue.PropertyCompany{
		Code: req.GetCode(), Name: req.GetName(), NameEn: req.GetNameEn(), Communities: req.GetCommunityCodes(),
	})
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return propertyCompanyToProto(row), nil
}

// ListPropertyCompanies lists the property companies (any signed-in caller:
// who serves a community is public reference data, like the departments).
func (s *Server) ListPropertyCompanies(ctx context.Context, req *routingv1.ListPropertyCompaniesRequest) (*routingv1.ListPropertyCompaniesResponse, error) {
	if err := requireCaller(ctx); err != nil {
		return nil, err
	}
	rows, err := s.catalogue.PropertyCompanies(ctx, req.GetDistrict())
	if err != nil {
		return nil, s.toStatus(ctx, err)
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
