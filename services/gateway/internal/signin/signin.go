// Package signin makes the gateway an OpenID Connect relying party: the
// console signs in by the authorization code flow with PKCE, the gateway
// keeps the session server-side (the browser holds only an HttpOnly,
// SameSite=Strict cookie naming it), refreshes the provider's tokens, and
// signs the person out at the provider too. whistlectl signs in at the
// provider itself and sends its ID token. Either way, every request is
// resolved to an internal identity (grants, then mapped claims) and
// forwarded with a short-lived internal token that the services verify
// exactly as before; that token never leaves the gateway.
package signin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/oauth2"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/services/gateway/internal/apierror"
)

// Paths of the sign-in routes.
const (
	LoginPath    = "/auth/login"
	CallbackPath = "/auth/callback"
	LogoutPath   = "/auth/logout"
	SessionPath  = "/auth/session"
	// CLIPath tells whistlectl which provider and client to sign in with.
	CLIPath = "/auth/cli"
)

// Cookie names: the session, and the sign-in in progress.
const (
	sessionCookie = "whistle_session"
	loginCookie   = "whistle_login"
)

// loginTTL bounds how long a sign-in may take at the provider.
const loginTTL = 10 * time.Minute

// Config is the relying party's settings.
type Config struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is the gateway's callback as the browser reaches it
	// (https://whistle.example/auth/callback); its origin is the console's.
	RedirectURL string
	Scopes      []string
	// CLIClientID is the provider's public client of whistlectl; its ID
	// tokens are accepted as bearer tokens.
	CLIClientID string
	Claims      ClaimMapping
	// SessionTTL is a session's absolute lifetime.
	SessionTTL time.Duration
	// TokenTTL is an internal token's lifetime (on the service clock).
	TokenTTL time.Duration
	// Replicas is the session bucket's replica count.
	Replicas int
	// CookieKey seals the sign-in in progress into its cookie; every
	// replica must have the same.
	CookieKey [32]byte
}

// Handler serves the sign-in routes and resolves every request's caller.
type Handler struct {
	cfg      Config
	resolver *Resolver
	signer   *auth.Signer
	clock    clock.Clock
	log      *slog.Logger
	sessions *sessions
	origin   string
	secure   bool
	// tokens remembers the internal token minted for a session or a
	// whistlectl ID token, so the services' verify cache sees one token.
	tokens *lru.Cache[string, minted]

	mu       sync.Mutex
	provider *oidc.Provider // discovered on first use: the provider may start after the gateway
	endURL   string
}

type minted struct {
	id      auth.Identity
	token   string
	expires time.Time
}

// New returns the relying party; it reaches the provider on first use.
func New(ctx context.Context, cfg Config, js jetstream.JetStream, resolver *Resolver, signer *auth.Signer, clk clock.Clock, log *slog.Logger) (*Handler, error) {
	u, err := url.Parse(cfg.RedirectURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("WHISTLE_OIDC_REDIRECT_URL %q is not an absolute URL", cfg.RedirectURL)
	}
	sess, err := openSessions(ctx, js, cfg.SessionTTL, cfg.Replicas)
	if err != nil {
		return nil, err
	}
	tokens, err := lru.New[string, minted](4096)
	if err != nil {
		return nil, err
	}
	return &Handler{
		cfg: cfg, resolver: resolver, signer: signer, clock: clk, log: log, sessions: sess, tokens: tokens,
		origin: u.Scheme + "://" + u.Host, secure: u.Scheme == "https" || !loopback(u.Hostname()),
	}, nil
}

func loopback(host string) bool {
	return host == "localhost" || host == "::1" || strings.HasPrefix(host, "127.")
}

// discover returns the provider, fetching its discovery document once.
func (h *Handler) discover(ctx context.Context) (*oidc.Provider, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.provider != nil {
		return h.provider, nil
	}
	p, err := oidc.NewProvider(ctx, h.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", h.cfg.Issuer, err)
	}
	var extra struct {
		EndSession string `json:"end_session_endpoint"`
	}
	_ = p.Claims(&extra) // optional: a provider without RP-initiated logout has none
	h.provider, h.endURL = p, extra.EndSession
	return p, nil
}

func (h *Handler) oauth(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: h.cfg.ClientID, ClientSecret: h.cfg.ClientSecret, Endpoint: p.Endpoint(), RedirectURL: h.cfg.RedirectURL, Scopes: h.cfg.Scopes}
}

// verifier checks ID tokens of the console's client or whistlectl's: go-oidc
// fetches and rotates the provider's keys and allows for clock skew.
func (h *Handler) verifier(p *oidc.Provider) *oidc.IDTokenVerifier {
	return p.Verifier(&oidc.Config{SkipClientIDCheck: true})
}

func (h *Handler) audienceOK(tok *oidc.IDToken) bool {
	return slices.Contains(tok.Audience, h.cfg.ClientID) || (h.cfg.CLIClientID != "" && slices.Contains(tok.Audience, h.cfg.CLIClientID))
}

