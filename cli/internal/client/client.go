// Package client calls the Whistle gateway's REST API, the same contract any
// integration uses, and turns its error shape into *APIError. Every route
// whistlectl calls is one typed method here, in the file of the service that
// answers it (intake.go, routing.go, response.go, feedback.go; the gateway's
// own routes in edge.go): commands never build a path.
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

// call sends in (nil for no body) to method path?query and decodes the answer
// into out (nil to ignore it). It returns the raw response body too, for
// callers that print it verbatim.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, header http.Header, in, out proto.Message) ([]byte, error) {
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

// upload posts body, a file of type contentType, to path?query and decodes
// the answer into out; it returns the raw answer too.
func (c *Client) upload(ctx context.Context, path string, query url.Values, contentType string, body []byte, out proto.Message) ([]byte, error) {
	raw, err := c.do(ctx, http.MethodPost, path, query, http.Header{"Content-Type": {contentType}}, body, true)
	if err != nil {
		return nil, err
	}
	if err := unmarshal.Unmarshal(raw, out); err != nil {
		return raw, fmt.Errorf("decode POST %s response: %w", path, err)
	}
	return raw, nil
}

// download gets path?query, a document (a file, not an API message), with
// the token; errors come back in the API's shape.
func (c *Client) download(ctx context.Context, path string, query url.Values) ([]byte, error) {
	return c.do(ctx, http.MethodGet, path, query, nil, nil, true)
}

// getJSON gets path and decodes its JSON answer into out: for the gateway's
// documents that are not API messages (GET /auth/cli).
func (c *Client) getJSON(ctx context.Context, path string, out any) error {
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

// sendJSON is send for the gateway's routes that are plain JSON, not API
// messages (the grants of people signed in through the identity provider).
func sendJSON[T any](ctx context.Context, c *Client, method, path string, in any) (*T, []byte, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return nil, nil, fmt.Errorf("encode request: %w", err)
		}
	}
	raw, err := c.do(ctx, method, path, nil, nil, body, true)
	if err != nil {
		return nil, nil, err
	}
	out := new(T)
	if err := json.Unmarshal(raw, out); err != nil {
		return nil, raw, fmt.Errorf("decode %s %s response: %w", method, path, err)
	}
	return out, raw, nil
}

// send calls method path?query with in (nil for no body) and decodes the
// answer into a new T: the one shape of every typed method.
func send[T any, PT interface {
	*T
	proto.Message
}](ctx context.Context, c *Client, method, path string, query url.Values, in proto.Message) (PT, []byte, error) {
	out := PT(new(T))
	raw, err := c.call(ctx, method, path, query, nil, in, out)
	return out, raw, err
}

// id escapes one path segment.
func id(s string) string { return url.PathEscape(s) }

func setIf(q url.Values, key, val string) {
	if val != "" {
		q.Set(key, val)
	}
}
