package grpcapi

import (
	"cmp"
	"context"

	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

// Names names the codes a printed report shows: routing owns the streets
// and categories (and their names change with its reference data).
type Names interface {
	Street(ctx context.Context, id string) (string, error)
	Category(ctx context.Context, code string) (string, error)
}

// RoutingNames asks routing, with the caller's identity (every role may read
// the reference data).
type RoutingNames struct {
	Client routingv1.RoutingServiceClient
}

// Street is the street's name.
func (n RoutingNames) Street(ctx context.Context, id string) (string, error) {
	st, err := n.Client.GetStreet(ctx, &routingv1.GetStreetRequest{Id: id})
	return st.GetName(), err
}

// Category is the category's name.
func (n RoutingNames) Category(ctx context.Context, code string) (string, error) {
	c, err := n.Client.GetCategory(ctx, &routingv1.GetCategoryRequest{Code: code})
	return c.GetName(), err
}

// referenceNames are the names of a street and a category, "" for a name
// that cannot be had (no routing configured, or it failed: the report then
// prints the code rather than fail, and the failure is logged).
func (s *Server) referenceNames(ctx context.Context, street, category string) (streetName, categoryName string) {
	if s.names == nil {
		return "", ""
	}
	var err error
	if street != "" {
		if streetName, err = s.names.Street(ctx, street); err != nil {
			s.log.WarnContext(ctx, "street name for a report", "street_id", street, "error", err)
		}
	}
	if category != "" {
		if categoryName, err = s.names.Category(ctx, category); err != nil {
			s.log.WarnContext(ctx, "category name for a report", "category", category, "error", err)
		}
	}
	return streetName, categoryName
}

// nameBook names codes for one answer, asking routing once per code; a name
// that cannot be had is the code itself.
type nameBook struct {
	s                   *Server
	streets, categories map[string]string
}

func (s *Server) nameBook() *nameBook {
	return &nameBook{s: s, streets: map[string]string{}, categories: map[string]string{}}
}

func (b *nameBook) street(ctx context.Context, id string) string {
	if n, ok := b.streets[id]; ok {
		return n
	}
	n, _ := b.s.referenceNames(ctx, id, "")
	b.streets[id] = cmp.Or(n, id)
	return b.streets[id]
}

func (b *nameBook) category(ctx context.Context, code string) string {
	if n, ok := b.categories[code]; ok {
		return n
	}
	_, n := b.s.referenceNames(ctx, "", code)
	b.categories[code] = cmp.Or(n, code)
	return b.categories[code]
}
