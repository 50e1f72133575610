package signin

import (
	"errors"
	"fmt"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/services/gateway/internal/grants"
)

// ClaimMapping names the provider's claims that carry a person's Whistle
// role and scope; an empty name maps nothing. A district whose provider
// carries no such claims leaves them empty and grants roles in the product.
type ClaimMapping struct {
	Role, Street, District, Department, Grid string
}

// Mapped is what the claim mapping read from a person's ID token.
type Mapped struct {
	Role       string `json:"role,omitempty"`
	Street     string `json:"street,omitempty"`
	District   string `json:"district,omitempty"`
	Department string `json:"department,omitempty"`
	Grid       string `json:"grid,omitempty"`
}

// Map reads the mapped claims from claims (strings only; anything else is ignored).
func (m ClaimMapping) Map(claims map[string]any) Mapped {
	get := func(name string) string {
		if name == "" {
			return ""
		}
		s, _ := claims[name].(string)
		return s
	}
	return Mapped{Role: get(m.Role), Street: get(m.Street), District: get(m.District), Department: get(m.Department), Grid: get(m.Grid)}
}

// ErrNoRole is a person the provider knows but who has no role in Whistle
// (never granted, revoked, or claims that do not make a valid scope).
var ErrNoRole = errors.New("no role is granted to this person")

// Resolver decides a signed-in person's internal identity, on every request.
type Resolver struct {
	// Issuer is the provider's issuer (grants are keyed by it).
	Issuer string
	Grants *grants.Store
	// Admins are provider subjects who are admins without a grant: the
	// first admin of a deployment whose provider carries no role claims.
	Admins []string
}

// Resolve is the identity of the provider's person sub whose ID token mapped
// to claims: a grant wins (a revoked one refuses), then the bootstrap
// admins, then the mapped claims.
func (r *Resolver) Resolve(sub string, claims Mapped) (auth.Identity, error) {
	g, ok, err := r.Grants.Lookup(r.Issuer, sub)
	if err != nil {
		return auth.Identity{}, err
	}
	var id auth.Identity
	switch {
	case ok && g.Revoked:
		return auth.Identity{}, fmt.Errorf("%w: revoked", ErrNoRole)
	case ok:
		id = g.Identity()
	case contains(r.Admins, sub):
		id = auth.Identity{Subject: grants.PersonSubject(sub), Role: auth.RoleAdmin}
	case claims.Role != "":
		id = auth.Identity{Subject: grants.PersonSubject(sub), Role: claims.Role, StreetID: claims.Street,
			DistrictID: claims.District, Department: claims.Department, GridID: claims.Grid}
	default:
		return auth.Identity{}, ErrNoRole
	}
	if id.Role == auth.RolePublic {
		return auth.Identity{}, fmt.Errorf("%w: the public role is not for people", ErrNoRole)
	}
	if err := id.Validate(); err != nil {
		return auth.Identity{}, fmt.Errorf("%w: %v", ErrNoRole, err)
	}
	return id, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
