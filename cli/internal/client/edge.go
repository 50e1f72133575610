package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
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
