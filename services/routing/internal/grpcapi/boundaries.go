package grpcapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/geo/coordsys"
	"github.com/chuishao/whistle/platform/rpcerr"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/routing/internal/boundary"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

// boundaryDraft names the one editable version of the boundaries.
const boundaryDraft = "draft"

// ImportBoundaries checks a GeoJSON file and makes it, merged into the
// version in force, the boundary draft; it answers the difference, and with
// publish publishes the draft in the same transaction.
func (s *Server) ImportBoundaries(ctx context.Context, req *routingv1.ImportBoundariesRequest) (*routingv1.BoundaryImport, error) {
	id, err := requireRole(ctx, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	opt, err := importOptions(req)
	if err != nil {
		return nil, err
	}
	imported, problems := boundary.Read([]byte(req.GetGeojson()), opt)
	if err := violations(problems); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(req.GetGeojson()))
	out := &routingv1.BoundaryImport{Version: boundaryDraft, SourceSha256: hex.EncodeToString(sum[:])}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		q := store.New(tx)
		if err := q.LockBoundaries(ctx); err != nil {
			return fmt.Errorf("lock boundaries: %w", err)
		}
		from, current, err := currentUnits(ctx, q)
		if err != nil {
			return err
		}
		merged := boundary.Merge(current, imported, req.GetReplace())
		if err := checkParents(ctx, q, imported, merged); err != nil {
			return err
		}
		if err := writeDraft(ctx, q, merged, store.CreateBoundaryDraftParams{
			Description: req.GetDescription(), SourceSha256: out.SourceSha256,
			ImportedAt: pgtype.Timestamptz{Time: s.clock.Now(), Valid: true}, ImportedBy: id.Subject,
		}); err != nil {
			return err
		}
		out.FromVersion, out.Units = from, int32(len(merged))
		for _, c := range boundary.Diff(current, merged) {
			u := c.Unit()
			out.Changes = append(out.Changes, &routingv1.BoundaryChange{Change: c.Kind, Level: string(u.Level), Code: u.Code, Name: u.Name})
			switch c.Kind {
			case boundary.Added:
				out.Added++
			case boundary.Changed:
				out.Changed++
			case boundary.Removed:
				out.Removed++
			}
		}
		if !req.GetPublish() {
			return nil
		}
		v, err := s.publishBoundaries(ctx, q, id, "")
		out.Version = v.GetVersion()
		return err
	})
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	s.log.InfoContext(ctx, "boundaries imported", "version", out.GetVersion(), "units", out.GetUnits(),
		"added", out.GetAdded(), "changed", out.GetChanged(), "removed", out.GetRemoved(), "by", id.Subject)
	return out, nil
}

// importOptions reads how to take the file's features.
func importOptions(req *routingv1.ImportBoundariesRequest) (boundary.Options, error) {
	var v rpcerr.Violations
	opt := boundary.Options{CodeProperty: req.GetCodeProperty(), NameProperty: req.GetNameProperty(), ParentProperty: req.GetParentProperty()}
	if req.GetLevel() != "" {
		l, ok := boundary.ParseLevel(req.GetLevel())
		if !ok {
			v.Add("level", "must be district, street, community or grid")
		}
		opt.Level = l
	}
	if req.GetCoordSys() != "" {
		sys, err := coordsys.Parse(req.GetCoordSys())
		if err != nil {
			v.Add("coord_sys", "must be WGS84, GCJ02 (高德, 腾讯) or BD09 (百度)")
		}
		opt.CoordSys = sys
	}
	return opt, v.Err()
}

// violations names each failing feature by its place in the file.
func violations(problems []boundary.Problem) error {
	var v rpcerr.Violations
	for _, p := range problems {
		v.Add(p.Field(), "%s", p.Message())
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
	p := store.InsertBoundaryUnitsParams{Version: boundaryDraft}
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

// PublishBoundaries publishes the draft as the next version.
func (s *Server) PublishBoundaries(ctx context.Context, req *routingv1.PublishBoundariesRequest) (*routingv1.BoundaryVersion, error) {
	id, err := requireRole(ctx, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	var out *routingv1.BoundaryVersion
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		q := store.New(tx)
		if err := q.LockBoundaries(ctx); err != nil {
			return fmt.Errorf("lock boundaries: %w", err)
		}
		out, err = s.publishBoundaries(ctx, q, id, req.GetSourceSha256())
		return err
	})
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	s.log.InfoContext(ctx, "boundaries published", "version", out.GetVersion(), "units", out.GetUnits(), "by", id.Subject)
	return out, nil
}

// publishBoundaries turns the draft into the next version and adds the
// streets it holds that the reference data lacks.
func (s *Server) publishBoundaries(ctx context.Context, q *store.Queries, id auth.Identity, wantSHA string) (*routingv1.BoundaryVersion, error) {
	draft, err := q.LockBoundaryDraft(ctx)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, status.Error(codes.FailedPrecondition, "there is no boundary draft to publish: import a file first")
	}
	if err != nil {
		return nil, fmt.Errorf("lock boundary draft: %w", err)
	}
	if wantSHA != "" && wantSHA != draft.SourceSha256 {
		return nil, status.Errorf(codes.FailedPrecondition, "the draft was imported from another file (sha256 %s) since: preview it again", draft.SourceSha256)
	}
	n, err := q.CurrentBoundaryNumber(ctx)
	if err != nil {
		return nil, fmt.Errorf("boundary versions: %w", err)
	}
	version := "b" + strconv.Itoa(int(n)+1)
	if err := q.InsertPublishedBoundaryVersion(ctx, store.InsertPublishedBoundaryVersionParams{
		Version: version, Number: n + 1, PublishedAt: pgtype.Timestamptz{Time: s.clock.Now(), Valid: true}, PublishedBy: id.Subject,
	}); err != nil {
		return nil, fmt.Errorf("publish %s: %w", version, err)
	}
	if err := q.MoveBoundaryDraftUnits(ctx, version); err != nil {
		return nil, fmt.Errorf("publish %s: %w", version, err)
	}
	if err := q.DeleteBoundaryDraft(ctx); err != nil {
		return nil, fmt.Errorf("publish %s: %w", version, err)
	}
	if _, err := q.InsertImportedStreets(ctx, version); err != nil {
		return nil, fmt.Errorf("streets of %s: %w", version, err)
	}
	v, err := q.GetBoundaryVersion(ctx, version)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", version, err)
	}
	return s.boundaryVersion(ctx, q, v)
}

