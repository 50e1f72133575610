// Package seed loads the Beijing reference data set (districts, streets with
// boundaries, departments and the routing catalogue) into the routing schema.
package seed

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

//go:embed beijing.json
var beijingJSON []byte

// Data is the reference data set as the seed file spells it.
type Data struct {
	Districts   []District   `json:"districts"`
	Streets     []Street     `json:"streets"`
	Departments []Department `json:"departments"`
	Categories  []Category   `json:"categories"`
}

// LatLng is a WGS-84 point.
type LatLng struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// District is a 区.
type District struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	NameEn   string `json:"name_en"`
	Centroid LatLng `json:"centroid"`
}

// Street is a 街道/乡镇 with its GeoJSON boundary.
type Street struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	NameEn     string          `json:"name_en"`
	DistrictID string          `json:"district_id"`
	Centroid   LatLng          `json:"centroid"`
	Boundary   json.RawMessage `json:"boundary"`
}

// Department is a responding party.
type Department struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
}

// Category is a routing catalogue entry.
type Category struct {
	Code                   string   `json:"code"`
	Name                   string   `json:"name"`
	NameEn                 string   `json:"name_en"`
	Description            string   `json:"description"`
	LeadDepartment         string   `json:"lead_department"`
	CooperatingDepartments []string `json:"cooperating_departments"`
	SLA                    struct {
		AckMinutes    int32 `json:"ack_minutes"`
		ArriveMinutes int32 `json:"arrive_minutes"`
		ResolveHours  int32 `json:"resolve_hours"`
	} `json:"sla"`
}

// Beijing returns the embedded data set, parsed and checked once.
var Beijing = sync.OnceValues(func() (*Data, error) {
	dec := json.NewDecoder(bytes.NewReader(beijingJSON))
	dec.DisallowUnknownFields()
	var d Data
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("parse beijing.json: %w", err)
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("beijing.json: %w", err)
	}
	return &d, nil
})

// Validate checks what the database cannot: unique codes (one upsert statement
// may not touch a row twice), cooperating departments that exist, boundaries present.
func (d *Data) Validate() error {
	districts := map[string]bool{}
	for _, x := range d.Districts {
		if x.ID == "" || districts[x.ID] {
			return fmt.Errorf("district %q: empty or duplicate id", x.ID)
		}
		districts[x.ID] = true
	}
	streets := map[string]bool{}
	for _, s := range d.Streets {
		if s.ID == "" || streets[s.ID] {
			return fmt.Errorf("street %q: empty or duplicate id", s.ID)
		}
		streets[s.ID] = true
		if !districts[s.DistrictID] {
			return fmt.Errorf("street %s: unknown district %q", s.ID, s.DistrictID)
		}
		if len(s.Boundary) == 0 || !json.Valid(s.Boundary) {
			return fmt.Errorf("street %s: boundary is missing or not JSON", s.ID)
		}
	}
	departments := map[string]bool{}
	for _, x := range d.Departments {
		if x.Code == "" || departments[x.Code] {
			return fmt.Errorf("department %q: empty or duplicate code", x.Code)
		}
		departments[x.Code] = true
	}
	if !departments[routing.FallbackDepartment] {
		return fmt.Errorf("the fallback department %s is missing", routing.FallbackDepartment)
	}
	categories := map[string]bool{}
	for _, c := range d.Categories {
		if c.Code == "" || categories[c.Code] {
			return fmt.Errorf("category %q: empty or duplicate code", c.Code)
		}
		categories[c.Code] = true
		for _, dep := range append([]string{c.LeadDepartment}, c.CooperatingDepartments...) {
			if !departments[dep] || strings.Contains(dep, ",") {
				return fmt.Errorf("category %s: unknown department %q", c.Code, dep)
			}
		}
		if c.SLA.AckMinutes <= 0 || c.SLA.ArriveMinutes <= 0 || c.SLA.ResolveHours <= 0 {
			return fmt.Errorf("category %s: every SLA limit must be positive", c.Code)
		}
	}
	return nil
}

// Load upserts the Beijing data set. Loading it again changes nothing; run it
// in one transaction so readers never see half a catalogue.
func Load(ctx context.Context, q *store.Queries) error {
	d, err := Beijing()
	if err != nil {
		return err
	}
	if _, err := Upsert(ctx, q, d); err != nil {
		return err
	}
	_, err = upsertDivisions(ctx, q)
	return err
}

