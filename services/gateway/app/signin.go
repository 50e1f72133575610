package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/services/gateway/internal/grants"
	"github.com/chuishao/whistle/services/gateway/internal/signin"
)

// OIDCConfig is the gateway's OpenID Connect sign-in (see docs/operations.md).
// It is on when Issuer is set, and needs NATS_URL: sessions and grants live
// in JetStream key-value buckets shared by every gateway replica.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL (its discovery document is under it).
	Issuer       string `env:"WHISTLE_OIDC_ISSUER"`
	ClientID     string `env:"WHISTLE_OIDC_CLIENT_ID"`
	ClientSecret string `env:"WHISTLE_OIDC_CLIENT_SECRET"`
	// RedirectURL is the gateway's /auth/callback as browsers reach it.
	RedirectURL string `env:"WHISTLE_OIDC_REDIRECT_URL"`
	// Scopes are asked of the provider (space-separated).
	Scopes string `env:"WHISTLE_OIDC_SCOPES, default=openid profile offline_access"`
	// CLIClientID is the provider's public client of `whistlectl login`.
	CLIClientID string `env:"WHISTLE_OIDC_CLI_CLIENT_ID"`
	// Claim* name the ID token claims carrying a person's role and scope.
	ClaimRole       string `env:"WHISTLE_OIDC_CLAIM_ROLE"`
	ClaimStreet     string `env:"WHISTLE_OIDC_CLAIM_STREET"`
	ClaimDistrict   string `env:"WHISTLE_OIDC_CLAIM_DISTRICT"`
	ClaimDepartment string `env:"WHISTLE_OIDC_CLAIM_DEPARTMENT"`
	ClaimGrid       string `env:"WHISTLE_OIDC_CLAIM_GRID"`
	// Admins are provider subjects who are admins without a grant (comma-separated).
	Admins string `env:"WHISTLE_OIDC_ADMINS"`
	// SigningKey (base64 Ed25519 seed) signs the internal tokens of signed-in
	// people; the services trust it through the gateway's JWKS.
	SigningKey string `env:"WHISTLE_OIDC_SIGNING_KEY"`
	// SessionTTL is how long a browser session lasts at most.
	SessionTTL time.Duration `env:"WHISTLE_SESSION_TTL, default=12h"`
	// TokenTTL is how long an internal token lives (service clock).
	TokenTTL time.Duration `env:"WHISTLE_OIDC_TOKEN_TTL, default=10m"`
	// Replicas is the JetStream replica count of the two buckets.
	Replicas int `env:"WHISTLE_OIDC_BUCKET_REPLICAS, default=1"`
	// GrantsHeartbeat is how often this replica proves the grants bucket
	// readable; past GrantsMaxStale without proof, nobody signed in through
	// the provider is resolved (fail closed).
	GrantsHeartbeat time.Duration `env:"WHISTLE_GRANTS_HEARTBEAT, default=1s"`
	GrantsMaxStale  time.Duration `env:"WHISTLE_GRANTS_MAX_STALE, default=4s"`
}

func (c OIDCConfig) enabled() bool { return c.Issuer != "" }

