package desk

import (
	"context"
	"fmt"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/services/response/internal/response"
	"github.com/chuishao/whistle/services/response/internal/store"
)

// PendingExtension is an extension awaiting a decision, with its dispatch.
type PendingExtension struct {
	Extension response.Extension
	Dispatch  response.Dispatch
}

// PendingExtensions is a supervisor's queue of extension requests awaiting a
// decision across the dispatches of its district (every district for a city
// supervisor), the oldest request first, and the token of the next page.
func (s *Service) PendingExtensions(ctx context.Context, caller auth.Identity, size int, pageToken string) ([]PendingExtension, string, error) {
	scope, err := supervisorScope(caller)
	if err != nil {
		return nil, "", err
	}
	size, invalid := pageSize(size, nil)
	params := store.ListPendingExtensionsParams{DistrictID: scope.DistrictID, PageLimit: int32(size) + 1}
	if pageToken != "" {
		at, id, err := decodePageToken(pageToken)
		if err != nil {
			invalid = append(invalid, response.FieldError{Field: "page_token", Reason: "is not a token this service issued"})
		}
		params.AfterRequestedAt, params.AfterID = &at, id
	}
	if len(invalid) > 0 {
		return nil, "", invalid
	}
	rows, err := store.New(s.Pool).ListPendingExtensions(ctx, params)
	if err != nil {
		return nil, "", fmt.Errorf("list pending extensions: %w", err)
	}
	next := ""
	if len(rows) > size {
		rows = rows[:size]
		last := rows[len(rows)-1].Extension
		next = encodePageToken(last.RequestedAt, last.ID)
	}
	out := make([]PendingExtension, 0, len(rows))
	for _, row := range rows {
		e, err := row.Extension.Domain()
		if err != nil {
			return nil, "", err
		}
		d, err := row.Dispatch.Domain()
		if err != nil {
			return nil, "", err
		}
		out = append(out, PendingExtension{Extension: e, Dispatch: d})
	}
	return out, next, nil
}

// pageSize is the page size asked for, defaulted and capped at MaxPageSize;
// a negative one adds a field error to invalid.
func pageSize(size int, invalid response.InvalidError) (int, response.InvalidError) {
	switch {
	case size < 0:
		invalid = append(invalid, response.FieldError{Field: "page_size", Reason: "must not be negative"})
	case size == 0:
		size = DefaultPageSize
	case size > MaxPageSize:
		size = MaxPageSize
	}
	return size, invalid
}
