// Package client calls the Whistle gateway's REST API, the same contract any
// integration uses, and turns its error shape into *APIError.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

// Detail names one offending request field.
type Detail struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// APIError is an error answered by the gateway in the contract's shape.
type APIError struct {
	Status  int
	Code    string
	Message string
	Details []Detail
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s (HTTP %d): %s", e.Code, e.Status, e.Message)
}

// TransportError means the gateway could not be reached at all.
type TransportError struct {
	URL string
	Err error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("cannot reach the gateway at %s: %v", e.URL, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// Client talks to one gateway as one caller.
type Client struct {
	BaseURL string
	// Token is the bearer token sent with every call but the dev token request.
	Token string
	HTTP  *http.Client
}

var (
	marshal   = protojson.MarshalOptions{UseProtoNames: true}
	unmarshal = protojson.UnmarshalOptions{DiscardUnknown: true} // tolerate fields newer than this CLI
)

// Call sends in (nil for no body) to method path?query and decodes the answer
// into out (nil to ignore it). It returns the raw response body too, for
// callers that print it verbatim.
func (c *Client) Call(ctx context.Context, method, path string, query url.Values, header http.Header, in, out proto.Message) ([]byte, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = marshal.Marshal(in); err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
	}
	raw, err := c.do(ctx, method, path, query, header, body, true)
	if err != nil {
		return nil, err
	}
	if out != nil {
		if err := unmarshal.Unmarshal(raw, out); err != nil {
			return raw, fmt.Errorf("decode %s %s response: %w", method, path, err)
		}
	}
	return raw, nil
}

// Upload posts body, a file of type contentType, to path?query and decodes
// the answer into out; it returns the raw answer too.
func (c *Client) Upload(ctx context.Context, path string, query url.Values, contentType string, body []byte, out proto.Message) ([]byte, error) {
	raw, err := c.do(ctx, http.MethodPost, path, query, http.Header{"Content-Type": {contentType}}, body, true)
	if err != nil {
		return nil, err
	}
	if err := unmarshal.Unmarshal(raw, out); err != nil {
		return raw, fmt.Errorf("decode POST %s response: %w", path, err)
	}
	return raw, nil
}

// Download gets path?query, a document (a file, not an API message), with
// the token; errors come back in the API's shape.
func (c *Client) Download(ctx context.Context, path string, query url.Values) ([]byte, error) {
	return c.do(ctx, http.MethodGet, path, query, nil, nil, true)
}

// GetJSON gets path and decodes its JSON answer into out: for the gateway's
// documents that are not API messages (GET /auth/cli).
func (c *Client) GetJSON(ctx context.Context, path string, out any) error {
	raw, err := c.do(ctx, http.MethodGet, path, nil, nil, nil, false)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("decode GET %s response: %w", path, err)
	}
	return nil
}

