// Package steady drives the steady scenario: N whistles per second for T
// seconds over the gateway's REST API, each measured from its 201 until every
// one of its dispatches is on the supervisor's live stream (so committed in
// the response service and visible in the desks' queues).
package steady

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// Client talks to the gateway.
type Client struct {
	base string
	http *http.Client
}

// NewClient refuses anything but a loopback target: the bench generates
// load and must never be pointed at someone else's system by accident.
func NewClient(base string) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("parse target %q: %w", base, err)
	}
	if !IsLoopback(u.Hostname()) {
		return nil, fmt.Errorf("target %s is not a loopback address; the bench only loads this machine", base)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 512
	tr.MaxIdleConnsPerHost = 512
	return &Client{base: u.String(), http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}, nil
}

// IsLoopback reports whether host is localhost or a loopback IP.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// apiError is a non-2xx answer.
type apiError struct {
	Status int
	Body   string
}

func (e *apiError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body) }

func (c *Client) call(ctx context.Context, method, path, token string, header http.Header, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return 0, fmt.Errorf("request %s %s: %w", method, path, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("read %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		if len(raw) > 300 {
			raw = raw[:300]
		}
		return resp.StatusCode, &apiError{Status: resp.StatusCode, Body: string(raw)}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decode %s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

// DevToken signs in through the gateway's dev sign-in (the launcher enables it).
func (c *Client) DevToken(ctx context.Context, role, streetID, districtID string) (string, error) {
	return c.devToken(ctx, map[string]string{"role": role, "street_id": streetID, "district_id": districtID, "subject": "bench-" + role + "-" + streetID})
}

// DeskToken signs in as the duty desk of department in district.
func (c *Client) DeskToken(ctx context.Context, department, districtID string) (string, error) {
	return c.devToken(ctx, map[string]string{"role": "desk", "department": department, "district_id": districtID, "subject": "bench-desk-" + department + "-" + districtID})
}

func (c *Client) devToken(ctx context.Context, in map[string]string) (string, error) {
	var out struct {
		Token string `json:"token"`
	}
	if _, err := c.call(ctx, http.MethodPost, "/v1/dev/tokens", "", nil, in, &out); err != nil {
		return "", fmt.Errorf("dev token for %v: %w", in, err)
	}
	if out.Token == "" {
		return "", errors.New("dev token: empty token in answer")
	}
	return out.Token, nil
}

// LatLng is a point.
type LatLng struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// Street is the part of a seeded street the bench needs.
type Street struct {
	ID         string `json:"id"`
	DistrictID string `json:"district_id"`
	Centroid   LatLng `json:"centroid"`
}

// Streets is GET /v1/streets.
func (c *Client) Streets(ctx context.Context, token string) ([]Street, error) {
	var out struct {
		Streets []Street `json:"streets"`
	}
	if _, err := c.call(ctx, http.MethodGet, "/v1/streets", token, nil, nil, &out); err != nil {
		return nil, fmt.Errorf("list streets: %w", err)
	}
	return out.Streets, nil
}

// RaiseRequest is the body of POST /v1/whistles.
type RaiseRequest struct {
	StreetID    string `json:"street_id"`
	Category    string `json:"category"`
	Description string `json:"description"`
	Location    LatLng `json:"location"`
}

// Raise is POST /v1/whistles; it returns the new whistle's id.
func (c *Client) Raise(ctx context.Context, token, idempotencyKey string, req RaiseRequest) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	h := http.Header{"Idempotency-Key": []string{idempotencyKey}}
	if _, err := c.call(ctx, http.MethodPost, "/v1/whistles", token, h, req, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", errors.New("raise: answer has no id")
	}
	return out.ID, nil
}

// DispatchCount is how many dispatches GET /v1/whistles/{id} shows.
func (c *Client) DispatchCount(ctx context.Context, token, whistleID string) (int, error) {
	var out struct {
		Dispatches []json.RawMessage `json:"dispatches"`
	}
	if _, err := c.call(ctx, http.MethodGet, "/v1/whistles/"+url.PathEscape(whistleID), token, nil, nil, &out); err != nil {
		return 0, fmt.Errorf("get whistle %s: %w", whistleID, err)
	}
	return len(out.Dispatches), nil
}

// StreetLogin is a seeded street and its dev token.
type StreetLogin struct {
	Street
	Token string
}

// SignInStreets signs in through the dev sign-in as a supervisor and as the
// seeded streets: the first limit of them, or all when limit is 0.
func (c *Client) SignInStreets(ctx context.Context, limit int) (supervisor string, logins []StreetLogin, err error) {
	supervisor, err = c.DevToken(ctx, "supervisor", "", "")
	if err != nil {
		return "", nil, err
	}
	streets, err := c.Streets(ctx, supervisor)
	if err != nil {
		return "", nil, err
	}
	if len(streets) == 0 {
		return "", nil, errors.New("no seeded streets: is routing's reference data loaded?")
	}
	if limit > 0 && limit < len(streets) {
		streets = streets[:limit]
	}
	logins = make([]StreetLogin, len(streets))
	for i, s := range streets {
		tok, err := c.DevToken(ctx, "street", s.ID, s.DistrictID)
		if err != nil {
			return "", nil, err
		}
		logins[i] = StreetLogin{Street: s, Token: tok}
	}
	return supervisor, logins, nil
}
