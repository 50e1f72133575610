// Package devoidc is a small OpenID provider for `make run` and the tests:
// zitadel's op package with an in-memory store, a fixed list of people and a
// login page a browser can fill in. It is the real protocol (discovery,
// JWKS, authorization code with PKCE, refresh, end session), so the gateway
// and whistlectl are tested against what a district's provider speaks.
// It is never part of a deployment.
package devoidc

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// Token lifetimes: short, so refresh is exercised.
const (
	defaultAccessTokenTTL = 5 * time.Minute
	defaultIDTokenTTL     = 5 * time.Minute
)

// Person is someone who can sign in.
type Person struct {
	Subject  string
	Username string
	Password string
	// Name is the display name (Chinese first).
	Name string
	// Claims are extra ID token claims (e.g. whistle_role for claim mapping).
	Claims map[string]any
}

// Claim names the demo people carry, which `make run` maps with
// WHISTLE_OIDC_CLAIM_*.
const (
	ClaimRole       = "whistle_role"
	ClaimStreet     = "whistle_street"
	ClaimDistrict   = "whistle_district"
	ClaimDepartment = "whistle_department"
	ClaimGrid       = "whistle_grid"
)

// DemoPassword is every demo person's password.
const DemoPassword = "whistle"

// DemoPeople are the seeded people of `make run`: a street, a desk, a
// supervisor and an admin who carry their roles as claims, and a newcomer
// who has no role until an admin grants one.
func DemoPeople() []Person {
	return []Person{
		{Subject: "u-donghuamen", Username: "donghuamen", Password: DemoPassword, Name: "东华门街道",
			Claims: map[string]any{ClaimRole: "street", ClaimStreet: "110101001", ClaimDistrict: "110101"}},
		{Subject: "u-police-desk", Username: "police-desk", Password: DemoPassword, Name: "东城公安值班台",
			Claims: map[string]any{ClaimRole: "desk", ClaimDepartment: "police", ClaimDistrict: "110101"}},
		{Subject: "u-supervisor", Username: "supervisor", Password: DemoPassword, Name: "东城区督办",
			Claims: map[string]any{ClaimRole: "supervisor", ClaimDistrict: "110101"}},
		{Subject: "u-admin", Username: "admin", Password: DemoPassword, Name: "系统管理员",
			Claims: map[string]any{ClaimRole: "admin"}},
		{Subject: "u-newcomer", Username: "newcomer", Password: DemoPassword, Name: "新同事"},
	}
}

// Config describes a provider.
type Config struct {
	// Addr is where it listens ("127.0.0.1:0" for a free port).
	Addr    string
	People  []Person
	Clients []Client
	Log     *slog.Logger
	// AccessTokenTTL is how long an access token lives (default 5 min); a
	// test that wants every request of a relying party to refresh sets 1ns.
	AccessTokenTTL time.Duration
	// IDTokenTTL is how long an ID token lives (default 5 min).
	IDTokenTTL time.Duration
}

// Provider is a running OpenID provider.
type Provider struct {
	issuer  string
	lis     net.Listener
	srv     *http.Server
	storage *storage
}

// Start listens on cfg.Addr and serves until Close.
func Start(cfg Config) (*Provider, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	lis, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("devoidc listen %s: %w", cfg.Addr, err)
	}
	p := &Provider{issuer: "http://" + lis.Addr().String(), lis: lis}
	handler, st, err := newHandler(p.issuer, cfg)
	p.storage = st
	if err != nil {
		_ = lis.Close()
		return nil, err
	}
	p.srv = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := p.srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			cfg.Log.Error("devoidc serve", "err", err)
		}
	}()
	return p, nil
}

// Issuer is the provider's issuer URL (its discovery document is under it).
func (p *Provider) Issuer() string { return p.issuer }

// EndSessions ends every session of the person with subject at every
// client, as a provider does when the person is disabled: their refresh
// tokens stop working.
func (p *Provider) EndSessions(subject string) {
	p.storage.mu.Lock()
	defer p.storage.mu.Unlock()
	for rt, t := range p.storage.refresh {
		if t.subject == subject {
			delete(p.storage.refresh, rt)
		}
	}
}