func (c OIDCConfig) validate(natsURL string) error {
	if !c.enabled() {
		return nil
	}
	var errs []error
	for _, v := range []struct{ name, val string }{
		{"WHISTLE_OIDC_CLIENT_ID", c.ClientID}, {"WHISTLE_OIDC_REDIRECT_URL", c.RedirectURL}, {"WHISTLE_OIDC_SIGNING_KEY", c.SigningKey},
	} {
		if v.val == "" {
			errs = append(errs, fmt.Errorf("%s is required with WHISTLE_OIDC_ISSUER", v.name))
		}
	}
	if natsURL == "" {
		errs = append(errs, errors.New("NATS_URL is required with WHISTLE_OIDC_ISSUER (sessions and grants live in JetStream)"))
	}
	if u, err := url.Parse(c.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("WHISTLE_OIDC_ISSUER %q is not an http(s) URL", c.Issuer))
	}
	if c.RedirectURL != "" {
		if u, err := url.Parse(c.RedirectURL); err != nil || u.Host == "" || u.Path != signin.CallbackPath {
			errs = append(errs, fmt.Errorf("WHISTLE_OIDC_REDIRECT_URL %q must be an absolute URL ending in %s", c.RedirectURL, signin.CallbackPath))
		}
	}
	if c.SigningKey != "" {
		if _, err := auth.ParsePrivateKey(c.SigningKey); err != nil {
			errs = append(errs, fmt.Errorf("WHISTLE_OIDC_SIGNING_KEY: %w", err))
		}
	}
	if c.SessionTTL < 0 || c.TokenTTL < 0 {
		errs = append(errs, errors.New("WHISTLE_SESSION_TTL and WHISTLE_OIDC_TOKEN_TTL must not be negative"))
	}
	if c.GrantsHeartbeat < 0 || c.GrantsMaxStale < 0 || (c.GrantsMaxStale > 0 && c.GrantsMaxStale <= c.GrantsHeartbeat) {
		errs = append(errs, errors.New("WHISTLE_GRANTS_MAX_STALE must be longer than WHISTLE_GRANTS_HEARTBEAT (both positive)"))
	}
	return errors.Join(errs...)
}

func splitList(s, sep string) []string {
	var out []string
	for p := range strings.SplitSeq(s, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// signIn is the wired OIDC sign-in: the relying party and the grants.
type signIn struct {
	handler *signin.Handler
	grants  *grants.Store
}

func newGrantStore(c OIDCConfig, js jetstream.JetStream, log *slog.Logger) *grants.Store {
	return &grants.Store{JS: js, Log: log.With("component", "grants"), Replicas: c.Replicas,
		Heartbeat: c.GrantsHeartbeat, MaxStale: c.GrantsMaxStale}
}

// newSignIn builds the sign-in's handler and the grants API.
func newSignIn(ctx context.Context, c OIDCConfig, jwtIssuer string, js jetstream.JetStream, store *grants.Store, verifier *auth.Verifier,
	clk clock.Clock, log *slog.Logger) (*signin.Handler, *grants.API, error) {
	key, err := auth.ParsePrivateKey(c.SigningKey)
	if err != nil {
		return nil, nil, fmt.Errorf("WHISTLE_OIDC_SIGNING_KEY: %w", err)
	}
	// The defaults of the environment, for a Config built in code (tests).
	if c.SessionTTL == 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.TokenTTL == 0 {
		c.TokenTTL = 10 * time.Minute
	}
	if c.Scopes == "" {
		c.Scopes = "openid profile offline_access"
	}
	resolver := &signin.Resolver{Issuer: c.Issuer, Grants: store, Admins: splitList(c.Admins, ",")}
	h, err := signin.New(ctx, signin.Config{
		Issuer: c.Issuer, ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURL,
		Scopes: splitList(c.Scopes, " "), CLIClientID: c.CLIClientID,
		Claims:     signin.ClaimMapping{Role: c.ClaimRole, Street: c.ClaimStreet, District: c.ClaimDistrict, Department: c.ClaimDepartment, Grid: c.ClaimGrid},
		SessionTTL: c.SessionTTL, TokenTTL: c.TokenTTL, Replicas: c.Replicas,
		CookieKey: sha256.Sum256(append([]byte("whistle sign-in cookie "), key.Seed()...)),
	}, js, resolver, auth.NewSigner(key).WithIssuer(jwtIssuer), clk, log.With("component", "signin"))
	if err != nil {
		return nil, nil, err
	}
	return h, &grants.API{Store: store, Issuer: c.Issuer, Verifier: verifier, Clock: clk, Log: log.With("component", "grants"),
		Audit: grants.JetStreamAuditor{JS: js}}, nil
}
