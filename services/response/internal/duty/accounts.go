package duty

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/services/response/internal/dutystore"
	"github.com/chuishao/whistle/services/response/internal/response"
)

// SubjectPrefix begins the subject of every service-account token; the rest
// is the account id.
const SubjectPrefix = auth.ServiceAccountPrefix

// Token lifetimes of service accounts.
const (
	DefaultTokenTTL = 90 * 24 * time.Hour
	MaxTokenTTL     = 366 * 24 * time.Hour
)

// Account is a department's system acting as its desk in one district.
type Account struct {
	ID, Name, Department, DistrictID string
	CreatedBy                        string
	CreatedAt, ExpiresAt             time.Time
	RevokedAt                        *time.Time
	RevokedBy                        string
}

func accountOf(r dutystore.ServiceAccount) Account {
	a := Account{
		ID: r.ID, Name: r.Name, Department: r.Department, DistrictID: r.DistrictID, CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), RevokedBy: r.RevokedBy,
	}
	if r.RevokedAt != nil {
		t := r.RevokedAt.UTC()
		a.RevokedAt = &t
	}
	return a
}

// NewAccount is what an admin asks for.
type NewAccount struct {
	Name, Department, DistrictID string
	TTL                          time.Duration
}

// CreateAccount issues a service account and its token: a desk token of the
// department and district whose subject is "sa:<id>". The token is returned
// once and not stored; revoking the account stops it everywhere within
// seconds. Only admins issue accounts: a supervisor audits the desks and must
// not hold a desk's credentials.
func (s *Service) CreateAccount(ctx context.Context, caller auth.Identity, req NewAccount) (Account, string, error) {
	if caller.Role != auth.RoleAdmin {
		return Account{}, "", fmt.Errorf("%w: only admins issue service accounts, not role %q", response.ErrPermission, caller.Role)
	}
	req.Name = strings.TrimSpace(req.Name)
	var invalid response.InvalidError
	if req.Name == "" || utf8.RuneCountInString(req.Name) > maxNameRunes {
		invalid = append(invalid, response.FieldError{Field: "name", Reason: fmt.Sprintf("is required, at most %d characters", maxNameRunes)})
	}
	checkDesk(&invalid, "", req.Department, req.DistrictID)
	switch {
	case req.TTL == 0:
		req.TTL = DefaultTokenTTL
	case req.TTL < time.Minute || req.TTL > MaxTokenTTL:
		invalid = append(invalid, response.FieldError{Field: "ttl", Reason: "must be between 1 minute and 366 days"})
	}
	if len(invalid) > 0 {
		return Account{}, "", invalid
	}
	if s.Signer == nil {
		return Account{}, "", ErrNoSigner
	}
	now := s.Clock.Now()
	var row dutystore.ServiceAccount
	// In a transaction, so that the admin action's audit record joins it.
	err := postgres.InTx(ctx, s.Pool, func(tx pgx.Tx) (err error) {
		row, err = dutystore.New(tx).AddServiceAccount(ctx, dutystore.AddServiceAccountParams{
			ID: uuid.Must(uuid.NewV7()).String(), Name: req.Name, Department: req.Department, DistrictID: req.DistrictID,
			CreatedBy: caller.Subject, CreatedAt: now, ExpiresAt: now.Add(req.TTL),
		})
		return err
	})
	if err != nil {
		return Account{}, "", fmt.Errorf("add service account: %w", err)
	}
	token, err := s.Signer.Sign(auth.Identity{
		Role: auth.RoleDesk, Department: row.Department, DistrictID: row.DistrictID, Subject: SubjectPrefix + row.ID,
	}, now, req.TTL)
	if err != nil {
		return Account{}, "", fmt.Errorf("sign service account token: %w", err)
	}
	return accountOf(row), token, nil
}

// Accounts lists the service accounts in the caller's scope.
func (s *Service) Accounts(ctx context.Context, caller auth.Identity, district string) ([]Account, error) {
	scope, err := adminScope(caller)
	if err != nil {
		return nil, err
	}
	district, ok := narrow(scope, district)
	if !ok {
		return nil, nil
	}
	rows, err := dutystore.New(s.Pool).ListServiceAccounts(ctx, district)
	if err != nil {
		return nil, fmt.Errorf("list service accounts: %w", err)
	}
	out := make([]Account, len(rows))
	for i, r := range rows {
		out[i] = accountOf(r)
	}
	return out, nil
}

// RevokeAccount revokes an account in the caller's scope; revoking twice keeps
// the first revocation.
func (s *Service) RevokeAccount(ctx context.Context, caller auth.Identity, id string) (Account, error) {
	scope, err := adminScope(caller)
	if err != nil {
		return Account{}, err
	}
	var row dutystore.ServiceAccount
	// In a transaction, so that the admin action's audit record joins it;
	// the revocation is announced once that transaction has ended.
	err = postgres.InTx(ctx, s.Pool, func(tx pgx.Tx) (err error) {
		row, err = dutystore.New(tx).RevokeServiceAccount(ctx, dutystore.RevokeServiceAccountParams{
			ID: id, Now: s.Clock.Now(), RevokedBy: caller.Subject, DistrictID: scope,
		})
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Account{}, ErrAccountNotFound
	}
	if err != nil {
		return Account{}, fmt.Errorf("revoke service account %s: %w", id, err)
	}
	if s.Revoked != nil {
		postgres.AfterTx(ctx, s.Revoked)
	}
	return accountOf(row), nil
}

// RevokedAccounts lists the revoked accounts whose tokens have not all
// expired: what every service must refuse.
func (s *Service) RevokedAccounts(ctx context.Context) ([]string, error) {
	ids, err := dutystore.New(s.Pool).ListRevokedServiceAccounts(ctx, s.Clock.Now())
	if err != nil {
		return nil, fmt.Errorf("list revoked service accounts: %w", err)
	}
	return ids, nil
}

// CheckAccount lets every caller through but a service account that is
// revoked, unknown here or scoped otherwise than its token: those are
// ErrRevoked. The token's signature and expiry were checked already.
func (s *Service) CheckAccount(ctx context.Context, caller auth.Identity) error {
	id, ok := strings.CutPrefix(caller.Subject, SubjectPrefix)
	if !ok {
		return nil
	}
	row, err := dutystore.New(s.Pool).GetServiceAccount(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrRevoked
	}
	if err != nil {
		return fmt.Errorf("check service account %s: %w", id, err)
	}
	if row.RevokedAt != nil || row.Department != caller.Department || row.DistrictID != caller.DistrictID || caller.Role != auth.RoleDesk {
		return ErrRevoked
	}
	return nil
}
