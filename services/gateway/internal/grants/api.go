package grants

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/services/gateway/internal/apierror"
	"github.com/chuishao/whistle/services/gateway/internal/devtoken"
)

// Path is the admin API's collection; a person is Path + "/" + subject.
const Path = "/v1/admin/grants"

// API is the admins' REST API over the grants of the provider Issuer.
type API struct {
	Store  *Store
	Issuer string
	// Verifier checks the caller's (internal) token; only admins may call.
	Verifier *auth.Verifier
	Clock    clock.Clock
	Log      *slog.Logger
	// Audit records every grant and revocation (admin.gateway events).
	Audit Auditor
}

// Request grants a role and its scope to a person (the fields of a dev
// token request, checked the same way).
type Request struct {
	Name       string `json:"name"`
	Role       string `json:"role"`
	StreetID   string `json:"street_id"`
	DistrictID string `json:"district_id"`
	Department string `json:"department"`
	GridID     string `json:"grid_id"`
}

// List is the answer of GET Path.
type List struct {
	Issuer string  `json:"issuer"`
	Grants []Grant `json:"grants"`
}

// Paths of the API's routes, as net/http patterns.
const (
	ListPattern   = "GET " + Path
	GrantPattern  = "PUT " + Path + "/{subject}"
	RevokePattern = "DELETE " + Path + "/{subject}"
)

// List answers ListPattern: every grant (admins only).
func (a *API) List(w http.ResponseWriter, r *http.Request) { a.admin(a.list)(w, r) }

// Grant answers GrantPattern: it grants a role and scope to the person
// {subject} (admins only).
func (a *API) Grant(w http.ResponseWriter, r *http.Request) { a.admin(a.grant)(w, r) }

// Revoke answers RevokePattern: the person {subject} has no role any more
// (admins only).
func (a *API) Revoke(w http.ResponseWriter, r *http.Request) { a.admin(a.revoke)(w, r) }

// admin lets only an admin through to next.
func (a *API) admin(next func(http.ResponseWriter, *http.Request, auth.Identity)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("Authorization")
		if len(tok) < 7 || tok[:7] != "Bearer " {
			apierror.Write(w, http.StatusUnauthorized, "UNAUTHENTICATED", "sign in first")
			return
		}
		id, err := a.Verifier.Verify(tok[7:], a.Clock.Now())
		if err != nil {
			apierror.Write(w, http.StatusUnauthorized, "UNAUTHENTICATED", "invalid token: "+err.Error())
			return
		}
		if id.Role != auth.RoleAdmin {
			apierror.Write(w, http.StatusForbidden, "PERMISSION_DENIED", "only an admin may manage grants")
			return
		}
		next(w, r, id)
	}
}

func (a *API) list(w http.ResponseWriter, _ *http.Request, _ auth.Identity) {
	gs, err := a.Store.List()
	if err != nil {
		apierror.Write(w, http.StatusServiceUnavailable, "UNAVAILABLE", err.Error())
		return
	}
	writeJSON(w, List{Issuer: a.Issuer, Grants: gs})
}

func (a *API) grant(w http.ResponseWriter, r *http.Request, admin auth.Identity) {
	subject := r.PathValue("subject")
	var req Request
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		apierror.Write(w, http.StatusBadRequest, "INVALID_ARGUMENT", "malformed JSON body", apierror.Detail{Field: "body", Reason: err.Error()})
		return
	}
	id, bad := devtoken.Identity(devtoken.Request{Role: req.Role, StreetID: req.StreetID, DistrictID: req.DistrictID,
		Department: req.Department, GridID: req.GridID, Subject: PersonSubject(subject)})
	if len(bad) > 0 {
		apierror.Write(w, http.StatusBadRequest, "INVALID_ARGUMENT", "invalid grant: "+bad[0].Field+" "+bad[0].Reason, bad...)
		return
	}
	g := Grant{Issuer: a.Issuer, Subject: subject, Name: req.Name, Role: id.Role, Street: id.StreetID, District: id.DistrictID,
		Department: id.Department, Grid: id.GridID, By: admin.Subject, At: a.Clock.Now().UTC()}
	a.put(w, r, admin, g)
}

func (a *API) revoke(w http.ResponseWriter, r *http.Request, admin auth.Identity) {
	subject := r.PathValue("subject")
	g := Grant{Issuer: a.Issuer, Subject: subject, Revoked: true, By: admin.Subject, At: a.Clock.Now().UTC()}
	if old, ok, err := a.Store.Lookup(a.Issuer, subject); err == nil && ok {
		g.Name = old.Name
	}
	a.put(w, r, admin, g)
}

// put writes g and its audit record. A grant whose record cannot be
// written is undone and refused, so no role is given without a record; a
// revocation stays whatever happens to its record (refusing is the safe
// side), and a lost record is logged loudly.
func (a *API) put(w http.ResponseWriter, r *http.Request, admin auth.Identity, g Grant) {
	ctx := r.Context()
	if g.Subject == "" || len(g.Subject) > 255 {
		apierror.Write(w, http.StatusBadRequest, "INVALID_ARGUMENT", "invalid subject", apierror.Detail{Field: "subject", Reason: "must be 1 to 255 characters"})
		return
	}
	before, had, err := a.Store.Lookup(a.Issuer, g.Subject)
	if err != nil && !g.Revoked {
		apierror.Write(w, http.StatusServiceUnavailable, "UNAVAILABLE", err.Error())
		return
	}
	if err := a.Store.Put(ctx, g); err != nil {
		if errors.Is(err, ErrNotReady) {
			apierror.Write(w, http.StatusServiceUnavailable, "UNAVAILABLE", err.Error())
			return
		}
		a.Log.ErrorContext(r.Context(), "write grant", "err", err)
		apierror.Write(w, http.StatusServiceUnavailable, "UNAVAILABLE", "could not write the grant; try again")
		return
	}
	if err := a.audit(ctx, admin, g); err != nil {
		if g.Revoked {
			a.Log.ErrorContext(ctx, "AUDIT RECORD LOST for a revocation (it stays in force)", "subject", g.Subject, "by", g.By, "err", err)
		} else {
			a.Log.ErrorContext(ctx, "grant refused: its audit record could not be written", "subject", g.Subject, "by", g.By, "err", err)
			var prev *Grant
			if had {
				prev = &before
			}
			if uerr := a.Store.restore(context.WithoutCancel(ctx), g.Issuer, g.Subject, prev); uerr != nil {
				a.Log.ErrorContext(ctx, "grant without audit record could not be undone", "subject", g.Subject, "err", uerr)
			}
			apierror.Write(w, http.StatusServiceUnavailable, "UNAVAILABLE", "the grant was not applied: its audit record could not be written; try again")
			return
		}
	}
	a.Log.InfoContext(ctx, "grant changed", "subject", g.Subject, "role", g.Role, "revoked", g.Revoked, "by", g.By)
	writeJSON(w, g)
}

func (a *API) audit(ctx context.Context, admin auth.Identity, g Grant) error {
	if a.Audit == nil {
		return nil
	}
	method := MethodGrant
	if g.Revoked {
		method = MethodRevoke
	}
	ev, err := auditEvent(a.Clock.Now(), admin, method, g)
	if err != nil {
		return err
	}
	return a.Audit.Audit(ctx, ev)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}