// Close stops the provider.
func (p *Provider) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.srv.Shutdown(ctx)
}

func newHandler(issuer string, cfg Config) (http.Handler, *storage, error) {
	st, err := newStorage(cfg.People, cfg.Clients)
	if err != nil {
		return nil, nil, err
	}
	st.accessTTL = cfg.AccessTokenTTL
	if st.accessTTL <= 0 {
		st.accessTTL = defaultAccessTokenTTL
	}
	idTTL := cfg.IDTokenTTL
	if idTTL <= 0 {
		idTTL = defaultIDTokenTTL
	}
	for _, c := range st.clients {
		c.loginURL = func(id string) string { return "/login?authRequestID=" + url.QueryEscape(id) }
		c.idTokenTTL = idTTL
	}
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:                sha256.Sum256([]byte(st.keyID)),
		DefaultLogoutRedirectURI: "/signed-out",
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		SupportedUILocales:       []language.Tag{language.SimplifiedChinese, language.English},
	}, st, op.StaticIssuer(issuer), op.WithAllowInsecure(), op.WithLogger(cfg.Log))
	if err != nil {
		return nil, nil, fmt.Errorf("devoidc: %w", err)
	}
	l := &login{storage: st, callback: op.AuthCallbackURL(provider), people: cfg.People}
	mux := http.NewServeMux()
	interceptor := op.NewIssuerInterceptor(provider.IssuerFromRequest)
	mux.Handle("/login", interceptor.Handler(l))
	mux.HandleFunc("GET /signed-out", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = signedOutPage.Execute(w, nil)
	})
	mux.Handle("/", provider)
	return mux, st, nil
}

// login is the provider's login page: a username and password form, and a
// button per demo person.
type login struct {
	storage  *storage
	callback func(context.Context, string) string
	people   []Person
}

func (l *login) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.FormValue("authRequestID")
	if _, err := l.storage.AuthRequestByID(r.Context(), id); err != nil {
		http.Error(w, "unknown or expired sign-in request", http.StatusBadRequest)
		return
	}
	if r.Method == http.MethodGet {
		l.page(w, id, "", http.StatusOK)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	username, password := r.FormValue("username"), r.FormValue("password")
	for _, p := range l.people {
		if p.Username == username && p.Password == password {
			if err := l.storage.complete(id, p.Subject); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			http.Redirect(w, r, l.callback(r.Context(), id), http.StatusFound)
			return
		}
	}
	l.page(w, id, "用户名或密码错误 / Wrong username or password", http.StatusUnauthorized)
}

func (l *login) page(w http.ResponseWriter, id, problem string, status int) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = loginPage.Execute(w, map[string]any{"ID": id, "Problem": problem, "People": l.people, "Password": DemoPassword})
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>开发用身份提供方 · Dev identity provider</title>
<style>body{font-family:sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}form{margin:1rem 0}label{display:block;margin:.5rem 0 .2rem}.people button{margin:.2rem}</style>
</head><body>
<h1>登录 / Sign in</h1>
<p>开发用身份提供方，仅供本地运行和测试。/ Development identity provider, for local runs and tests only.</p>
{{if .Problem}}<p role="alert">{{.Problem}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="authRequestID" value="{{.ID}}">
<label for="username">用户名 / Username</label><input id="username" name="username" autocomplete="username" required>
<label for="password">密码 / Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<p><button type="submit">登录 / Sign in</button></p>
</form>
<h2>演示人员 / Demo people</h2>
<div class="people">{{range .People}}<form method="post" action="/login">
<input type="hidden" name="authRequestID" value="{{$.ID}}"><input type="hidden" name="username" value="{{.Username}}"><input type="hidden" name="password" value="{{$.Password}}">
<button type="submit">以{{.Name}}登录 ({{.Username}})</button></form>{{end}}</div>
</body></html>`))

var signedOutPage = template.Must(template.New("out").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>已退出 · Signed out</title></head>
<body><h1>已退出 / Signed out</h1></body></html>`))
