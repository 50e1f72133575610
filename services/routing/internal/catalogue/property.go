package catalogue

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

var (
	communityCode = regexp.MustCompile(`^\d{12}$`)
	districtCode  = regexp.MustCompile(`^\d{6}$`)
)

// PropertyCompany is a property company to save and the communities it serves.
type PropertyCompany struct {
	Code, Name, NameEn string
	Communities        []string
}

// SavePropertyCompany adds or renames a property company and makes it the
// property company of the communities it lists. The jurisdiction caches of
// every replica see the registry's new generation with their next batch.
func (s *Service) SavePropertyCompany(ctx context.Context, caller auth.Identity, p PropertyCompany) (store.ListPropertyCompaniesRow, error) {
	var v routing.Violations
	_, committee := routing.CommunityOfCommittee(p.Code)
	switch {
	case !departmentCode.MatchString(p.Code):
		v.Add("code", "must be 2 to 40 lower-case letters, digits or hyphens, beginning with a letter")
	case p.Code == routing.PropertyParty || p.Code == routing.CommitteeParty || strings.HasPrefix(p.Code, "cc-") || committee:
		v.Addf("code", "%q is reserved for the community parties' desks", p.Code)
	}
	name, nameEn := checkNames(&v, p.Name, p.NameEn)
	seen := map[string]int{}
	for i, c := range p.Communities {
		f := fmt.Sprintf("community_codes[%d]", i)
		if !communityCode.MatchString(c) {
			v.Add(f, "must be a twelve-digit community code")
		} else if j, dup := seen[c]; dup {
			v.Addf(f, "%s is listed twice (community_codes[%d])", c, j)
		}
		seen[c] = i
	}
	if err := v.Err(); err != nil {
		return store.ListPropertyCompaniesRow{}, err
	}
	var out store.ListPropertyCompaniesRow
	err := postgres.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		if err := checkCommunities(ctx, q, p.Communities); err != nil {
			return err
		}
		at := s.now()
		row, err := q.SavePropertyCompany(ctx, store.SavePropertyCompanyParams{
			Code: p.Code, Name: name, NameEn: nameEn, EditedAt: at, EditedBy: caller.Subject,
		})
		if errors.Is(err, pgx.ErrNoRows) {
			return routing.Invalid("code", "%q is a department's code, not a property company's", p.Code)
		}
		if err != nil {
			return fmt.Errorf("save property company %s: %w", p.Code, err)
		}
		if len(p.Communities) > 0 {
			if _, err := q.AssignCommunityProperties(ctx, store.AssignCommunityPropertiesParams{
				CommunityCodes: p.Communities, Department: p.Code, RegisteredAt: at, RegisteredBy: caller.Subject,
			}); err != nil {
				return fmt.Errorf("register property company %s: %w", p.Code, err)
			}
		}
		if err := q.BumpCommunityGeneration(ctx); err != nil {
			return fmt.Errorf("register property company %s: %w", p.Code, err)
		}
		out, err = propertyCompany(ctx, q, row.Code)
		return err
	})
	return out, err
}

// checkCommunities refuses codes that are no official community, naming each.
func checkCommunities(ctx context.Context, q *store.Queries, codes []string) error {
	if len(codes) == 0 {
		return nil
	}
	rows, err := q.OfficialCommunities(ctx, codes)
	if err != nil {
		return fmt.Errorf("official communities: %w", err)
	}
	known := make(map[string]bool, len(rows))
	for _, r := range rows {
		known[r.Code] = true
	}
	var v routing.Violations
	for i, c := range codes {
		if !known[c] {
			v.Addf(fmt.Sprintf("community_codes[%d]", i), "%s is no official community (社区/村)", c)
		}
	}
	return v.Err()
}

func propertyCompany(ctx context.Context, q *store.Queries, code string) (store.ListPropertyCompaniesRow, error) {
	rows, err := q.ListPropertyCompanies(ctx, "")
	if err != nil {
		return store.ListPropertyCompaniesRow{}, fmt.Errorf("property companies: %w", err)
	}
	for _, r := range rows {
		if r.Code == code {
			return r, nil
		}
	}
	return store.ListPropertyCompaniesRow{}, fmt.Errorf("property company %s: %w", code, routing.ErrNotFound)
}

// PropertyCompanies lists the property companies, of one district's
// communities when district is set.
func (s *Service) PropertyCompanies(ctx context.Context, district string) ([]store.ListPropertyCompaniesRow, error) {
	if district != "" && !districtCode.MatchString(district) {
		return nil, routing.Invalid("district", "must be a six-digit district code")
	}
	rows, err := s.q().ListPropertyCompanies(ctx, district)
	if err != nil {
		return nil, fmt.Errorf("property companies: %w", err)
	}
	return rows, nil
}
