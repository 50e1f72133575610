package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"google.golang.org/protobuf/proto"

	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
)

// ListDispatches is GET /v1/dispatches: the caller's queue.
func (c *Client) ListDispatches(ctx context.Context, status, whistleID string, pageSize int, pageToken string) (*responsev1.ListDispatchesResponse, []byte, error) {
	q := url.Values{}
	setIf(q, "status", status)
	setIf(q, "whistle_id", whistleID)
	setIf(q, "page_token", pageToken)
	if pageSize > 0 {
		q.Set("page_size", fmt.Sprint(pageSize))
	}
	return send[responsev1.ListDispatchesResponse](ctx, c, http.MethodGet, "/v1/dispatches", q, nil)
}

// GetDispatch is GET /v1/dispatches/{id}.
func (c *Client) GetDispatch(ctx context.Context, dispatchID string) (*responsev1.Dispatch, []byte, error) {
	return send[responsev1.Dispatch](ctx, c, http.MethodGet, "/v1/dispatches/"+id(dispatchID), nil, nil)
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

// Escalate is POST /v1/dispatches/{id}:escalate (催办 → 督办 → 挂牌督办).
func (c *Client) Escalate(ctx context.Context, dispatchID, reason string) (*responsev1.Dispatch, []byte, error) {
	return c.dispatchAction(ctx, dispatchID, "escalate", &responsev1.EscalateDispatchRequest{Reason: reason})
}

// RequestExtension is POST /v1/dispatches/{id}:requestExtension (申请延期).
func (c *Client) RequestExtension(ctx context.Context, dispatchID string, in *responsev1.RequestExtensionRequest) (*responsev1.Dispatch, []byte, error) {
	return c.dispatchAction(ctx, dispatchID, "requestExtension", in)
}

// DecideExtension is POST /v1/dispatches/{id}:decideExtension (延期审批).
func (c *Client) DecideExtension(ctx context.Context, dispatchID string, in *responsev1.DecideExtensionRequest) (*responsev1.Dispatch, []byte, error) {
	return c.dispatchAction(ctx, dispatchID, "decideExtension", in)
}

func (c *Client) dispatchAction(ctx context.Context, dispatchID, verb string, in proto.Message) (*responsev1.Dispatch, []byte, error) {
	return send[responsev1.Dispatch](ctx, c, http.MethodPost, "/v1/dispatches/"+id(dispatchID)+":"+verb, nil, in)
}

// ListPendingExtensions is GET /v1/extensions/pending: the supervisor's 延期 queue.
func (c *Client) ListPendingExtensions(ctx context.Context, pageSize int, pageToken string) (*responsev1.ListPendingExtensionsResponse, []byte, error) {
	q := url.Values{}
	setIf(q, "page_token", pageToken)
	if pageSize > 0 {
		q.Set("page_size", fmt.Sprint(pageSize))
	}
	return send[responsev1.ListPendingExtensionsResponse](ctx, c, http.MethodGet, "/v1/extensions/pending", q, nil)
}

// ListWebhookAttempts is GET /v1/dispatches/{id}/webhook-attempts.
func (c *Client) ListWebhookAttempts(ctx context.Context, dispatchID string) (*responsev1.ListWebhookAttemptsResponse, []byte, error) {
	return send[responsev1.ListWebhookAttemptsResponse](ctx, c, http.MethodGet, "/v1/dispatches/"+id(dispatchID)+"/webhook-attempts", nil, nil)
}

// ListPolicies is GET /v1/sla/policies.
func (c *Client) ListPolicies(ctx context.Context) (*responsev1.ListPoliciesResponse, []byte, error) {
	return send[responsev1.ListPoliciesResponse](ctx, c, http.MethodGet, "/v1/sla/policies", nil, nil)
}

// SetPolicy is POST /v1/sla/policies: one category × district override (admins).
func (c *Client) SetPolicy(ctx context.Context, p *responsev1.Policy) (*responsev1.Policy, []byte, error) {
	return send[responsev1.Policy](ctx, c, http.MethodPost, "/v1/sla/policies", nil, p)
}

// ListCalendarDays is GET /v1/sla/calendar/{year}.
func (c *Client) ListCalendarDays(ctx context.Context, year int) (*responsev1.ListCalendarDaysResponse, []byte, error) {
	return send[responsev1.ListCalendarDaysResponse](ctx, c, http.MethodGet, "/v1/sla/calendar/"+strconv.Itoa(year), nil, nil)
}

// SetCalendarDay is PUT /v1/sla/calendar/days/{date}: a holiday or make-up working day (admins).
func (c *Client) SetCalendarDay(ctx context.Context, day *responsev1.CalendarDay) (*responsev1.CalendarDay, []byte, error) {
	return send[responsev1.CalendarDay](ctx, c, http.MethodPut, "/v1/sla/calendar/days/"+id(day.GetDate()), nil, day)
}

// DeleteCalendarDay is DELETE /v1/sla/calendar/days/{date}.
func (c *Client) DeleteCalendarDay(ctx context.Context, date string) ([]byte, error) {
	return c.call(ctx, http.MethodDelete, "/v1/sla/calendar/days/"+id(date), nil, nil, nil, nil)
}

// ListShifts is GET /v1/roster/shifts.
func (c *Client) ListShifts(ctx context.Context, q url.Values) (*responsev1.ListShiftsResponse, []byte, error) {
	return send[responsev1.ListShiftsResponse](ctx, c, http.MethodGet, "/v1/roster/shifts", q, nil)
}

// AddShift is POST /v1/roster/shifts.
func (c *Client) AddShift(ctx context.Context, shift *responsev1.Shift) (*responsev1.Shift, []byte, error) {
	return send[responsev1.Shift](ctx, c, http.MethodPost, "/v1/roster/shifts", nil, shift)
}

// DeleteShift is DELETE /v1/roster/shifts/{id}.
func (c *Client) DeleteShift(ctx context.Context, shiftID string) ([]byte, error) {
	return c.call(ctx, http.MethodDelete, "/v1/roster/shifts/"+id(shiftID), nil, nil, nil, nil)
}

// DeskHeartbeat is POST /v1/desk/heartbeat.
func (c *Client) DeskHeartbeat(ctx context.Context, desk string) (*responsev1.DeskHeartbeatResponse, []byte, error) {
	return send[responsev1.DeskHeartbeatResponse](ctx, c, http.MethodPost, "/v1/desk/heartbeat", nil, &responsev1.DeskHeartbeatRequest{Desk: desk})
}

// ListDeskHeartbeats is GET /v1/desk/heartbeats.
func (c *Client) ListDeskHeartbeats(ctx context.Context, q url.Values) (*responsev1.ListDeskHeartbeatsResponse, []byte, error) {
	return send[responsev1.ListDeskHeartbeatsResponse](ctx, c, http.MethodGet, "/v1/desk/heartbeats", q, nil)
}

// ListWebhookEndpoints is GET /v1/webhooks/endpoints.
func (c *Client) ListWebhookEndpoints(ctx context.Context, q url.Values) (*responsev1.ListWebhookEndpointsResponse, []byte, error) {
	return send[responsev1.ListWebhookEndpointsResponse](ctx, c, http.MethodGet, "/v1/webhooks/endpoints", q, nil)
}

// CreateWebhookEndpoint is POST /v1/webhooks/endpoints.
func (c *Client) CreateWebhookEndpoint(ctx context.Context, req *responsev1.CreateWebhookEndpointRequest) (*responsev1.WebhookEndpoint, []byte, error) {
	return send[responsev1.WebhookEndpoint](ctx, c, http.MethodPost, "/v1/webhooks/endpoints", nil, req)
}

// UpdateWebhookEndpoint is PATCH /v1/webhooks/endpoints/{id}.
func (c *Client) UpdateWebhookEndpoint(ctx context.Context, endpointID int64, req *responsev1.UpdateWebhookEndpointRequest) (*responsev1.WebhookEndpoint, []byte, error) {
	return send[responsev1.WebhookEndpoint](ctx, c, http.MethodPatch, "/v1/webhooks/endpoints/"+strconv.FormatInt(endpointID, 10), nil, req)
}

// DeleteWebhookEndpoint is DELETE /v1/webhooks/endpoints/{id}.
func (c *Client) DeleteWebhookEndpoint(ctx context.Context, endpointID string) ([]byte, error) {
	return c.call(ctx, http.MethodDelete, "/v1/webhooks/endpoints/"+id(endpointID), nil, nil, nil, nil)
}

// ListWebhookDeadLetters is GET /v1/webhooks/dead-letters.
func (c *Client) ListWebhookDeadLetters(ctx context.Context, q url.Values) (*responsev1.ListWebhookDeadLettersResponse, []byte, error) {
	return send[responsev1.ListWebhookDeadLettersResponse](ctx, c, http.MethodGet, "/v1/webhooks/dead-letters", q, nil)
}

// ReplayWebhookDeadLetter is POST /v1/webhooks/dead-letters/{id}:replay.
func (c *Client) ReplayWebhookDeadLetter(ctx context.Context, deadLetterID string) (*responsev1.ReplayWebhookDeadLetterResponse, []byte, error) {
	return send[responsev1.ReplayWebhookDeadLetterResponse](ctx, c, http.MethodPost, "/v1/webhooks/dead-letters/"+id(deadLetterID)+":replay", nil,
		&responsev1.ReplayWebhookDeadLetterRequest{})
}

// ListServiceAccounts is GET /v1/service-accounts.
func (c *Client) ListServiceAccounts(ctx context.Context, district string) (*responsev1.ListServiceAccountsResponse, []byte, error) {
	q := url.Values{}
	setIf(q, "district_id", district)
	return send[responsev1.ListServiceAccountsResponse](ctx, c, http.MethodGet, "/v1/service-accounts", q, nil)
}

// CreateServiceAccount is POST /v1/service-accounts.
func (c *Client) CreateServiceAccount(ctx context.Context, req *responsev1.CreateServiceAccountRequest) (*responsev1.CreateServiceAccountResponse, []byte, error) {
	return send[responsev1.CreateServiceAccountResponse](ctx, c, http.MethodPost, "/v1/service-accounts", nil, req)
}

// RevokeServiceAccount is POST /v1/service-accounts/{id}:revoke.
func (c *Client) RevokeServiceAccount(ctx context.Context, accountID string) (*responsev1.ServiceAccount, []byte, error) {
	return send[responsev1.ServiceAccount](ctx, c, http.MethodPost, "/v1/service-accounts/"+id(accountID)+":revoke", nil,
		&responsev1.RevokeServiceAccountRequest{})
}

// WhistleBoard is GET /v1/whistles/{id}/board: the joint board (联合执法) of a whistle.
func (c *Client) WhistleBoard(ctx context.Context, whistleID string) (*responsev1.WhistleBoard, []byte, error) {
	return send[responsev1.WhistleBoard](ctx, c, http.MethodGet, "/v1/whistles/"+id(whistleID)+"/board", nil, nil)
}

// AddBoardNote is POST /v1/whistles/{id}/board/notes.
func (c *Client) AddBoardNote(ctx context.Context, whistleID, text string) (*responsev1.BoardNote, []byte, error) {
	return send[responsev1.BoardNote](ctx, c, http.MethodPost, "/v1/whistles/"+id(whistleID)+"/board/notes", nil,
		&responsev1.AddBoardNoteRequest{Text: text})
}

// CompleteJointAction is POST /v1/whistles/{id}/board:complete: the lead department marks the joint action done.
func (c *Client) CompleteJointAction(ctx context.Context, whistleID string) (*responsev1.WhistleBoard, []byte, error) {
	return send[responsev1.WhistleBoard](ctx, c, http.MethodPost, "/v1/whistles/"+id(whistleID)+"/board:complete", nil,
		&responsev1.CompleteJointActionRequest{})
}

// DispatchesAtRisk is GET /v1/risk/dispatches: open dispatches near or past a deadline.
func (c *Client) DispatchesAtRisk(ctx context.Context, q url.Values) (*responsev1.ListDispatchesAtRiskResponse, []byte, error) {
	return send[responsev1.ListDispatchesAtRiskResponse](ctx, c, http.MethodGet, "/v1/risk/dispatches", q, nil)
}

// DispatchForm is GET /v1/dispatches/{id}/order.pdf (派单单) or, with
// notice, /supervision-notice.pdf (督办通知书). whistleID, when set, names
// the whistle the dispatch belongs to: how a street that raised it prints
// its order.
func (c *Client) DispatchForm(ctx context.Context, dispatchID, whistleID string, notice bool) ([]byte, error) {
	name := "/order.pdf"
	if notice {
		name = "/supervision-notice.pdf"
	}
	q := url.Values{}
	setIf(q, "whistle_id", whistleID)
	return c.download(ctx, "/v1/dispatches/"+id(dispatchID)+name, q)
}

// SetDispatchEta is POST /v1/dispatches/{id}:setEta: the desk's own ETA for
// arriving (报预计到场).
func (c *Client) SetDispatchEta(ctx context.Context, dispatchID string, in *responsev1.SetDispatchEtaRequest) (*responsev1.DeskEta, []byte, error) {
	return send[responsev1.DeskEta](ctx, c, http.MethodPost, "/v1/dispatches/"+id(dispatchID)+":setEta", nil, in)
}

// ListChannels is GET /v1/channels: the channels to people on duty (SMS, e-mail, robots).
func (c *Client) ListChannels(ctx context.Context, q url.Values) (*responsev1.ListChannelsResponse, []byte, error) {
	return send[responsev1.ListChannelsResponse](ctx, c, http.MethodGet, "/v1/channels", q, nil)
}

// CreateChannel is POST /v1/channels (admins).
func (c *Client) CreateChannel(ctx context.Context, req *responsev1.CreateChannelRequest) (*responsev1.Channel, []byte, error) {
	return send[responsev1.Channel](ctx, c, http.MethodPost, "/v1/channels", nil, req)
}

// UpdateChannel is PATCH /v1/channels/{id} (admins).
func (c *Client) UpdateChannel(ctx context.Context, channelID int64, req *responsev1.UpdateChannelRequest) (*responsev1.Channel, []byte, error) {
	return send[responsev1.Channel](ctx, c, http.MethodPatch, "/v1/channels/"+strconv.FormatInt(channelID, 10), nil, req)
}

// DeleteChannel is DELETE /v1/channels/{id} (admins).
func (c *Client) DeleteChannel(ctx context.Context, channelID string) ([]byte, error) {
	return c.call(ctx, http.MethodDelete, "/v1/channels/"+id(channelID), nil, nil, nil, nil)
}
