package devoidc

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// storage is the provider's state, all in memory: the pending sign-ins,
// the issued access and refresh tokens, and one RSA signing key.
type storage struct {
	people  map[string]Person // by subject
	clients map[string]*client

	key       *rsa.PrivateKey
	keyID     string
	accessTTL time.Duration

	mu       sync.Mutex
	requests map[string]*authRequest // by id
	codes    map[string]string       // code -> request id
	access   map[string]tokenInfo    // access token id -> info
	refresh  map[string]*refreshInfo // refresh token -> info
}

type tokenInfo struct {
	subject, clientID string
	expires           time.Time
}

type refreshInfo struct {
	subject, clientID string
	scopes, amr       []string
	audience          []string
	authTime          time.Time
}

func newStorage(people []Person, clients []Client) (*storage, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	s := &storage{
		people: map[string]Person{}, clients: map[string]*client{}, key: key, keyID: randomID(),
		requests: map[string]*authRequest{}, codes: map[string]string{}, access: map[string]tokenInfo{}, refresh: map[string]*refreshInfo{},
	}
	for _, p := range people {
		s.people[p.Subject] = p
	}
	for _, c := range clients {
		s.clients[c.ID] = &client{Client: c}
	}
	return s, nil
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

var errNotFound = errors.New("not found")

// authRequest is one pending sign-in: created at /authorize, completed by the
// login page, exchanged for tokens at /oauth/token.
type authRequest struct {
	id       string
	req      oidc.AuthRequest
	subject  string
	authTime time.Time
	done     bool
}

func (a *authRequest) GetID() string                      { return a.id }
func (a *authRequest) GetACR() string                     { return "" }
func (a *authRequest) GetAMR() []string                   { return []string{"pwd"} }
func (a *authRequest) GetAudience() []string              { return []string{a.req.ClientID} }
func (a *authRequest) GetAuthTime() time.Time             { return a.authTime }
func (a *authRequest) GetClientID() string                { return a.req.ClientID }
func (a *authRequest) GetNonce() string                   { return a.req.Nonce }
func (a *authRequest) GetRedirectURI() string             { return a.req.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType { return a.req.ResponseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode { return a.req.ResponseMode }
func (a *authRequest) GetScopes() []string                { return a.req.Scopes }
func (a *authRequest) GetState() string                   { return a.req.State }
func (a *authRequest) GetSubject() string                 { return a.subject }
func (a *authRequest) Done() bool                         { return a.done }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.req.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.req.CodeChallenge, Method: a.req.CodeChallengeMethod}
}

// CreateAuthRequest implements op.AuthStorage.
func (s *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := &authRequest{id: randomID(), req: *req}
	s.requests[a.id] = a
	return a, nil
}

// AuthRequestByID implements op.AuthStorage.
func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.requests[id]
	if !ok {
		return nil, fmt.Errorf("auth request %s: %w", id, errNotFound)
	}
	return a, nil
}

// AuthRequestByCode implements op.AuthStorage.
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("code: %w", errNotFound)
	}
	return s.AuthRequestByID(ctx, id)
}

// SaveAuthCode implements op.AuthStorage.
func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest implements op.AuthStorage.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

// complete marks a pending sign-in as done by the person with subject.
func (s *storage) complete(id, subject string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.requests[id]
	if !ok {
		return fmt.Errorf("auth request %s: %w", id, errNotFound)
	}
	a.subject, a.authTime, a.done = subject, time.Now(), true
	return nil
}

func (s *storage) clientOf(req op.TokenRequest) string {
	switch r := req.(type) {
	case op.AuthRequest:
		return r.GetClientID()
	case op.RefreshTokenRequest:
		return r.GetClientID()
	}
	return ""
}

// CreateAccessToken implements op.AuthStorage.
func (s *storage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, exp := randomID(), time.Now().Add(s.accessTTL)
	s.access[id] = tokenInfo{subject: req.GetSubject(), clientID: s.clientOf(req), expires: exp}
	return id, exp, nil
}

