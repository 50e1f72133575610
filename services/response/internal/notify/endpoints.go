package notify

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/services/response/internal/dutystore"
	"github.com/chuishao/whistle/services/response/internal/response"
)

// ErrEndpointNotFound is an unknown endpoint or one outside the caller's scope.
var ErrEndpointNotFound = errors.New("webhook endpoint not found")

// ErrEndpointExists is an endpoint added twice (same department, district and URL).
var ErrEndpointExists = errors.New("webhook endpoint already exists")

// DefaultSecretOverlap is how long a replaced secret keeps signing beside the new one.
const DefaultSecretOverlap = 24 * time.Hour

// ManagedEndpoint is an endpoint as the API shows it: never with its secret.
type ManagedEndpoint struct {
	ID                   int64
	Department, District string
	URL                  string
	Enabled              bool
	// Source is env (WHISTLE_WEBHOOKS) or api.
	Source    string
	CreatedAt time.Time
	UpdatedAt *time.Time
	// PreviousSecretExpiresAt, while in the future, is when the secret that
	// the last rotation replaced stops signing beside the current one.
	PreviousSecretExpiresAt *time.Time
}

// EndpointChange is what an update changes; nil fields stay.
type EndpointChange struct {
	URL, Secret *string
	Enabled     *bool
	// SecretOverlap is how long the replaced secret keeps signing beside a
	// new Secret (nil: the Endpoints' SecretOverlap; 0: it stops at once).
	SecretOverlap *time.Duration
}

// Endpoints manages webhook endpoints through the API. Only admins change
// them (an endpoint decides where the service sends requests from inside the
// deployment); supervisors may list their district's. Secrets are write-only:
// stored, used to sign, and never returned or logged.
type Endpoints struct {
	Pool  *pgxpool.Pool
	Clock clock.Clock
	// Egress refuses at once a URL that no delivery could reach.
	Egress Egress
	// Subscriptions are reloaded after each change.
	Subscriptions *Subscriptions
	// SecretOverlap is how long a replaced secret keeps signing beside the
	// new one unless a change says otherwise (0: DefaultSecretOverlap).
	SecretOverlap time.Duration
}

// requireAdmin refuses every caller but an admin; what names what is managed.
func requireAdmin(caller auth.Identity, what string) error {
	if caller.Role != auth.RoleAdmin {
		return fmt.Errorf("%w: %s are managed by admins", response.ErrPermission, what)
	}
	return nil
}

var (
	endpointDepartment = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)
	endpointDistrict   = regexp.MustCompile(`^[0-9]{6}$`)
)

func checkSecret(invalid *response.InvalidError, secret string) {
	if err := CheckSecret(secret); err != nil {
		*invalid = append(*invalid, response.FieldError{Field: "secret", Reason: err.Error()})
	}
}

func (e *Endpoints) checkURL(invalid *response.InvalidError, u string) {
	switch {
	case !isHTTPURL(u) || len(u) > 2048:
		*invalid = append(*invalid, response.FieldError{Field: "url", Reason: "must be an absolute http(s) URL"})
	case e.Egress.CheckURL(u) != nil:
		*invalid = append(*invalid, response.FieldError{Field: "url",
			Reason: "destination not allowed: loopback, private, link-local and cluster addresses are refused unless WHISTLE_WEBHOOK_ALLOW lists them"})
	}
}

// errConfiguredURL refuses retargeting an endpoint of WHISTLE_WEBHOOKS.
var errConfiguredURL = response.InvalidError{{Field: "url",
	Reason: "this endpoint is configured by WHISTLE_WEBHOOKS; change its URL in the service's configuration"}}

type endpointRow struct {
	ID         int64
	Department string
	DistrictID string
	Url        string
	Enabled    bool
	Source     string
	CreatedAt  time.Time
	UpdatedAt  *time.Time
	// PreviousSecretExpiresAt is set by every rotation.
	PreviousSecretExpiresAt *time.Time
}

func managed(r endpointRow, now time.Time) ManagedEndpoint {
	m := ManagedEndpoint{
		ID: r.ID, Department: r.Department, District: r.DistrictID, URL: r.Url, Enabled: r.Enabled,
		Source: r.Source, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt,
	}
	if r.PreviousSecretExpiresAt != nil && r.PreviousSecretExpiresAt.After(now) {
		at := r.PreviousSecretExpiresAt.UTC()
		m.PreviousSecretExpiresAt = &at
	}
	return m
}

// List returns the endpoints in the caller's scope.
func (e *Endpoints) List(ctx context.Context, caller auth.Identity, department, district string) ([]ManagedEndpoint, error) {
	district, ok, err := Scope(caller, district)
	if err != nil || !ok {
		return nil, err
	}
	rows, err := dutystore.New(e.Pool).ListEndpoints(ctx, dutystore.ListEndpointsParams{DistrictID: district, Department: department})
	if err != nil {
		return nil, fmt.Errorf("list webhook endpoints: %w", err)
	}
	out := make([]ManagedEndpoint, len(rows))
	for i, r := range rows {
		out[i] = managed(endpointRow(r), e.Clock.Now())
	}
	return out, nil
}

