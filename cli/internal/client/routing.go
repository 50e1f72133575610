package client

import (
	"context"
	"net/http"
	"net/url"

	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

// ListCategories is GET /v1/categories.
func (c *Client) ListCategories(ctx context.Context) (*routingv1.ListCategoriesResponse, []byte, error) {
	return send[routingv1.ListCategoriesResponse](ctx, c, http.MethodGet, "/v1/categories", nil, nil)
}

// ListDistricts is GET /v1/districts.
func (c *Client) ListDistricts(ctx context.Context) (*routingv1.ListDistrictsResponse, []byte, error) {
	return send[routingv1.ListDistrictsResponse](ctx, c, http.MethodGet, "/v1/districts", nil, nil)
}

// ListStreets is GET /v1/streets, optionally of one district.
func (c *Client) ListStreets(ctx context.Context, district string) (*routingv1.ListStreetsResponse, []byte, error) {
	q := url.Values{}
	setIf(q, "district", district)
	return send[routingv1.ListStreetsResponse](ctx, c, http.MethodGet, "/v1/streets", q, nil)
}

// GetStreet is GET /v1/streets/{id}.
func (c *Client) GetStreet(ctx context.Context, streetID string) (*routingv1.Street, []byte, error) {
	return send[routingv1.Street](ctx, c, http.MethodGet, "/v1/streets/"+id(streetID), nil, nil)
}

// ListDepartments is GET /v1/departments.
func (c *Client) ListDepartments(ctx context.Context) (*routingv1.ListDepartmentsResponse, []byte, error) {
	return send[routingv1.ListDepartmentsResponse](ctx, c, http.MethodGet, "/v1/departments", nil, nil)
}

// SaveDepartment is PUT /v1/departments/{code}: adds or renames a department (admins).
func (c *Client) SaveDepartment(ctx context.Context, req *routingv1.SaveDepartmentRequest) (*routingv1.Department, []byte, error) {
	return send[routingv1.Department](ctx, c, http.MethodPut, "/v1/departments/"+id(req.GetCode()), nil, req)
}

// ListArbitrations is GET /v1/arbitrations (审定 queue).
func (c *Client) ListArbitrations(ctx context.Context, q url.Values) (*routingv1.ListArbitrationsResponse, []byte, error) {
	return send[routingv1.ListArbitrationsResponse](ctx, c, http.MethodGet, "/v1/arbitrations", q, nil)
}

// DecideArbitration is POST /v1/arbitrations/{id}:decide.
func (c *Client) DecideArbitration(ctx context.Context, arbitrationID string, req *routingv1.DecideArbitrationRequest) (*routingv1.Arbitration, []byte, error) {
	return send[routingv1.Arbitration](ctx, c, http.MethodPost, "/v1/arbitrations/"+id(arbitrationID)+":decide", nil, req)
}

// ExplainRouting is GET /v1/whistles/{id}/routing: why these departments.
func (c *Client) ExplainRouting(ctx context.Context, whistleID string) (*routingv1.RoutingExplanation, []byte, error) {
	return send[routingv1.RoutingExplanation](ctx, c, http.MethodGet, "/v1/whistles/"+id(whistleID)+"/routing", nil, nil)
}

// AddDepartment is POST /v1/whistles/{id}:addDepartment (增派部门).
func (c *Client) AddDepartment(ctx context.Context, whistleID, department, reason string) (*routingv1.RoutingExplanation, []byte, error) {
	return send[routingv1.RoutingExplanation](ctx, c, http.MethodPost, "/v1/whistles/"+id(whistleID)+":addDepartment", nil,
		&routingv1.AddDepartmentRequest{Department: department, Reason: reason})
}

// ConfirmLocation is POST /v1/whistles/{id}:confirmLocation (位置确认).
func (c *Client) ConfirmLocation(ctx context.Context, whistleID, note string) (*routingv1.RoutingExplanation, []byte, error) {
	return send[routingv1.RoutingExplanation](ctx, c, http.MethodPost, "/v1/whistles/"+id(whistleID)+":confirmLocation", nil,
		&routingv1.ConfirmLocationRequest{Note: note})
}

// GetCatalogue is GET /v1/catalogue (version "draft", a version, or empty for the one in force).
func (c *Client) GetCatalogue(ctx context.Context, version string) (*routingv1.Catalogue, []byte, error) {
	q := url.Values{}
	setIf(q, "version", version)
	return send[routingv1.Catalogue](ctx, c, http.MethodGet, "/v1/catalogue", q, nil)
}

// DiffCatalogue is GET /v1/catalogue:diff.
func (c *Client) DiffCatalogue(ctx context.Context, fromVersion, toVersion string) (*routingv1.DiffCatalogueResponse, []byte, error) {
	q := url.Values{}
	setIf(q, "from_version", fromVersion)
	setIf(q, "to_version", toVersion)
	return send[routingv1.DiffCatalogueResponse](ctx, c, http.MethodGet, "/v1/catalogue:diff", q, nil)
}

// PublishCatalogue is POST /v1/catalogue/draft:publish.
func (c *Client) PublishCatalogue(ctx context.Context, req *routingv1.PublishCatalogueRequest) (*routingv1.Catalogue, []byte, error) {
	return send[routingv1.Catalogue](ctx, c, http.MethodPost, "/v1/catalogue/draft:publish", nil, req)
}

// ImportBoundaries is POST /v1/boundaries:import with a GeoJSON file.
func (c *Client) ImportBoundaries(ctx context.Context, q url.Values, data []byte) (*routingv1.BoundaryImport, []byte, error) {
	out := &routingv1.BoundaryImport{}
	raw, err := c.upload(ctx, "/v1/boundaries:import", q, "application/geo+json", data, out)
	return out, raw, err
}

// PublishBoundaries is POST /v1/boundaries/draft:publish.
func (c *Client) PublishBoundaries(ctx context.Context, req *routingv1.PublishBoundariesRequest) (*routingv1.BoundaryVersion, []byte, error) {
	return send[routingv1.BoundaryVersion](ctx, c, http.MethodPost, "/v1/boundaries/draft:publish", nil, req)
}

// ListBoundaryUnits is GET /v1/boundaries/units.
func (c *Client) ListBoundaryUnits(ctx context.Context, q url.Values) (*routingv1.ListBoundaryUnitsResponse, []byte, error) {
	return send[routingv1.ListBoundaryUnitsResponse](ctx, c, http.MethodGet, "/v1/boundaries/units", q, nil)
}

// ListDivisions is GET /v1/divisions.
func (c *Client) ListDivisions(ctx context.Context, q url.Values) (*routingv1.ListDivisionsResponse, []byte, error) {
	return send[routingv1.ListDivisionsResponse](ctx, c, http.MethodGet, "/v1/divisions", q, nil)
}

// SavePropertyCompany is PUT /v1/property-companies/{code}.
func (c *Client) SavePropertyCompany(ctx context.Context, code string, req *routingv1.SavePropertyCompanyRequest) (*routingv1.PropertyCompany, []byte, error) {
	return send[routingv1.PropertyCompany](ctx, c, http.MethodPut, "/v1/property-companies/"+id(code), nil, req)
}

// ListPropertyCompanies is GET /v1/property-companies.
func (c *Client) ListPropertyCompanies(ctx context.Context, district string) (*routingv1.ListPropertyCompaniesResponse, []byte, error) {
	q := url.Values{}
	setIf(q, "district", district)
	return send[routingv1.ListPropertyCompaniesResponse](ctx, c, http.MethodGet, "/v1/property-companies", q, nil)
}

// UpdateCatalogueDraft is PUT /v1/catalogue/draft: the draft's rules, whole (admins).
func (c *Client) UpdateCatalogueDraft(ctx context.Context, req *routingv1.UpdateCatalogueDraftRequest) (*routingv1.Catalogue, []byte, error) {
	return send[routingv1.Catalogue](ctx, c, http.MethodPut, "/v1/catalogue/draft", nil, req)
}

// LocateStreet is POST /v1/streets/{id}:locate: whether a point is in the street (辖区核验).
func (c *Client) LocateStreet(ctx context.Context, req *routingv1.LocateStreetRequest) (*routingv1.Jurisdiction, []byte, error) {
	return send[routingv1.Jurisdiction](ctx, c, http.MethodPost, "/v1/streets/"+id(req.GetStreetId())+":locate", nil, req)
}

// RenameStreet is PATCH /v1/streets/{id} (admins).
func (c *Client) RenameStreet(ctx context.Context, req *routingv1.RenameStreetRequest) (*routingv1.Street, []byte, error) {
	return send[routingv1.Street](ctx, c, http.MethodPatch, "/v1/streets/"+id(req.GetId()), nil, req)
}
