package catalogue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/services/routing/internal/boundary"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

// BoundaryDraft names the one editable version of the boundaries.
const BoundaryDraft = "draft"

// Import is a boundary file to import.
type Import struct {
	GeoJSON     []byte
	Options     boundary.Options
	Description string
	// Replace drops the units of the version in force the file does not hold.
	Replace bool
	// Publish publishes the draft in the same transaction.
	Publish bool
}

// Imported is what an import made: the draft (or the version it was published
// as), merged from FromVersion, with its units and their changes.
type Imported struct {
	Version, FromVersion string
	SourceSHA256         string
	Units                int
	Changes              []boundary.Change
}

// BoundaryVersion is a boundary version with the number of its units.
type BoundaryVersion struct {
	store.BoundaryVersion
	Units int64
}

// ImportBoundaries checks a GeoJSON file and makes it, merged into the version
// in force, the boundary draft; with Publish it publishes the draft in the
// same transaction.
func (s *Service) ImportBoundaries(ctx context.Context, caller auth.Identity, in Import) (Imported, error) {
	imported, problems := boundary.Read(in.GeoJSON, in.Options)
	if err := violations(problems); err != nil {
		return Imported{}, err
	}
	sum := sha256.Sum256(in.GeoJSON)
	out := Imported{Version: BoundaryDraft, SourceSHA256: hex.EncodeToString(sum[:])}
	err := postgres.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		if err := q.LockBoundaries(ctx); err != nil {
			return fmt.Errorf("lock boundaries: %w", err)
		}
		from, current, err := currentUnits(ctx, q)
		if err != nil {
			return err
		}
		merged := boundary.Merge(current, imported, in.Replace)
		if err := checkParents(ctx, q, imported, merged); err != nil {
			return err
		}
		if err := writeDraft(ctx, q, merged, store.CreateBoundaryDraftParams{
			Description: in.Description, SourceSha256: out.SourceSHA256, ImportedAt: s.now(), ImportedBy: caller.Subject,
		}); err != nil {
			return err
		}
		out.FromVersion, out.Units, out.Changes = from, len(merged), boundary.Diff(current, merged)
		if !in.Publish {
			return nil
		}
		v, err := s.publishBoundaries(ctx, q, caller, "")
		out.Version = v.Version
		return err
	})
	if err != nil {
		return Imported{}, err
	}
	kinds := map[string]int{}
	for _, c := range out.Changes {
		kinds[c.Kind]++
	}
	s.Log.InfoContext(ctx, "boundaries imported", "version", out.Version, "units", out.Units,
		"added", kinds[boundary.Added], "changed", kinds[boundary.Changed], "removed", kinds[boundary.Removed], "by", caller.Subject)
	return out, nil
}

// violations names each failing feature by its place in the file.
func violations(problems []boundary.Problem) error {
	var v routing.Violations
	for _, p := range problems {
		v.Addf(p.Field(), "%s", p.Message())
	}
	return v.Err()
}

// currentUnits is the version in force and its units; "" and none before the first.
func currentUnits(ctx context.Context, q *store.Queries) (string, []boundary.Unit, error) {
	v, err := q.CurrentBoundaryVersion(ctx)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("boundary version in force: %w", err)
	}
	rows, err := q.ListBoundaryUnits(ctx, store.ListBoundaryUnitsParams{Version: v.Version})
	if err != nil {
		return "", nil, fmt.Errorf("units of boundary version %s: %w", v.Version, err)
	}
	units := make([]boundary.Unit, len(rows))
	for i, r := range rows {
		shape, err := boundary.Decode(r.Geometry)
		if err != nil {
			return "", nil, fmt.Errorf("boundary of %s %s in %s: %w", r.Level, r.Code, v.Version, err)
		}
		units[i] = boundary.Unit{Level: boundary.Level(r.Level), Code: r.Code, Name: r.Name, Parent: r.ParentCode, Shape: shape}
	}
	return v.Version, units, nil
}

// checkParents refuses imported units whose parent is neither in the
// reference data nor among the units: a district must be one of the city's,
// a street's district and a community's or grid's street must exist.
func checkParents(ctx context.Context, q *store.Queries, imported, merged []boundary.Unit) error {
	codes, err := q.KnownDistrictsAndStreets(ctx)
	if err != nil {
		return fmt.Errorf("known districts and streets: %w", err)
	}
	known := make(map[string]bool, len(codes)+len(merged))
	for _, c := range codes {
		known[c] = true
	}
	for _, u := range merged {
		if u.Level != boundary.District {
			known[u.Code] = true
		}
	}
	var problems []boundary.Problem
	for i, u := range imported {
		switch {
		case u.Level == boundary.District && !known[u.Code]:
			problems = append(problems, boundary.Problem{Index: i, ID: u.Code, Reason: fmt.Sprintf("district %s is not one of the city's districts", u.Code)})
		case u.Level != boundary.District && !known[u.Parent]:
			problems = append(problems, boundary.Problem{Index: i, ID: u.Code, Reason: fmt.Sprintf("its parent %s is neither a known unit nor in the file", u.Parent)})
		}
		if len(problems) == boundary.MaxProblems {
			break
		}
	}
	return violations(problems)
}