func (h *Handler) cookie(name, value, path string, maxAge time.Duration, sameSite http.SameSite) *http.Cookie {
	c := &http.Cookie{Name: name, Value: value, Path: path, HttpOnly: true, Secure: h.secure, SameSite: sameSite, MaxAge: int(maxAge.Seconds())}
	if value == "" {
		c.MaxAge = -1
	}
	return c
}

// Login answers GET LoginPath: it sends the browser to the provider.
func (h *Handler) Login(w http.ResponseWriter, r *http.Request) {
	p, err := h.discover(r.Context())
	if err != nil {
		h.log.WarnContext(r.Context(), "sign-in: provider unreachable", "err", err)
		h.page(w, http.StatusServiceUnavailable, "身份提供方暂时无法访问，请稍后再试。", "The identity provider cannot be reached; try again shortly.")
		return
	}
	pend := pending{State: newID(), Nonce: newID(), Verifier: oauth2.GenerateVerifier(), Created: time.Now()}
	sealed, err := sealJSON(h.cfg.CookieKey, pend)
	if err != nil {
		h.log.ErrorContext(r.Context(), "sign-in: seal", "err", err)
		h.page(w, http.StatusServiceUnavailable, "暂时无法登录，请稍后再试。", "Sign-in is unavailable; try again shortly.")
		return
	}
	// Lax, not Strict: the provider's redirect back is a cross-site navigation.
	http.SetCookie(w, h.cookie(loginCookie, sealed, CallbackPath, loginTTL, http.SameSiteLaxMode))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, h.oauth(p).AuthCodeURL(pend.State, oauth2.S256ChallengeOption(pend.Verifier), oidc.Nonce(pend.Nonce)), http.StatusFound)
}

// Callback answers GET CallbackPath: the provider's redirect back, which starts the session.
func (h *Handler) Callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, err := r.Cookie(loginCookie)
	if err != nil {
		h.page(w, http.StatusBadRequest, "登录已过期，请重新登录。", "The sign-in expired; sign in again.")
		return
	}
	http.SetCookie(w, h.cookie(loginCookie, "", CallbackPath, 0, http.SameSiteLaxMode))
	var pend pending
	if err := openJSON(h.cfg.CookieKey, c.Value, &pend); err != nil || time.Since(pend.Created) > loginTTL {
		h.page(w, http.StatusBadRequest, "登录已过期，请重新登录。", "The sign-in expired; sign in again.")
		return
	}
	q := r.URL.Query()
	if q.Get("state") != pend.State {
		h.page(w, http.StatusBadRequest, "登录请求不匹配，请重新登录。", "The sign-in does not match this browser; sign in again.")
		return
	}
	if e := q.Get("error"); e != "" {
		h.page(w, http.StatusUnauthorized, "身份提供方拒绝了登录。", "The identity provider refused the sign-in: "+e)
		return
	}
	p, err := h.discover(ctx)
	if err != nil {
		h.page(w, http.StatusServiceUnavailable, "身份提供方暂时无法访问。", "The identity provider cannot be reached.")
		return
	}
	tok, err := h.oauth(p).Exchange(ctx, q.Get("code"), oauth2.VerifierOption(pend.Verifier))
	if err != nil {
		h.log.WarnContext(ctx, "sign-in: code exchange", "err", err)
		h.page(w, http.StatusBadGateway, "登录失败，请重新登录。", "The sign-in failed; sign in again.")
		return
	}
	sess, idTok, err := h.fromToken(ctx, p, tok, "")
	if err != nil || idTok.Nonce != pend.Nonce {
		h.log.WarnContext(ctx, "sign-in: ID token refused", "err", err)
		h.page(w, http.StatusBadGateway, "登录失败，请重新登录。", "The sign-in failed; sign in again.")
		return
	}
	id, err := h.resolver.Resolve(sess.Subject, sess.Claims)
	if err != nil && !errors.Is(err, ErrNoRole) {
		h.log.WarnContext(ctx, "sign-in: resolve", "err", err)
		h.page(w, http.StatusServiceUnavailable, "暂时无法登录，请稍后再试。", "Sign-in is unavailable; try again shortly.")
		return
	}
	if err != nil {
		h.log.InfoContext(ctx, "sign-in refused", "subject", sess.Subject, "err", err)
		h.page(w, http.StatusForbidden, "您尚未被授予角色，请联系管理员并告知您的标识："+sess.Subject,
			"No role is granted to you; ask an admin to grant one to: "+sess.Subject)
		return
	}
	sid := newID()
	sess.Created = time.Now()
	if err := h.sessions.put(ctx, hashKey("s.", sid), sess); err != nil {
		h.log.ErrorContext(ctx, "sign-in: store session", "err", err)
		h.page(w, http.StatusServiceUnavailable, "暂时无法登录，请稍后再试。", "Sign-in is unavailable; try again shortly.")
		return
	}
	h.log.InfoContext(ctx, "signed in", "subject", id.Subject, "role", id.Role)
	http.SetCookie(w, h.cookie(sessionCookie, sid, "/", h.cfg.SessionTTL, http.SameSiteStrictMode))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/#/"+id.Role, http.StatusFound)
}