// Upsert writes d with one statement per table and returns how many rows it
// inserted or changed (0 when the data is already there).
func Upsert(ctx context.Context, q *store.Queries, d *Data) (int64, error) {
	var total int64
	add := func(n int64, err error, what string) error {
		if err != nil {
			return fmt.Errorf("seed %s: %w", what, err)
		}
		total += n
		return nil
	}

	var dp store.UpsertDistrictsParams
	for _, x := range d.Districts {
		dp.Ids = append(dp.Ids, x.ID)
		dp.Names = append(dp.Names, x.Name)
		dp.NamesEn = append(dp.NamesEn, x.NameEn)
		dp.Lats = append(dp.Lats, x.Centroid.Lat)
		dp.Lngs = append(dp.Lngs, x.Centroid.Lng)
	}
	n, err := q.UpsertDistricts(ctx, dp)
	if err := add(n, err, "districts"); err != nil {
		return total, err
	}

	var sp store.UpsertStreetsParams
	for _, s := range d.Streets {
		sp.Ids = append(sp.Ids, s.ID)
		sp.Names = append(sp.Names, s.Name)
		sp.NamesEn = append(sp.NamesEn, s.NameEn)
		sp.DistrictIds = append(sp.DistrictIds, s.DistrictID)
		sp.Lats = append(sp.Lats, s.Centroid.Lat)
		sp.Lngs = append(sp.Lngs, s.Centroid.Lng)
		sp.Boundaries = append(sp.Boundaries, string(s.Boundary))
	}
	n, err = q.UpsertStreets(ctx, sp)
	if err := add(n, err, "streets"); err != nil {
		return total, err
	}

	var pp store.UpsertDepartmentsParams
	for _, x := range d.Departments {
		pp.Codes = append(pp.Codes, x.Code)
		pp.Names = append(pp.Names, x.Name)
		pp.NamesEn = append(pp.NamesEn, x.NameEn)
	}
	n, err = q.UpsertDepartments(ctx, pp)
	if err := add(n, err, "departments"); err != nil {
		return total, err
	}

	n, err = q.UpsertCatalogueVersion(ctx, store.UpsertCatalogueVersionParams{
		Version: routing.CatalogueVersion, Description: "Beijing seed data set",
	})
	if err := add(n, err, "catalogue version"); err != nil {
		return total, err
	}

	cp := store.UpsertCategoriesParams{CatalogueVersion: routing.CatalogueVersion}
	for _, c := range d.Categories {
		cp.Codes = append(cp.Codes, c.Code)
		cp.Names = append(cp.Names, c.Name)
		cp.NamesEn = append(cp.NamesEn, c.NameEn)
		cp.Descriptions = append(cp.Descriptions, c.Description)
		cp.LeadDepartments = append(cp.LeadDepartments, c.LeadDepartment)
		cp.Cooperating = append(cp.Cooperating, strings.Join(c.CooperatingDepartments, ","))
		cp.AckMinutes = append(cp.AckMinutes, c.SLA.AckMinutes)
		cp.ArriveMinutes = append(cp.ArriveMinutes, c.SLA.ArriveMinutes)
		cp.ResolveHours = append(cp.ResolveHours, c.SLA.ResolveHours)
	}
	n, err = q.UpsertCategories(ctx, cp)
	if err := add(n, err, "categories"); err != nil {
		return total, err
	}

	// The seed's categories are also the city-wide rules of its catalogue version.
	rp := store.UpsertCatalogueRulesParams{Version: routing.CatalogueVersion}
	for _, c := range d.Categories {
		rp.Categories = append(rp.Categories, c.Code)
		rp.DistrictIds = append(rp.DistrictIds, "")
		rp.LeadDepartments = append(rp.LeadDepartments, c.LeadDepartment)
		rp.Cooperating = append(rp.Cooperating, strings.Join(c.CooperatingDepartments, ","))
		rp.AckMinutes = append(rp.AckMinutes, c.SLA.AckMinutes)
		rp.ArriveMinutes = append(rp.ArriveMinutes, c.SLA.ArriveMinutes)
		rp.ResolveHours = append(rp.ResolveHours, c.SLA.ResolveHours)
	}
	n, err = q.UpsertCatalogueRules(ctx, rp)
	if err := add(n, err, "catalogue rules"); err != nil {
		return total, err
	}

	// Admins edit a draft that starts as the seed's catalogue; an existing
	// draft is the admins' work and is left alone.
	n, err = q.EnsureDraft(ctx, "draft, started from "+routing.CatalogueVersion)
	if err := add(n, err, "catalogue draft"); err != nil {
		return total, err
	}
	if n > 0 {
		n, err = q.CopyCatalogueRules(ctx, store.CopyCatalogueRulesParams{ToVersion: routing.DraftVersion, FromVersion: routing.CatalogueVersion})
		if err := add(n, err, "catalogue draft rules"); err != nil {
			return total, err
		}
	}
	return total, nil
}
