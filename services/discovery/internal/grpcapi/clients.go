package grpcapi

import (
	"context"
	"fmt"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/invalid"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/discovery/internal/discovery"
	"github.com/chuishao/whistle/services/discovery/internal/whistle"
)

// IdempotencyKeyHeader is the gRPC metadata key that makes a raise
// idempotent at intake.
const IdempotencyKeyHeader = "idempotency-key"

// residentTokenTTL is how long a resident token discovery signs for one call lives.
const residentTokenTTL = time.Minute

// Whistles is discovery.Whistles over intake's gRPC API, as any client
// uses it: a raise and a read go with the caller's own token (the
// connection forwards it), a resident's answer with a resident token signed
// by discovery's follow-up key (Resident).
type Whistles struct {
	Intake intakev1.IntakeServiceClient
	// Resident signs the resident tokens; nil refuses residents' answers.
	Resident *auth.Signer
	Clock    clock.Clock
}

// Raise raises the whistle at intake for the calling street, with the key.
func (w Whistles) Raise(ctx context.Context, _ auth.Identity, req *intakev1.RaiseWhistleRequest, key string) (*intakev1.Whistle, error) {
	ctx = metadata.AppendToOutgoingContext(ctx, IdempotencyKeyHeader, key)
	out, err := w.Intake.RaiseWhistle(ctx, req)
	return out, whistleErr(err)
}

// Get reads the whistle at intake as the caller may.
func (w Whistles) Get(ctx context.Context, _ auth.Identity, whistleID string) (*intakev1.Whistle, error) {
	out, err := w.Intake.GetWhistle(ctx, &intakev1.GetWhistleRequest{Id: whistleID})
	return out, whistleErr(err)
}

// Reopen is a resident's "not fixed".
func (w Whistles) Reopen(ctx context.Context, whistleID string, actor *typesv1.Actor, reason string) error {
	ctx, err := w.asResident(ctx, actor)
	if err != nil {
		return err
	}
	_, err = w.Intake.ReopenWhistle(ctx, &intakev1.ReopenWhistleRequest{Id: whistleID, Reason: reason})
	return whistleErr(err)
}

// Close is a resident's "fixed", with the rating.
func (w Whistles) Close(ctx context.Context, whistleID string, actor *typesv1.Actor, satisfaction int32, comment string) error {
	ctx, err := w.asResident(ctx, actor)
	if err != nil {
		return err
	}
	_, err = w.Intake.SubmitFeedback(ctx, &intakev1.SubmitFeedbackRequest{Id: whistleID, Satisfaction: satisfaction, Comment: comment})
	return whistleErr(err)
}

// asResident is ctx calling as the resident actor: role:id as the subject.
func (w Whistles) asResident(ctx context.Context, actor *typesv1.Actor) (context.Context, error) {
	if w.Resident == nil {
		return nil, fmt.Errorf("no follow-up key to answer for a resident: %w", whistle.ErrUnavailable)
	}
	token, err := w.Resident.Sign(auth.Identity{Role: auth.RoleResident, Subject: actor.GetRole() + ":" + actor.GetId()},
		w.Clock.Now(), residentTokenTTL)
	if err != nil {
		return nil, fmt.Errorf("sign resident token: %w", err)
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token), nil
}

// whistleErr keeps intake's answer for the caller, a missing whistle as the
// use cases' ErrNotFound.
func whistleErr(err error) error {
	switch status.Code(err) {
	case codes.OK:
		return nil
	case codes.NotFound:
		return whistle.ErrNotFound
	case codes.Unavailable, codes.DeadlineExceeded:
		return fmt.Errorf("intake: %w: %w", whistle.ErrUnavailable, err)
	}
	return err
}

// References is discovery.References on routing's gRPC API (the caller's
// token is forwarded), its streets and categories remembered as intake
// remembers them for a raise.
type References struct {
	Routing routingv1.RoutingServiceClient

	streets    *lru.Cache[string, string]
	categories *lru.Cache[string, struct{}]
}

// NewReferences is References on routing, remembering up to 4096 streets and categories.
func NewReferences(routing routingv1.RoutingServiceClient) *References {
	streets, _ := lru.New[string, string](4096)
	categories, _ := lru.New[string, struct{}](4096)
	return &References{Routing: routing, streets: streets, categories: categories}
}

var _ discovery.References = (*References)(nil)
var _ discovery.Whistles = Whistles{}

// District checks the street and the category and gives the street's district.
func (r *References) District(ctx context.Context, streetID, category string) (string, error) {
	var f invalid.Violations
	district, found := r.streets.Get(streetID)
	if !found {
		street, err := r.Routing.GetStreet(ctx, &routingv1.GetStreetRequest{Id: streetID})
		switch status.Code(err) {
		case codes.OK:
			if district = street.GetDistrictId(); district == "" {
				return "", fmt.Errorf("street %s has no district: %w", streetID, whistle.ErrUnavailable)
			}
			r.streets.Add(streetID, district)
		case codes.NotFound:
			f.Add("street_id", "unknown street")
		default:
			return "", fmt.Errorf("look up street %s: %w: %w", streetID, whistle.ErrUnavailable, err)
		}
	}
	if _, found := r.categories.Get(category); !found {
		known, err := r.CategoryKnown(ctx, category)
		if err != nil {
			return "", err
		}
		if !known {
			f.Add("category", "unknown category")
		}
	}
	if err := f.Err(); err != nil {
		return "", err
	}
	return district, nil
}

// Street is a street (nil when routing does not know it).
func (r *References) Street(ctx context.Context, id string) (*routingv1.Street, error) {
	st, err := r.Routing.GetStreet(ctx, &routingv1.GetStreetRequest{Id: id})
	switch status.Code(err) {
	case codes.OK:
		return st, nil
	case codes.NotFound:
		return nil, nil
	}
	return nil, fmt.Errorf("look up street %s: %w: %w", id, whistle.ErrUnavailable, err)
}

// CategoryKnown tells whether routing's catalogue has the category.
func (r *References) CategoryKnown(ctx context.Context, code string) (bool, error) {
	_, err := r.Routing.GetCategory(ctx, &routingv1.GetCategoryRequest{Code: code})
	switch status.Code(err) {
	case codes.OK:
		r.categories.Add(code, struct{}{})
		return true, nil
	case codes.NotFound:
		return false, nil
	}
	return false, fmt.Errorf("look up category %s: %w: %w", code, whistle.ErrUnavailable, err)
}
