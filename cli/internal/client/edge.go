package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// TokenRequest asks the gateway's dev sign-in for a token.
type TokenRequest struct {
	Role       string `json:"role"`
	StreetID   string `json:"street_id,omitempty"`
	DistrictID string `json:"district_id,omitempty"`
	Department string `json:"department,omitempty"`
	Subject    string `json:"subject,omitempty"`
}

// DevToken calls POST /v1/dev/tokens (only served with WHISTLE_DEV_AUTH=1).
func (c *Client) DevToken(ctx context.Context, req TokenRequest) (string, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("encode token request: %w", err)
	}
	raw, err := c.do(ctx, http.MethodPost, "/v1/dev/tokens", nil, nil, body, false)
	if err != nil {
		return "", err
	}
	var resp struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil || resp.Token == "" {
		return "", fmt.Errorf("decode token response: unexpected body %q", raw)
	}
	return resp.Token, nil
}

// CLIConfig is GET /auth/cli: how whistlectl signs in at this deployment.
func (c *Client) CLIConfig(ctx context.Context, out any) error {
	return c.getJSON(ctx, "/auth/cli", out)
}

// Stream opens GET /v1/stream (Server-Sent Events) with the token; the
// caller reads and closes the body. The stream has no end: no client
// timeout, only the context.
func (c *Client) Stream(ctx context.Context) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.BaseURL, "/")+"/v1/stream", nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Accept", "text/event-stream")
	hc := &http.Client{}
	if c.HTTP != nil {
		hc.Transport = c.HTTP.Transport
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, &TransportError{URL: c.BaseURL, Err: err}
	}
	return resp, nil
}

// Grant is one person's role at the deployment's identity provider, as an
// admin gave or revoked it (the gateway's /v1/admin/grants).
type Grant struct {
	Issuer     string    `json:"issuer"`
	Subject    string    `json:"subject"`
	Name       string    `json:"name,omitempty"`
	Role       string    `json:"role,omitempty"`
	StreetID   string    `json:"street_id,omitempty"`
	DistrictID string    `json:"district_id,omitempty"`
	Department string    `json:"department,omitempty"`
	GridID     string    `json:"grid_id,omitempty"`
	Revoked    bool      `json:"revoked,omitempty"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

// GrantRequest gives a person a role and its scope.
type GrantRequest struct {
	Name       string `json:"name,omitempty"`
	Role       string `json:"role"`
	StreetID   string `json:"street_id,omitempty"`
	DistrictID string `json:"district_id,omitempty"`
	Department string `json:"department,omitempty"`
	GridID     string `json:"grid_id,omitempty"`
}

// Grants is the answer of GET /v1/admin/grants.
type Grants struct {
	Issuer string  `json:"issuer"`
	Grants []Grant `json:"grants"`
}

// ListGrants is GET /v1/admin/grants (admins).
func (c *Client) ListGrants(ctx context.Context) (*Grants, []byte, error) {
	return sendJSON[Grants](ctx, c, http.MethodGet, "/v1/admin/grants", nil)
}

// SetGrant is PUT /v1/admin/grants/{subject}: the person signs in with this role.
func (c *Client) SetGrant(ctx context.Context, subject string, req GrantRequest) (*Grant, []byte, error) {
	return sendJSON[Grant](ctx, c, http.MethodPut, "/v1/admin/grants/"+id(subject), req)
}

// RevokeGrant is DELETE /v1/admin/grants/{subject}: the person is refused from the next request on.
func (c *Client) RevokeGrant(ctx context.Context, subject string) (*Grant, []byte, error) {
	return sendJSON[Grant](ctx, c, http.MethodDelete, "/v1/admin/grants/"+id(subject), nil)
}