func (c *Client) do(ctx context.Context, method, path string, query url.Values, header http.Header, body []byte, withToken bool) ([]byte, error) {
	u := strings.TrimRight(c.BaseURL, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Accept", "application/json")
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if withToken && c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, &TransportError{URL: c.BaseURL, Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("read %s %s response: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		return nil, parseError(resp.StatusCode, raw)
	}
	return raw, nil
}

func parseError(status int, raw []byte) *APIError {
	var doc struct {
		Error struct {
			Code    string   `json:"code"`
			Message string   `json:"message"`
			Details []Detail `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil || doc.Error.Code == "" {
		// Not the gateway's shape (a proxy, a wrong URL): show what came back.
		msg := strings.TrimSpace(string(raw))
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
		if msg == "" {
			msg = http.StatusText(status)
		}
		return &APIError{Status: status, Code: "HTTP_" + fmt.Sprint(status), Message: msg}
	}
	return &APIError{Status: status, Code: doc.Error.Code, Message: doc.Error.Message, Details: doc.Error.Details}
}

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

func id(s string) string { return url.PathEscape(s) }

// RaiseWhistle is POST /v1/whistles; idempotencyKey makes retries safe.
func (c *Client) RaiseWhistle(ctx context.Context, req *intakev1.RaiseWhistleRequest, idempotencyKey string) (*intakev1.Whistle, []byte, error) {
	h := http.Header{}
	if idempotencyKey != "" {
		h.Set("Idempotency-Key", idempotencyKey)
	}
	out := &intakev1.Whistle{}
	raw, err := c.Call(ctx, http.MethodPost, "/v1/whistles", nil, h, req, out)
	return out, raw, err
}

// GetWhistle is GET /v1/whistles/{id}.
func (c *Client) GetWhistle(ctx context.Context, whistleID string) (*intakev1.Whistle, []byte, error) {
	out := &intakev1.Whistle{}
	raw, err := c.Call(ctx, http.MethodGet, "/v1/whistles/"+id(whistleID), nil, nil, nil, out)
	return out, raw, err
}

// ListWhistles is GET /v1/whistles.
func (c *Client) ListWhistles(ctx context.Context, streetID, status string, pageSize int, pageToken string) (*intakev1.ListWhistlesResponse, []byte, error) {
	q := url.Values{}
	setIf(q, "street_id", streetID)
	setIf(q, "status", status)
	setIf(q, "page_token", pageToken)
	if pageSize > 0 {
		q.Set("page_size", fmt.Sprint(pageSize))
	}
	out := &intakev1.ListWhistlesResponse{}
	raw, err := c.Call(ctx, http.MethodGet, "/v1/whistles", q, nil, nil, out)
	return out, raw, err
}

// Timeline is GET /v1/whistles/{id}/timeline.
func (c *Client) Timeline(ctx context.Context, whistleID string) (*feedbackv1.GetTimelineResponse, []byte, error) {
	out := &feedbackv1.GetTimelineResponse{}
	raw, err := c.Call(ctx, http.MethodGet, "/v1/whistles/"+id(whistleID)+"/timeline", nil, nil, nil, out)
	return out, raw, err
}

// CancelWhistle is POST /v1/whistles/{id}:cancel.
func (c *Client) CancelWhistle(ctx context.Context, whistleID, reason string) (*intakev1.Whistle, []byte, error) {
	return c.whistleAction(ctx, whistleID, "cancel", &intakev1.CancelWhistleRequest{Reason: reason})
}

// SubmitFeedback is POST /v1/whistles/{id}:feedback.
func (c *Client) SubmitFeedback(ctx context.Context, whistleID string, satisfaction int32, comment string) (*intakev1.Whistle, []byte, error) {
	return c.whistleAction(ctx, whistleID, "feedback", &intakev1.SubmitFeedbackRequest{Satisfaction: satisfaction, Comment: comment})
}

// ReopenWhistle is POST /v1/whistles/{id}:reopen.
func (c *Client) ReopenWhistle(ctx context.Context, whistleID, reason string) (*intakev1.Whistle, []byte, error) {
	return c.whistleAction(ctx, whistleID, "reopen", &intakev1.ReopenWhistleRequest{Reason: reason})
}

func (c *Client) whistleAction(ctx context.Context, whistleID, verb string, in proto.Message) (*intakev1.Whistle, []byte, error) {
	out := &intakev1.Whistle{}
	raw, err := c.Call(ctx, http.MethodPost, "/v1/whistles/"+id(whistleID)+":"+verb, nil, nil, in, out)
	return out, raw, err
}

// ListDispatches is GET /v1/dispatches: the caller's queue.
func (c *Client) ListDispatches(ctx context.Context, status, whistleID string, pageSize int, pageToken string) (*responsev1.ListDispatchesResponse, []byte, error) {
	q := url.Values{}
	setIf(q, "status", status)
	setIf(q, "whistle_id", whistleID)
	setIf(q, "page_token", pageToken)
	if pageSize > 0 {
		q.Set("page_size", fmt.Sprint(pageSize))
	}
	out := &responsev1.ListDispatchesResponse{}
	raw, err := c.Call(ctx, http.MethodGet, "/v1/dispatches", q, nil, nil, out)
	return out, raw, err
}

// GetDispatch is GET /v1/dispatches/{id}.
func (c *Client) GetDispatch(ctx context.Context, dispatchID string) (*responsev1.Dispatch, []byte, error) {
	out := &responsev1.Dispatch{}
	raw, err := c.Call(ctx, http.MethodGet, "/v1/dispatches/"+id(dispatchID), nil, nil, nil, out)
	return out, raw, err
}

// Acknowledge is POST /v1/dispatches/{id}:acknowledge (签收).
func (c *Client) Acknowledge(ctx context.Context, dispatchID string) (*responsev1.Dispatch, []byte, error) {
	return c.dispatchAction(ctx, dispatchID, "acknowledge", &responsev1.AcknowledgeDispatchRequest{})
}

// Arrive is POST /v1/dispatches/{id}:arrive (到场报到).
func (c *Client) Arrive(ctx context.Context, dispatchID string, in *responsev1.ArriveDispatchRequest) (*responsev1.Dispatch, []byte, error) {
	return c.dispatchAction(ctx, dispatchID, "arrive", in)
}

// Resolve is POST /v1/dispatches/{id}:resolve (办结).
func (c *Client) Resolve(ctx context.Context, dispatchID, summary string) (*responsev1.Dispatch, []byte, error) {
	return c.dispatchAction(ctx, dispatchID, "resolve", &responsev1.ResolveDispatchRequest{Summary: summary})
}

// Return is POST /v1/dispatches/{id}:return (退单); in names the reason code,
// the reason and, for NEEDS_ANOTHER_DEPARTMENT, the department.
func (c *Client) Return(ctx context.Context, dispatchID string, in *responsev1.ReturnDispatchRequest) (*responsev1.Dispatch, []byte, error) {
	return c.dispatchAction(ctx, dispatchID, "return", in)
}

func (c *Client) dispatchAction(ctx context.Context, dispatchID, verb string, in proto.Message) (*responsev1.Dispatch, []byte, error) {
	out := &responsev1.Dispatch{}
	raw, err := c.Call(ctx, http.MethodPost, "/v1/dispatches/"+id(dispatchID)+":"+verb, nil, nil, in, out)
	return out, raw, err
}

// ListCategories is GET /v1/categories.
func (c *Client) ListCategories(ctx context.Context) (*routingv1.ListCategoriesResponse, []byte, error) {
	out := &routingv1.ListCategoriesResponse{}
	raw, err := c.Call(ctx, http.MethodGet, "/v1/categories", nil, nil, nil, out)
	return out, raw, err
}

// ListDistricts is GET /v1/districts.
func (c *Client) ListDistricts(ctx context.Context) (*routingv1.ListDistrictsResponse, []byte, error) {
	out := &routingv1.ListDistrictsResponse{}
	raw, err := c.Call(ctx, http.MethodGet, "/v1/districts", nil, nil, nil, out)
	return out, raw, err
}

// ListStreets is GET /v1/streets, optionally of one district.
func (c *Client) ListStreets(ctx context.Context, district string) (*routingv1.ListStreetsResponse, []byte, error) {
	q := url.Values{}
	setIf(q, "district", district)
	out := &routingv1.ListStreetsResponse{}
	raw, err := c.Call(ctx, http.MethodGet, "/v1/streets", q, nil, nil, out)
	return out, raw, err
}

// ListDepartments is GET /v1/departments.
func (c *Client) ListDepartments(ctx context.Context) (*routingv1.ListDepartmentsResponse, []byte, error) {
	out := &routingv1.ListDepartmentsResponse{}
	raw, err := c.Call(ctx, http.MethodGet, "/v1/departments", nil, nil, nil, out)
	return out, raw, err
}

func setIf(q url.Values, key, val string) {
	if val != "" {
		q.Set(key, val)
	}
}
