package whistles

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	"github.com/chuishao/whistle/services/intake/internal/intake"
)

// Found streets and categories are remembered for referenceTTL, so a raise
// does not ask routing twice over gRPC for what it answered a moment ago
// (those two look-ups were a fifth of routing's and an eighth of intake's CPU
// at 200 raises/s). What routing did not find is never remembered: a street
// or category added a moment ago is accepted at once. A category withdrawn
// from the catalogue may still be accepted for up to referenceTTL; routing
// then routes it by its fallback rule (docs/decisions.md).
const (
	referenceTTL   = 30 * time.Second
	referenceLimit = 4096
)

// references caches routing's answers about streets and categories.
type references struct {
	once       sync.Once
	streets    *expirable.LRU[string, string] // street id → district id
	categories *expirable.LRU[string, struct{}]
}

func (r *references) init() {
	r.once.Do(func() {
		r.streets = expirable.NewLRU[string, string](referenceLimit, nil, referenceTTL)
		r.categories = expirable.NewLRU[string, struct{}](referenceLimit, nil, referenceTTL)
	})
}

// CheckReferences asks routing whether the street and the category exist, and
// returns the street's district.
func (s *Service) CheckReferences(ctx context.Context, streetID, category string) (string, error) {
	s.refs.init()
	var f intake.Fields
	district, found := s.refs.streets.Get(streetID)
	if !found {
		street, err := s.Routing.GetStreet(ctx, &routingv1.GetStreetRequest{Id: streetID})
		switch status.Code(err) {
		case codes.OK:
			if district = street.GetDistrictId(); district == "" {
				return "", fmt.Errorf("street %s has no district: %w", streetID, intake.ErrUnavailable)
			}
			s.refs.streets.Add(streetID, district)
		case codes.NotFound:
			f.Add("street_id", "unknown street")
		default:
			return "", fmt.Errorf("look up street %s: %w: %w", streetID, intake.ErrUnavailable, err)
		}
	}
	if _, found := s.refs.categories.Get(category); !found {
		_, err := s.Routing.GetCategory(ctx, &routingv1.GetCategoryRequest{Code: category})
		switch status.Code(err) {
		case codes.OK:
			s.refs.categories.Add(category, struct{}{})
		case codes.NotFound:
			f.Add("category", "unknown category")
		default:
			return "", fmt.Errorf("look up category %s: %w: %w", category, intake.ErrUnavailable, err)
		}
	}
	if err := f.Err(); err != nil {
		return "", err
	}
	return district, nil
}
