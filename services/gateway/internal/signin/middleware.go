package signin

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/chuishao/whistle/services/gateway/internal/apierror"
	"github.com/chuishao/whistle/services/gateway/internal/grants"
)

// Middleware gives every request the internal token of its caller: a
// session cookie's person, or whistlectl's provider ID token, replaced by
// an internal token; any other bearer token (dev, service account, Open311)
// passes through untouched. A person without a role now is refused here.
func (h *Handler) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/auth/") {
			next.ServeHTTP(w, r)
			return
		}
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			if h.fromProvider(tok) {
				m, err := h.cliToken(r.Context(), tok)
				if errors.Is(err, grants.ErrStale) || errors.Is(err, grants.ErrNotReady) {
					apierror.Write(w, http.StatusServiceUnavailable, "UNAVAILABLE", err.Error())
					return
				}
				if err != nil {
					apierror.Write(w, http.StatusUnauthorized, "UNAUTHENTICATED", err.Error())
					return
				}
				r.Header.Set("Authorization", "Bearer "+m.token)
			}
			next.ServeHTTP(w, r)
			return
		}
		if _, err := r.Cookie(sessionCookie); err != nil {
			next.ServeHTTP(w, r) // anonymous: the routes decide
			return
		}
		if !safeMethod(r.Method) && !h.sameOrigin(r) {
			apierror.Write(w, http.StatusForbidden, "PERMISSION_DENIED", "a signed-in change must come from the console's own origin")
			return
		}
		m, _, ok := h.fromCookie(w, r)
		if !ok {
			return
		}
		r.Header.Set("Authorization", "Bearer "+m.token)
		next.ServeHTTP(w, r)
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameOrigin is the CSRF check behind SameSite=Strict: a browser names the
// origin of a cross-site request (Origin, or Sec-Fetch-Site), and a
// request that names none is not a browser's cross-site one.
func (h *Handler) sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		return o == h.origin
	}
	site := r.Header.Get("Sec-Fetch-Site")
	return site == "" || site == "same-origin" || site == "none"
}

// fromProvider reports whether a bearer token claims the provider as its
// issuer (unverified: it only picks the check that follows).
func (h *Handler) fromProvider(tok string) bool {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return false
	}
	var c struct {
		Iss string `json:"iss"`
	}
	return json.Unmarshal(payload, &c) == nil && c.Iss == h.cfg.Issuer
}

// unauthorized ends the browser's session and answers 401.
func (h *Handler) unauthorized(w http.ResponseWriter, msg string) {
	http.SetCookie(w, h.cookie(sessionCookie, "", "/", 0, http.SameSiteStrictMode))
	apierror.Write(w, http.StatusUnauthorized, "UNAUTHENTICATED", msg)
}

// fromCookie resolves the session of the request's cookie, refreshing the
// provider's tokens when they are due; it answers 401 itself when the
// session is gone or its person has no role now.
func (h *Handler) fromCookie(w http.ResponseWriter, r *http.Request) (minted, Session, bool) {
	ctx := r.Context()
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		apierror.Write(w, http.StatusUnauthorized, "UNAUTHENTICATED", "not signed in")
		return minted{}, Session{}, false
	}
	key := hashKey("s.", c.Value)
	sess, err := h.sessions.Session(ctx, c.Value, time.Now())
	if errors.Is(err, errNoSession) {
		h.unauthorized(w, "the session has ended; sign in again")
		return minted{}, Session{}, false
	}
	if err != nil {
		h.log.ErrorContext(ctx, "read session", "err", err)
		apierror.Write(w, http.StatusServiceUnavailable, "UNAVAILABLE", "sessions are unavailable; try again")
		return minted{}, Session{}, false
	}
	if sess.RefreshToken != "" && time.Now().After(sess.Expiry) {
		if sess, err = h.refresh(ctx, key, sess); err != nil {
			h.log.InfoContext(ctx, "session ended: refresh refused", "subject", sess.Subject, "err", err)
			_ = h.sessions.remove(ctx, key)
			h.unauthorized(w, "the identity provider ended the session; sign in again")
			return minted{}, Session{}, false
		}
	}
	m, err := h.mint(key, sess.Subject, sess.Claims)
	if err != nil {
		h.log.InfoContext(ctx, "request refused", "subject", sess.Subject, "err", err)
		if errors.Is(err, ErrNoRole) {
			_ = h.sessions.remove(ctx, key)
			h.unauthorized(w, "no role is granted to you now; ask an admin")
		} else {
			apierror.Write(w, http.StatusServiceUnavailable, "UNAVAILABLE", err.Error())
		}
		return minted{}, Session{}, false
	}
	return m, sess, true
}

// refresh renews the session's provider tokens. Another replica may have
// renewed them first (a refresh token is used once): its result is taken.
func (h *Handler) refresh(ctx context.Context, key string, sess Session) (Session, error) {
	p, err := h.discover(ctx)
	if err != nil {
		return sess, err
	}
	tok, err := h.oauth(p).TokenSource(ctx, &oauth2.Token{RefreshToken: sess.RefreshToken, Expiry: time.Unix(1, 0)}).Token()
	if err != nil {
		var now Session
		if h.sessions.get(ctx, key, &now) == nil && now.RefreshToken != sess.RefreshToken && time.Now().Before(now.Expiry) {
			return now, nil
		}
		return sess, err
	}
	next, _, err := h.fromToken(ctx, p, tok, sess.IDToken)
	if err != nil {
		return sess, err
	}
	if next.Subject != sess.Subject {
		return sess, errors.New("the refreshed ID token names another person")
	}
	if next.RefreshToken == "" {
		next.RefreshToken = sess.RefreshToken
	}
	next.Created = sess.Created
	if err := h.sessions.put(ctx, key, next); err != nil {
		return sess, err
	}
	return next, nil
}

// mint resolves the person now and returns an internal token for them,
// reusing the one minted under key while it is fresh and names the same
// identity.
func (h *Handler) mint(key, sub string, claims Mapped) (minted, error) {
	id, err := h.resolver.Resolve(sub, claims)
	if err != nil {
		return minted{}, err
	}
	now := h.clock.Now()
	if m, ok := h.tokens.Get(key); ok && m.id == id && m.expires.Sub(now) > h.cfg.TokenTTL/2 {
		return m, nil
	}
	tok, err := h.signer.Sign(id, now, h.cfg.TokenTTL)
	if err != nil {
		return minted{}, err
	}
	m := minted{id: id, token: tok, expires: now.Add(h.cfg.TokenTTL)}
	h.tokens.Add(key, m)
	return m, nil
}

// cliToken verifies whistlectl's provider ID token and mints for its person.
func (h *Handler) cliToken(ctx context.Context, raw string) (minted, error) {
	p, err := h.discover(ctx)
	if err != nil {
		return minted{}, errors.New("the identity provider cannot be reached")
	}
	idTok, err := h.verifier(p).Verify(ctx, raw)
	if err != nil {
		return minted{}, errors.New("invalid ID token: " + err.Error())
	}
	if !h.audienceOK(idTok) {
		return minted{}, errors.New("the ID token is for another client")
	}
	var claims map[string]any
	if err := idTok.Claims(&claims); err != nil {
		return minted{}, errors.New("unreadable ID token claims")
	}
	m, err := h.mint("t."+raw, idTok.Subject, h.cfg.Claims.Map(claims))
	if err != nil {
		return minted{}, err
	}
	return m, nil
}

// Origin is the console's origin (scheme and host of the redirect URL).
func (h *Handler) Origin() string { return h.origin }