// CreateAccessAndRefreshTokens implements op.AuthStorage; a refresh token is
// used once and replaced (rotation).
func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	id, exp, err := s.CreateAccessToken(ctx, req)
	if err != nil {
		return "", "", time.Time{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	info := &refreshInfo{subject: req.GetSubject(), clientID: s.clientOf(req), scopes: req.GetScopes(), audience: req.GetAudience(), authTime: time.Now(), amr: []string{"pwd"}}
	if current != "" {
		old, ok := s.refresh[current]
		if !ok {
			return "", "", time.Time{}, op.ErrInvalidRefreshToken
		}
		info.authTime, info.amr = old.authTime, old.amr
		delete(s.refresh, current)
	} else if a, ok := req.(op.AuthRequest); ok {
		info.authTime = a.GetAuthTime()
	}
	rt := randomID()
	s.refresh[rt] = info
	return id, rt, exp, nil
}

type refreshRequest struct{ *refreshInfo }

func (r refreshRequest) GetAMR() []string             { return r.amr }
func (r refreshRequest) GetAudience() []string        { return r.audience }
func (r refreshRequest) GetAuthTime() time.Time       { return r.authTime }
func (r refreshRequest) GetClientID() string          { return r.clientID }
func (r refreshRequest) GetScopes() []string          { return r.scopes }
func (r refreshRequest) GetSubject() string           { return r.subject }
func (r refreshRequest) SetCurrentScopes(sc []string) { r.scopes = sc }

// TokenRequestByRefreshToken implements op.AuthStorage.
func (s *storage) TokenRequestByRefreshToken(_ context.Context, rt string) (op.RefreshTokenRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	info, ok := s.refresh[rt]
	if !ok {
		return nil, op.ErrInvalidRefreshToken
	}
	return refreshRequest{info}, nil
}

// TerminateSession implements op.AuthStorage: sign-out ends every token of
// the person at that client.
func (s *storage) TerminateSession(_ context.Context, subject, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, t := range s.access {
		if t.subject == subject && t.clientID == clientID {
			delete(s.access, id)
		}
	}
	for rt, t := range s.refresh {
		if t.subject == subject && t.clientID == clientID {
			delete(s.refresh, rt)
		}
	}
	return nil
}

// RevokeToken implements op.AuthStorage.
func (s *storage) RevokeToken(_ context.Context, token, _, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.refresh[token]; ok && t.clientID == clientID {
		delete(s.refresh, token)
	}
	if t, ok := s.access[token]; ok && t.clientID == clientID {
		delete(s.access, token)
	}
	return nil
}

// GetRefreshTokenInfo implements op.AuthStorage.
func (s *storage) GetRefreshTokenInfo(_ context.Context, clientID, token string) (string, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.refresh[token]
	if !ok || t.clientID != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	return t.subject, token, nil
}

type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

type publicKey struct{ signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.key.PublicKey }

// SigningKey implements op.AuthStorage.
func (s *storage) SigningKey(context.Context) (op.SigningKey, error) {
	return signingKey{id: s.keyID, key: s.key}, nil
}

// SignatureAlgorithms implements op.AuthStorage.
func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// KeySet implements op.AuthStorage.
func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{signingKey{id: s.keyID, key: s.key}}}, nil
}

// GetClientByClientID implements op.OPStorage.
func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	c, ok := s.clients[id]
	if !ok {
		return nil, fmt.Errorf("client %s: %w", id, errNotFound)
	}
	return c, nil
}

// AuthorizeClientIDSecret implements op.OPStorage.
func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	c, ok := s.clients[id]
	if !ok || c.Secret == "" || c.Secret != secret {
		return errors.New("invalid client credentials")
	}
	return nil
}

// setUserinfo fills info with what the scopes allow of the person.
func (s *storage) setUserinfo(info *oidc.UserInfo, subject string, scopes []string) error {
	p, ok := s.people[subject]
	if !ok {
		return fmt.Errorf("person %s: %w", subject, errNotFound)
	}
	info.Subject = p.Subject
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name, info.PreferredUsername = p.Name, p.Username
	}
	for k, v := range p.Claims {
		info.AppendClaims(k, v)
	}
	return nil
}

// SetUserinfoFromScopes implements op.OPStorage.
func (s *storage) SetUserinfoFromScopes(_ context.Context, info *oidc.UserInfo, subject, _ string, scopes []string) error {
	return s.setUserinfo(info, subject, scopes)
}

// liveToken is the access token tokenID while it is unexpired.
func (s *storage) liveToken(tokenID string) (tokenInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.access[tokenID]
	if !ok || t.expires.Before(time.Now()) {
		return tokenInfo{}, errors.New("token is invalid or has expired")
	}
	return t, nil
}

// SetUserinfoFromToken implements op.OPStorage.
func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	if _, err := s.liveToken(tokenID); err != nil {
		return err
	}
	return s.setUserinfo(info, subject, []string{oidc.ScopeOpenID, oidc.ScopeProfile})
}

// SetIntrospectionFromToken implements op.OPStorage.
func (s *storage) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	t, err := s.liveToken(tokenID)
	if err != nil {
		return err
	}
	resp.Active, resp.Subject, resp.ClientID = true, subject, t.clientID
	return nil
}

// GetPrivateClaimsFromScopes implements op.OPStorage: the person's extra
// claims go into the ID token (where a relying party maps them).
func (s *storage) GetPrivateClaimsFromScopes(_ context.Context, subject, _ string, _ []string) (map[string]any, error) {
	p, ok := s.people[subject]
	if !ok {
		return nil, fmt.Errorf("person %s: %w", subject, errNotFound)
	}
	claims := map[string]any{"name": p.Name, "preferred_username": p.Username}
	for k, v := range p.Claims {
		claims[k] = v
	}
	return claims, nil
}

// GetKeyByIDAndClientID implements op.OPStorage (JWT profile, unused).
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("JWT profile grants are not supported")
}

// ValidateJWTProfileScopes implements op.OPStorage (JWT profile, unused).
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("JWT profile grants are not supported")
}

// Health implements op.Storage.
func (s *storage) Health(context.Context) error { return nil }
