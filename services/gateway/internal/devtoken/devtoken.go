// Package devtoken serves POST /v1/dev/tokens: signed tokens for demos and
// tests, enabled only with WHISTLE_DEV_AUTH=1. A real deployment gets its
// tokens from an OIDC provider instead.
package devtoken

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/services/gateway/internal/apierror"
	"github.com/chuishao/whistle/services/gateway/internal/httpapi"
)

// Path is where the handler is mounted.
const Path = "/v1/dev/tokens"

// Request asks for a token with a role and its scope.
type Request struct {
	Role       string `json:"role"`
	StreetID   string `json:"street_id"`
	DistrictID string `json:"district_id"`
	Department string `json:"department"`
	// GridID is a grid worker's micro-grid (role grid).
	GridID string `json:"grid_id"`
	// Subject defaults to dev-<role>-<scope>.
	Subject string `json:"subject"`
}

// Response carries the signed token.
type Response struct {
	Token string `json:"token"`
}

// Identity checks req and fills in what can be derived: a street's district
// (township codes begin with their district's code) and the subject. It
// returns the field problems when the scope is incomplete.
func Identity(req Request) (auth.Identity, []apierror.Detail) {
	id := auth.Identity{Role: req.Role, StreetID: req.StreetID, DistrictID: req.DistrictID, Department: req.Department, GridID: req.GridID, Subject: req.Subject}
	var bad []apierror.Detail
	scope := ""
	switch req.Role {
	case "":
		bad = append(bad, apierror.Detail{Field: "role", Reason: "is required (street, grid, desk, supervisor or admin)"})
	case auth.RoleStreet, auth.RoleGrid:
		if req.Role == auth.RoleGrid && id.GridID == "" {
			bad = append(bad, apierror.Detail{Field: "grid_id", Reason: "is required for role grid"})
		}
		if id.StreetID == "" {
			bad = append(bad, apierror.Detail{Field: "street_id", Reason: "is required for role " + req.Role})
		} else if id.DistrictID == "" {
			if !leadingDigits(id.StreetID, 6) {
				bad = append(bad, apierror.Detail{Field: "district_id", Reason: "is required when street_id does not begin with a six-digit district code"})
			} else {
				id.DistrictID = id.StreetID[:6]
			}
		}
		scope = id.StreetID
		if id.GridID != "" {
			scope += "-" + id.GridID
		}
	case auth.RoleDesk:
		if id.Department == "" {
			bad = append(bad, apierror.Detail{Field: "department", Reason: "is required for role desk"})
		}
		if id.DistrictID == "" {
			bad = append(bad, apierror.Detail{Field: "district_id", Reason: "is required for role desk"})
		}
		scope = id.Department + "-" + id.DistrictID
	case auth.RoleSupervisor:
		scope = id.DistrictID
		if scope == "" {
			scope = "city" // no district: city-wide scope
		}
	case auth.RoleAdmin:
	default:
		bad = append(bad, apierror.Detail{Field: "role", Reason: fmt.Sprintf("unknown role %q (street, grid, desk, supervisor or admin)", req.Role)})
	}
	if id.Subject == "" {
		id.Subject = "dev-" + req.Role
		if scope != "" {
			id.Subject += "-" + scope
		}
	}
	return id, bad
}

func leadingDigits(s string, n int) bool {
	if len(s) < n {
		return false
	}
	for _, c := range s[:n] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Handler signs tokens valid for ttl on clk's time (the services verify on
// the same clock, which runs faster in drills).
func Handler(signer *auth.Signer, clk clock.Clock, ttl time.Duration, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			apierror.Write(w, http.StatusMethodNotAllowed, apierror.CodeMethodNotAllowed,
				fmt.Sprintf("method %s is not allowed on %s", r.Method, Path))
			return
		}
		var req Request
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			switch {
			case httpapi.BodyTooLarge(err):
				apierror.Write(w, http.StatusRequestEntityTooLarge, apierror.CodePayloadTooLarge, "request body exceeds 1 MiB",
					apierror.Detail{Field: "body", Reason: "must be at most 1 MiB"})
			default:
				reason := err.Error()
				if errors.Is(err, io.EOF) {
					reason = "a JSON object is required"
				}
				apierror.Write(w, http.StatusBadRequest, "INVALID_ARGUMENT", "malformed JSON body",
					apierror.Detail{Field: "body", Reason: reason})
			}
			return
		}
		id, bad := Identity(req)
		if len(bad) > 0 {
			apierror.Write(w, http.StatusBadRequest, "INVALID_ARGUMENT", "invalid token request: "+bad[0].Field+" "+bad[0].Reason, bad...)
			return
		}
		token, err := signer.Sign(id, clk.Now(), ttl)
		if err != nil { // Identity already checked the scope, so this is unexpected
			log.ErrorContext(r.Context(), "sign dev token", "err", err)
			apierror.Write(w, http.StatusInternalServerError, "INTERNAL", "could not sign the token")
			return
		}
		log.InfoContext(r.Context(), "dev token issued", "subject", id.Subject, "role", id.Role)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(Response{Token: token})
	})
}
