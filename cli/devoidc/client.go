package devoidc

import (
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Client is a relying party the provider knows.
type Client struct {
	ID string
	// Secret is empty for a public client (the CLI), which must use PKCE.
	Secret string
	// RedirectURIs are the allowed redirects; for a public client a loopback
	// URI matches any port (RFC 8252).
	RedirectURIs []string
	// PostLogoutRedirectURIs are where sign-out may return to.
	PostLogoutRedirectURIs []string
}

// client adapts Client to op.Client.
type client struct {
	Client
	loginURL   func(string) string
	idTokenTTL time.Duration
}

func (c *client) GetID() string                        { return c.ID }
func (c *client) RedirectURIs() []string               { return c.Client.RedirectURIs }
func (c *client) PostLogoutRedirectURIs() []string     { return c.Client.PostLogoutRedirectURIs }
func (c *client) LoginURL(id string) string            { return c.loginURL(id) }
func (c *client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration       { return c.idTokenTTL }
func (c *client) DevMode() bool                        { return true }
func (c *client) IsScopeAllowed(string) bool           { return false }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }

func (c *client) ApplicationType() op.ApplicationType {
	if c.Secret == "" {
		return op.ApplicationTypeNative
	}
	return op.ApplicationTypeWeb
}

func (c *client) AuthMethod() oidc.AuthMethod {
	if c.Secret == "" {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

func (c *client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}

func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// RedirectURIGlobs implements op.HasRedirectGlobs: a redirect URI may be a
// pattern (path.Match), so a test can register its gateway's
// http://127.0.0.1:*/auth/callback before the gateway has a port.
func (c *client) RedirectURIGlobs() []string { return c.Client.RedirectURIs }

// PostLogoutRedirectURIGlobs implements op.HasRedirectGlobs.
func (c *client) PostLogoutRedirectURIGlobs() []string { return c.Client.PostLogoutRedirectURIs }