// Create adds an endpoint of a department in a district.
func (e *Endpoints) Create(ctx context.Context, caller auth.Identity, department, district, url, secret string) (ManagedEndpoint, error) {
	if err := requireAdmin(caller, "webhook endpoints"); err != nil {
		return ManagedEndpoint{}, err
	}
	var invalid response.InvalidError
	if !endpointDepartment.MatchString(department) {
		invalid = append(invalid, response.FieldError{Field: "department", Reason: "must be a department code such as police"})
	}
	if !endpointDistrict.MatchString(district) {
		invalid = append(invalid, response.FieldError{Field: "district_id", Reason: "must be a six-digit district code"})
	}
	e.checkURL(&invalid, url)
	checkSecret(&invalid, secret)
	if len(invalid) > 0 {
		return ManagedEndpoint{}, invalid
	}
	var row dutystore.AddEndpointRow
	err := e.Subscriptions.change(ctx, func() (err error) {
		return postgres.InTx(ctx, e.Pool, func(tx pgx.Tx) (err error) {
			row, err = dutystore.New(tx).AddEndpoint(ctx, dutystore.AddEndpointParams{
				Department: department, DistrictID: district, Url: url, Secret: secret, Now: e.Clock.Now(),
			})
			return err
		})
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return ManagedEndpoint{}, ErrEndpointExists
	}
	if err != nil {
		return ManagedEndpoint{}, fmt.Errorf("add webhook endpoint: %w", err)
	}
	return managed(endpointRow(row), e.Clock.Now()), nil
}

// Update changes an endpoint. The URL of an endpoint of WHISTLE_WEBHOOKS
// stays what the configuration says.
func (e *Endpoints) Update(ctx context.Context, caller auth.Identity, id int64, ch EndpointChange) (ManagedEndpoint, error) {
	if err := requireAdmin(caller, "webhook endpoints"); err != nil {
		return ManagedEndpoint{}, err
	}
	var invalid response.InvalidError
	if ch.URL != nil {
		e.checkURL(&invalid, *ch.URL)
	}
	if ch.Secret != nil {
		checkSecret(&invalid, *ch.Secret)
	}
	if ch.SecretOverlap != nil && ch.Secret == nil {
		invalid = append(invalid, response.FieldError{Field: "secret_overlap", Reason: "only with a new secret"})
	}
	if len(invalid) > 0 {
		return ManagedEndpoint{}, invalid
	}
	overlap := e.SecretOverlap
	if overlap <= 0 {
		overlap = DefaultSecretOverlap
	}
	if ch.SecretOverlap != nil {
		overlap = max(*ch.SecretOverlap, 0)
	}
	now := e.Clock.Now()
	var out ManagedEndpoint
	err := e.Subscriptions.change(ctx, func() error {
		return postgres.InTx(ctx, e.Pool, func(tx pgx.Tx) error {
			row, err := dutystore.New(tx).UpdateEndpoint(ctx, dutystore.UpdateEndpointParams{
				ID: id, Url: optText(ch.URL), Secret: optText(ch.Secret), Enabled: optBool(ch.Enabled), Now: now,
				PreviousUntil: now.Add(overlap),
			})
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrEndpointNotFound
			}
			if err != nil {
				return fmt.Errorf("update webhook endpoint %d: %w", id, err)
			}
			if row.Source == "env" && ch.URL != nil {
				return errConfiguredURL // rolls the update back
			}
			out = managed(endpointRow(row), now)
			return nil
		})
	})
	return out, err
}

// Delete removes an endpoint with its deliveries.
func (e *Endpoints) Delete(ctx context.Context, caller auth.Identity, id int64) error {
	if err := requireAdmin(caller, "webhook endpoints"); err != nil {
		return err
	}
	var n int64
	err := e.Subscriptions.change(ctx, func() (err error) {
		return postgres.InTx(ctx, e.Pool, func(tx pgx.Tx) (err error) {
			n, err = dutystore.New(tx).DeleteEndpoint(ctx, dutystore.DeleteEndpointParams{ID: id})
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("delete webhook endpoint %d: %w", id, err)
	}
	if n == 0 {
		return ErrEndpointNotFound
	}
	return nil
}

func optText(p *string) pgtype.Text {
	if p == nil {
		return pgtype.Text{}
	}
	return pgtype.Text{String: *p, Valid: true}
}

func optBool(p *bool) pgtype.Bool {
	if p == nil {
		return pgtype.Bool{}
	}
	return pgtype.Bool{Bool: *p, Valid: true}
}
