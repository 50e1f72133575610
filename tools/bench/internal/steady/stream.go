package steady

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Watch reads the live stream (GET /v1/stream) with token and hands each
// dispatch.created to created with the time it was read. It returns once the
// stream is open (after the stream.ready event) and keeps reading in the
// background until ctx ends; errs receives the reason the stream ended early.
func (c *Client) Watch(ctx context.Context, token string, created func(Created, time.Time)) (<-chan error, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/stream", nil)
	if err != nil {
		return nil, fmt.Errorf("stream request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/event-stream")
	// The stream outlives any request timeout.
	resp, err := (&http.Client{Transport: c.http.Transport}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("open stream: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		_ = resp.Body.Close()
		return nil, fmt.Errorf("open stream: HTTP %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	// Wait for stream.ready so no whistle is raised before the stream starts.
	for sc.Scan() {
		if sc.Text() == "" {
			break
		}
	}
	errs := make(chan error, 1)
	go func() {
		defer func() { _ = resp.Body.Close() }()
		var event string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				event = ""
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "dispatch.created":
				var ev struct {
					DispatchID string `json:"dispatch_id"`
					WhistleID  string `json:"whistle_id"`
					Department string `json:"department"`
					DistrictID string `json:"district_id"`
				}
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev); err == nil && ev.WhistleID != "" {
					created(Created(ev), time.Now())
				}
			}
		}
		if ctx.Err() == nil {
			errs <- fmt.Errorf("stream ended early: %v", sc.Err())
		}
		close(errs)
	}()
	return errs, nil
}