// writeDraft replaces the draft with units.
func writeDraft(ctx context.Context, q *store.Queries, units []boundary.Unit, draft store.CreateBoundaryDraftParams) error {
	if err := q.DeleteBoundaryDraft(ctx); err != nil {
		return fmt.Errorf("clear boundary draft: %w", err)
	}
	if err := q.CreateBoundaryDraft(ctx, draft); err != nil {
		return fmt.Errorf("create boundary draft: %w", err)
	}
	p := store.InsertBoundaryUnitsParams{Version: BoundaryDraft}
	for _, u := range units {
		geometry, err := u.Geometry()
		if err != nil {
			return fmt.Errorf("boundary of %s %s: %w", u.Level, u.Code, err)
		}
		at := boundary.Inside(u.Shape)
		p.Levels = append(p.Levels, string(u.Level))
		p.Codes = append(p.Codes, u.Code)
		p.Names = append(p.Names, u.Name)
		p.ParentCodes = append(p.ParentCodes, u.Parent)
		p.Geometries = append(p.Geometries, string(geometry))
		p.Lats = append(p.Lats, at.Lat())
		p.Lngs = append(p.Lngs, at.Lon())
	}
	if err := q.InsertBoundaryUnits(ctx, p); err != nil {
		return fmt.Errorf("write boundary draft: %w", err)
	}
	return nil
}

// PublishBoundaries publishes the draft as the next version; wantSHA, when
// set, must be the sha256 of the file the draft was imported from (the file
// the admin previewed).
func (s *Service) PublishBoundaries(ctx context.Context, caller auth.Identity, wantSHA string) (BoundaryVersion, error) {
	var out BoundaryVersion
	err := postgres.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		if err := q.LockBoundaries(ctx); err != nil {
			return fmt.Errorf("lock boundaries: %w", err)
		}
		var err error
		out, err = s.publishBoundaries(ctx, q, caller, wantSHA)
		return err
	})
	if err != nil {
		return out, err
	}
	s.Log.InfoContext(ctx, "boundaries published", "version", out.Version, "units", out.Units, "by", caller.Subject)
	return out, nil
}

// publishBoundaries turns the draft into the next version and adds the
// streets it holds that the reference data lacks.
func (s *Service) publishBoundaries(ctx context.Context, q *store.Queries, caller auth.Identity, wantSHA string) (BoundaryVersion, error) {
	draft, err := q.LockBoundaryDraft(ctx)
	if errors.Is(err, pgx.ErrNoRows) {
		return BoundaryVersion{}, routing.Refuse(routing.ErrConflict, "there is no boundary draft to publish: import a file first")
	}
	if err != nil {
		return BoundaryVersion{}, fmt.Errorf("lock boundary draft: %w", err)
	}
	if wantSHA != "" && wantSHA != draft.SourceSha256 {
		return BoundaryVersion{}, routing.Refuse(routing.ErrConflict,
			"the draft was imported from another file (sha256 %s) since: preview it again", draft.SourceSha256)
	}
	n, err := q.CurrentBoundaryNumber(ctx)
	if err != nil {
		return BoundaryVersion{}, fmt.Errorf("boundary versions: %w", err)
	}
	version := "b" + strconv.Itoa(int(n)+1)
	if err := q.InsertPublishedBoundaryVersion(ctx, store.InsertPublishedBoundaryVersionParams{
		Version: version, Number: n + 1, PublishedAt: s.now(), PublishedBy: caller.Subject,
	}); err != nil {
		return BoundaryVersion{}, fmt.Errorf("publish %s: %w", version, err)
	}
	if err := q.MoveBoundaryDraftUnits(ctx, version); err != nil {
		return BoundaryVersion{}, fmt.Errorf("publish %s: %w", version, err)
	}
	if err := q.DeleteBoundaryDraft(ctx); err != nil {
		return BoundaryVersion{}, fmt.Errorf("publish %s: %w", version, err)
	}
	if _, err := q.InsertImportedStreets(ctx, version); err != nil {
		return BoundaryVersion{}, fmt.Errorf("streets of %s: %w", version, err)
	}
	v, err := q.GetBoundaryVersion(ctx, version)
	if err != nil {
		return BoundaryVersion{}, fmt.Errorf("read %s: %w", version, err)
	}
	units, err := q.CountBoundaryUnits(ctx, v.Version)
	if err != nil {
		return BoundaryVersion{}, fmt.Errorf("count units of %s: %w", v.Version, err)
	}
	return BoundaryVersion{BoundaryVersion: v, Units: units}, nil
}

// BoundaryUnits lists the units of a version (the one in force when version
// is "", answering "" and none before the first), of one level and parent
// when they are set.
func (s *Service) BoundaryUnits(ctx context.Context, version, level, parent string) (string, []store.BoundaryUnit, error) {
	q := s.q()
	if version == "" {
		v, err := q.CurrentBoundaryVersion(ctx)
		if errors.Is(err, pgx.ErrNoRows) {
			return "", nil, nil
		}
		if err != nil {
			return "", nil, fmt.Errorf("boundary version in force: %w", err)
		}
		version = v.Version
	} else if _, err := q.GetBoundaryVersion(ctx, version); err != nil {
		return "", nil, notFound(err, "boundary version", version)
	}
	rows, err := q.ListBoundaryUnits(ctx, store.ListBoundaryUnitsParams{Version: version, Level: level, ParentCode: parent})
	if err != nil {
		return "", nil, fmt.Errorf("units of %s: %w", version, err)
	}
	return version, rows, nil
}

// Divisions lists the official units with what the map has for each.
func (s *Service) Divisions(ctx context.Context, level, parent string) ([]store.ListDivisionsRow, error) {
	rows, err := s.q().ListDivisions(ctx, store.ListDivisionsParams{Level: level, ParentCode: parent})
	if err != nil {
		return nil, fmt.Errorf("list divisions: %w", err)
	}
	return rows, nil
}