func (s *Server) boundaryVersion(ctx context.Context, q *store.Queries, v store.BoundaryVersion) (*routingv1.BoundaryVersion, error) {
	n, err := q.CountBoundaryUnits(ctx, v.Version)
	if err != nil {
		return nil, fmt.Errorf("count units of %s: %w", v.Version, err)
	}
	out := &routingv1.BoundaryVersion{
		Version: v.Version, Description: v.Description, SourceSha256: v.SourceSha256, ImportedBy: v.ImportedBy,
		PublishedBy: v.PublishedBy, Units: int32(n),
	}
	if v.ImportedAt.Valid {
		out.ImportedAt = timestamppb.New(v.ImportedAt.Time)
	}
	if v.PublishedAt.Valid {
		out.PublishedAt = timestamppb.New(v.PublishedAt.Time)
	}
	return out, nil
}

// ListBoundaryUnits lists the units of one version.
func (s *Server) ListBoundaryUnits(ctx context.Context, req *routingv1.ListBoundaryUnitsRequest) (*routingv1.ListBoundaryUnitsResponse, error) {
	if req.GetVersion() == boundaryDraft {
		if _, err := requireRole(ctx, auth.RoleAdmin); err != nil {
			return nil, err
		}
	} else if err := requireCaller(ctx); err != nil {
		return nil, err
	}
	if l := req.GetLevel(); l != "" {
		if _, ok := boundary.ParseLevel(l); !ok {
			return nil, rpcerr.Invalid("level", "must be district, street, community or grid")
		}
	}
	version := req.GetVersion()
	if version == "" {
		v, err := s.q.CurrentBoundaryVersion(ctx)
		if errors.Is(err, pgx.ErrNoRows) {
			return &routingv1.ListBoundaryUnitsResponse{}, nil
		}
		if err != nil {
			return nil, s.toStatus(ctx, fmt.Errorf("boundary version in force: %w", err))
		}
		version = v.Version
	} else if _, err := s.q.GetBoundaryVersion(ctx, version); err != nil {
		return nil, s.toStatus(ctx, notFound(err, "boundary version", version))
	}
	rows, err := s.q.ListBoundaryUnits(ctx, store.ListBoundaryUnitsParams{Version: version, Level: req.GetLevel(), ParentCode: req.GetParentCode()})
	if err != nil {
		return nil, s.toStatus(ctx, fmt.Errorf("units of %s: %w", version, err))
	}
	out := &routingv1.ListBoundaryUnitsResponse{Version: version, Units: make([]*routingv1.BoundaryUnit, 0, len(rows))}
	for _, r := range rows {
		geometry, err := geoJSONStruct(r.Geometry)
		if err != nil {
			return nil, s.toStatus(ctx, fmt.Errorf("boundary of %s %s: %w", r.Level, r.Code, err))
		}
		out.Units = append(out.Units, &routingv1.BoundaryUnit{
			Level: r.Level, Code: r.Code, Name: r.Name, ParentCode: r.ParentCode, Boundary: geometry,
			Centroid: &typesv1.LatLng{Lat: r.CentroidLat, Lng: r.CentroidLng},
		})
	}
	return out, nil
}

// geoJSONStruct is a stored GeoJSON geometry as the API's Struct.
func geoJSONStruct(raw []byte) (*structpb.Struct, error) {
	out := &structpb.Struct{}
	if err := protojson.Unmarshal(raw, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListDivisions lists the official units with what the map has for each.
func (s *Server) ListDivisions(ctx context.Context, req *routingv1.ListDivisionsRequest) (*routingv1.ListDivisionsResponse, error) {
	if err := requireCaller(ctx); err != nil {
		return nil, err
	}
	if l, ok := boundary.ParseLevel(req.GetLevel()); req.GetLevel() != "" && (!ok || l == boundary.Grid) {
		return nil, rpcerr.Invalid("level", "must be district, street or community")
	}
	rows, err := s.q.ListDivisions(ctx, store.ListDivisionsParams{Level: req.GetLevel(), ParentCode: req.GetParentCode()})
	if err != nil {
		return nil, s.toStatus(ctx, fmt.Errorf("list divisions: %w", err))
	}
	out := &routingv1.ListDivisionsResponse{Divisions: make([]*routingv1.Division, 0, len(rows))}
	for _, r := range rows {
		out.Divisions = append(out.Divisions, &routingv1.Division{
			Code: r.Code, Level: r.Level, Name: r.Name, ParentCode: r.ParentCode, BoundaryVersion: r.BoundaryVersion,
			OperatingStreet: r.Operating,
		})
	}
	return out, nil
}