// fromToken verifies the provider's ID token in tok and makes a session of
// it; on a refresh, a provider that sends no new ID token keeps prevIDToken.
func (h *Handler) fromToken(ctx context.Context, p *oidc.Provider, tok *oauth2.Token, prevIDToken string) (Session, *oidc.IDToken, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		raw = prevIDToken
	}
	if raw == "" {
		return Session{}, nil, errors.New("the provider sent no ID token")
	}
	idTok, err := h.verifier(p).Verify(ctx, raw)
	if err != nil && prevIDToken != "" && raw == prevIDToken {
		// The old ID token may have expired: its claims still name the person.
		idTok, err = p.Verifier(&oidc.Config{SkipClientIDCheck: true, SkipExpiryCheck: true}).Verify(ctx, raw)
	}
	if err != nil {
		return Session{}, nil, fmt.Errorf("verify ID token: %w", err)
	}
	if !h.audienceOK(idTok) {
		return Session{}, nil, errors.New("the ID token is for another client")
	}
	var claims map[string]any
	if err := idTok.Claims(&claims); err != nil {
		return Session{}, nil, fmt.Errorf("read ID token claims: %w", err)
	}
	name, _ := claims["name"].(string)
	return Session{Subject: idTok.Subject, Name: name, Claims: h.cfg.Claims.Map(claims), RefreshToken: tok.RefreshToken, IDToken: raw, Expiry: tok.Expiry}, idTok, nil
}

// Logout answers POST LogoutPath: it ends the session and answers where the
// browser goes next (the provider's sign-out when it has one).
func (h *Handler) Logout(w http.ResponseWriter, r *http.Request) {
	if !h.sameOrigin(r) {
		apierror.Write(w, http.StatusForbidden, "PERMISSION_DENIED", "sign-out must come from the console's own origin")
		return
	}
	redirect := "/"
	if c, err := r.Cookie(sessionCookie); err == nil {
		key := hashKey("s.", c.Value)
		var sess Session
		if err := h.sessions.get(r.Context(), key, &sess); err == nil {
			if err := h.sessions.remove(r.Context(), key); err != nil {
				apierror.Write(w, http.StatusServiceUnavailable, "UNAVAILABLE", "could not end the session; try again")
				return
			}
			h.tokens.Remove(key)
			if _, err := h.discover(r.Context()); err == nil && h.endURL != "" {
				v := url.Values{"id_token_hint": {sess.IDToken}, "post_logout_redirect_uri": {h.origin + "/"}, "client_id": {h.cfg.ClientID}}
				redirect = h.endURL + "?" + v.Encode()
			}
		}
	}
	http.SetCookie(w, h.cookie(sessionCookie, "", "/", 0, http.SameSiteStrictMode))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]string{"redirect": redirect})
}

// sessionInfo is what the console shows of the signed-in person.
type sessionInfo struct {
	Subject    string `json:"subject"`
	Name       string `json:"name,omitempty"`
	Role       string `json:"role"`
	Street     string `json:"street,omitempty"`
	District   string `json:"district,omitempty"`
	Department string `json:"department,omitempty"`
	Grid       string `json:"grid,omitempty"`
}

// Session answers GET SessionPath: who the session's person is.
func (h *Handler) Session(w http.ResponseWriter, r *http.Request) {
	m, sess, ok := h.fromCookie(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(sessionInfo{Subject: m.id.Subject, Name: sess.Name, Role: m.id.Role, Street: m.id.StreetID,
		District: m.id.DistrictID, Department: m.id.Department, Grid: m.id.GridID})
}

// CLIConfig is what whistlectl needs to sign in.
type CLIConfig struct {
	Issuer   string   `json:"issuer"`
	ClientID string   `json:"client_id"`
	Scopes   []string `json:"scopes"`
}

// CLI answers GET CLIPath: the provider and client whistlectl signs in with.
func (h *Handler) CLI(w http.ResponseWriter, _ *http.Request) {
	if h.cfg.CLIClientID == "" {
		apierror.Write(w, http.StatusNotFound, "NOT_FOUND", "command-line sign-in is not configured (WHISTLE_OIDC_CLI_CLIENT_ID)")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(CLIConfig{Issuer: h.cfg.Issuer, ClientID: h.cfg.CLIClientID, Scopes: h.cfg.Scopes})
}

// page answers a browser with a short bilingual page and a way back.
func (h *Handler) page(w http.ResponseWriter, status int, zh, en string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>登录 · Sign in</title></head><body><main><p>%s</p><p lang="en">%s</p><p><a href="/">返回 / Back</a></p></main></body></html>`,
		htmlEscape(zh), htmlEscape(en))
}

var htmlEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace
