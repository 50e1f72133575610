-- name: UpsertDistricts :execrows
-- Seed upserts take one statement per table over parallel arrays (fast enough to
-- seed every test). A row is rewritten only when it differs, so re-loading the
-- same data changes nothing.
INSERT INTO districts (id, name, name_en, centroid_lat, centroid_lng)
SELECT unnest(@ids::text[]), unnest(@names::text[]), unnest(@names_en::text[]),
       unnest(@lats::float8[]), unnest(@lngs::float8[])
ON CONFLICT (id) DO UPDATE SET
    name = excluded.name, name_en = excluded.name_en,
    centroid_lat = excluded.centroid_lat, centroid_lng = excluded.centroid_lng
WHERE (districts.name, districts.name_en, districts.centroid_lat, districts.centroid_lng)
    IS DISTINCT FROM (excluded.name, excluded.name_en, excluded.centroid_lat, excluded.centroid_lng);

-- name: UpsertStreets :execrows
INSERT INTO streets (id, name, name_en, district_id, centroid_lat, centroid_lng, boundary)
SELECT unnest(@ids::text[]), unnest(@names::text[]), unnest(@names_en::text[]), unnest(@district_ids::text[]),
       unnest(@lats::float8[]), unnest(@lngs::float8[]), unnest(@boundaries::text[])::jsonb
ON CONFLICT (id) DO UPDATE SET
    name = excluded.name, name_en = excluded.name_en, district_id = excluded.district_id,
    centroid_lat = excluded.centroid_lat, centroid_lng = excluded.centroid_lng, boundary = excluded.boundary
WHERE streets.edited_at IS NULL -- an admin's edit wins over the seed
  AND (streets.name, streets.name_en, streets.district_id, streets.centroid_lat, streets.centroid_lng, streets.boundary)
    IS DISTINCT FROM (excluded.name, excluded.name_en, excluded.district_id, excluded.centroid_lat, excluded.centroid_lng, excluded.boundary);

-- name: UpsertDepartments :execrows
INSERT INTO departments (code, name, name_en)
SELECT unnest(@codes::text[]), unnest(@names::text[]), unnest(@names_en::text[])
ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en
WHERE departments.edited_at IS NULL -- an admin's edit wins over the seed
  AND (departments.name, departments.name_en) IS DISTINCT FROM (excluded.name, excluded.name_en);

-- name: UpsertCatalogueVersion :execrows
-- The seed's version is in force from the start of time, so any version an
-- admin publishes later takes over from it.
INSERT INTO catalogue_versions (version, description, effective_at, published_at, published_by)
VALUES (@version, @description, 'epoch', 'epoch', 'seed')
ON CONFLICT (version) DO UPDATE SET description = excluded.description
WHERE catalogue_versions.description IS DISTINCT FROM excluded.description;

-- name: UpsertCatalogueRules :execrows
INSERT INTO catalogue_rules (version, category, district_id, lead_department, cooperating_departments,
                             sla_ack_minutes, sla_arrive_minutes, sla_resolve_hours)
SELECT @version::text, u.category, u.district_id, u.lead_department,
       coalesce(string_to_array(nullif(u.cooperating, ''), ','), '{}'),
       u.ack, u.arrive, u.resolve
FROM (SELECT unnest(@categories::text[]) AS category, unnest(@district_ids::text[]) AS district_id,
             unnest(@lead_departments::text[]) AS lead_department, unnest(@cooperating::text[]) AS cooperating,
             unnest(@ack_minutes::int4[]) AS ack, unnest(@arrive_minutes::int4[]) AS arrive,
             unnest(@resolve_hours::int4[]) AS resolve) AS u
ON CONFLICT (version, category, district_id) DO UPDATE SET
    lead_department = excluded.lead_department, cooperating_departments = excluded.cooperating_departments,
    sla_ack_minutes = excluded.sla_ack_minutes, sla_arrive_minutes = excluded.sla_arrive_minutes,
    sla_resolve_hours = excluded.sla_resolve_hours
WHERE (catalogue_rules.lead_department, catalogue_rules.cooperating_departments, catalogue_rules.sla_ack_minutes,
       catalogue_rules.sla_arrive_minutes, catalogue_rules.sla_resolve_hours)
    IS DISTINCT FROM (excluded.lead_department, excluded.cooperating_departments, excluded.sla_ack_minutes,
       excluded.sla_arrive_minutes, excluded.sla_resolve_hours);

-- name: EnsureDraft :execrows
-- The draft starts as a copy of a published version (the caller copies the rules
-- when this inserted the row).
INSERT INTO catalogue_versions (version, description) VALUES ('draft', @description)
ON CONFLICT (version) DO NOTHING;

-- name: CopyCatalogueRules :execrows
INSERT INTO catalogue_rules (version, category, district_id, lead_department, cooperating_departments,
                             sla_ack_minutes, sla_arrive_minutes, sla_resolve_hours)
SELECT @to_version::text, category, district_id, lead_department, cooperating_departments,
       sla_ack_minutes, sla_arrive_minutes, sla_resolve_hours
FROM catalogue_rules WHERE version = @from_version::text;

-- name: UpsertCategories :execrows
-- Cooperating departments travel as one comma-joined string per category,
-- because unnest would flatten a two-dimensional array.
INSERT INTO categories (code, name, name_en, description, lead_department, cooperating_departments,
                        sla_ack_minutes, sla_arrive_minutes, sla_resolve_hours, catalogue_version)
SELECT u.code, u.name, u.name_en, u.description, u.lead_department,
       coalesce(string_to_array(nullif(u.cooperating, ''), ','), '{}'),
       u.ack, u.arrive, u.resolve, @catalogue_version::text
FROM (SELECT unnest(@codes::text[]) AS code, unnest(@names::text[]) AS name, unnest(@names_en::text[]) AS name_en,
             unnest(@descriptions::text[]) AS description, unnest(@lead_departments::text[]) AS lead_department,
             unnest(@cooperating::text[]) AS cooperating, unnest(@ack_minutes::int4[]) AS ack,
             unnest(@arrive_minutes::int4[]) AS arrive, unnest(@resolve_hours::int4[]) AS resolve) AS u
ON CONFLICT (code) DO UPDATE SET
    name = excluded.name, name_en = excluded.name_en, description = excluded.description,
    lead_department = excluded.lead_department, cooperating_departments = excluded.cooperating_departments,
    sla_ack_minutes = excluded.sla_ack_minutes, sla_arrive_minutes = excluded.sla_arrive_minutes,
    sla_resolve_hours = excluded.sla_resolve_hours, catalogue_version = excluded.catalogue_version
WHERE (categories.name, categories.name_en, categories.description, categories.lead_department,
       categories.cooperating_departments, categories.sla_ack_minutes, categories.sla_arrive_minutes,
       categories.sla_resolve_hours, categories.catalogue_version)
    IS DISTINCT FROM (excluded.name, excluded.name_en, excluded.description, excluded.lead_department,
       excluded.cooperating_departments, excluded.sla_ack_minutes, excluded.sla_arrive_minutes,
       excluded.sla_resolve_hours, excluded.catalogue_version);

-- name: UseRoutingSchema :exec
-- Points the current transaction at the routing schema, for callers whose pool
-- was not opened with it (whistlectl seed).
SELECT set_config('search_path', 'routing', true);

-- name: ListDistricts :many
SELECT * FROM districts ORDER BY id;

-- name: ListStreets :many
-- A street's boundary and centre are the published version's where it holds
-- the street; the seeded (synthetic) ones otherwise (boundary_version '').
SELECT s.id, s.name, s.name_en, s.district_id,
       coalesce(u.centroid_lat, s.centroid_lat)::float8 AS centroid_lat,
       coalesce(u.centroid_lng, s.centroid_lng)::float8 AS centroid_lng,
       coalesce(u.geometry, s.boundary)::jsonb AS boundary, coalesce(u.version, '')::text AS boundary_version
FROM streets s LEFT JOIN current_boundary_units u ON u.level = 'street' AND u.code = s.id
WHERE (@district_id::text = '' OR s.district_id = @district_id) ORDER BY s.id;

-- name: GetStreet :one
SELECT s.id, s.name, s.name_en, s.district_id,
       coalesce(u.centroid_lat, s.centroid_lat)::float8 AS centroid_lat,
       coalesce(u.centroid_lng, s.centroid_lng)::float8 AS centroid_lng,
       coalesce(u.geometry, s.boundary)::jsonb AS boundary, coalesce(u.version, '')::text AS boundary_version
FROM streets s LEFT JOIN current_boundary_units u ON u.level = 'street' AND u.code = s.id
WHERE s.id = $1;

-- name: ListDepartments :many
SELECT * FROM departments ORDER BY code;

-- name: ListCategories :many
SELECT * FROM categories ORDER BY code;

-- name: GetCategory :one
SELECT * FROM categories WHERE code = $1;

-- name: InsertDecisions :many
-- Routing decisions, one per element of the arrays (whistles distinct); each
-- neighbours element is a JSON array of street ids. A whistle routed before
-- keeps its decision: only the whistles decided now come back.
INSERT INTO routing_decisions (whistle_id, category, street_id, district_id, location_lat, location_lng,
                               urgency, rule, catalogue_version, decided_at,
                               jurisdiction, neighbour_street_ids, distance_m, community_code, community_name,
                               community_result)
SELECT r.whistle_id, r.category, r.street_id, r.district_id, r.lat, r.lng, r.urgency, r.rule, r.catalogue_version,
       @decided_at, r.jurisdiction, ARRAY(SELECT jsonb_array_elements_text(r.neighbours)), r.distance_m,
       r.community_code, r.community_name, r.community_result
FROM (SELECT unnest(@whistle_ids::text[]) AS whistle_id, unnest(@categories::text[]) AS category,
             unnest(@street_ids::text[]) AS street_id, unnest(@district_ids::text[]) AS district_id,
             unnest(@lats::float8[]) AS lat, unnest(@lngs::float8[]) AS lng, unnest(@urgencies::text[]) AS urgency,
             unnest(@rules::text[]) AS rule, unnest(@catalogue_versions::text[]) AS catalogue_version,
             unnest(@jurisdictions::text[]) AS jurisdiction, unnest(@neighbours::jsonb[]) AS neighbours,
             unnest(@distances_m::float8[]) AS distance_m, unnest(@community_codes::text[]) AS community_code,
             unnest(@community_names::text[]) AS community_name,
             unnest(@community_results::text[]) AS community_result) AS r
ORDER BY r.whistle_id
ON CONFLICT (whistle_id) DO NOTHING
RETURNING whistle_id;

-- name: GetDecision :one
SELECT * FROM routing_decisions WHERE whistle_id = $1;

-- name: LockDecision :one
-- Serialises the handling of returns of one whistle across consumer replicas.
SELECT * FROM routing_decisions WHERE whistle_id = $1 FOR UPDATE;

-- name: InsertAssignments :exec
-- Dispatch assignments, one per element of the arrays.
INSERT INTO dispatch_assignments (dispatch_id, whistle_id, department, role, sla_started_at, created_at, rule, reason)
SELECT r.dispatch_id, r.whistle_id, r.department, r.role, r.sla_started_at, @created_at, r.rule, r.reason
FROM (SELECT unnest(@dispatch_ids::text[]) AS dispatch_id, unnest(@whistle_ids::text[]) AS whistle_id,
             unnest(@departments::text[]) AS department, unnest(@roles::text[]) AS role,
             unnest(@sla_started_ats::timestamptz[]) AS sla_started_at, unnest(@rules::text[]) AS rule,
             unnest(@reasons::text[]) AS reason) AS r;

-- name: GetAssignment :one
SELECT * FROM dispatch_assignments WHERE dispatch_id = $1;

-- name: MarkAssignmentReturned :execrows
UPDATE dispatch_assignments
SET status = 'returned', returned_at = @returned_at, return_code = @return_code, return_reason = @return_reason,
    return_department = @return_department
WHERE dispatch_id = @dispatch_id AND status = 'active';

-- name: CountReturned :one
SELECT count(*) FROM dispatch_assignments WHERE whistle_id = $1 AND status = 'returned';

-- name: ActiveAssignmentOf :one
SELECT * FROM dispatch_assignments
WHERE whistle_id = @whistle_id AND department = @department AND status = 'active'
ORDER BY created_at, dispatch_id
LIMIT 1;

-- name: ListAssignments :many
SELECT * FROM dispatch_assignments WHERE whistle_id = $1 ORDER BY created_at, dispatch_id;

-- name: SetDecisionRule :exec
UPDATE routing_decisions SET rule = @rule WHERE whistle_id = @whistle_id;

-- name: CurrentCatalogueVersion :one
-- The published version in force at @at.
SELECT * FROM catalogue_versions
WHERE effective_at IS NOT NULL AND effective_at <= @at
ORDER BY effective_at DESC, published_at DESC
LIMIT 1;

-- name: GetCatalogueVersion :one
SELECT * FROM catalogue_versions WHERE version = $1;

-- name: LockDraft :one
-- Serialises draft edits and publishing.
SELECT * FROM catalogue_versions WHERE version = 'draft' FOR UPDATE;

-- name: SetDraftDescription :exec
UPDATE catalogue_versions SET description = @description WHERE version = 'draft';

-- name: CountPublishedVersions :one
SELECT count(*) FROM catalogue_versions WHERE effective_at IS NOT NULL;

-- name: InsertPublishedVersion :exec
INSERT INTO catalogue_versions (version, description, effective_at, published_at, published_by)
VALUES (@version, @description, @effective_at, @published_at, @published_by);

-- name: CatalogueRules :many
SELECT * FROM catalogue_rules WHERE version = $1 ORDER BY category, district_id;

-- name: DeleteCatalogueRules :exec
DELETE FROM catalogue_rules WHERE version = $1;

-- name: RuleFor :one
-- A district's override wins over the city-wide rule.
SELECT * FROM catalogue_rules
WHERE version = @version AND category = @category AND district_id IN (@district_id::text, '')
ORDER BY district_id DESC
LIMIT 1;

-- name: RulesFor :many
-- RuleFor for many pairs of category and district: the rules of each pair
-- (named by for_district), the district's override first.
SELECT sqlc.embed(catalogue_rules), k.district_id::text AS for_district
FROM (SELECT DISTINCT unnest(@categories::text[]) AS category, unnest(@district_ids::text[]) AS district_id) AS k
JOIN catalogue_rules ON catalogue_rules.version = @version AND catalogue_rules.category = k.category
                    AND catalogue_rules.district_id IN (k.district_id, '')
ORDER BY k.category, k.district_id, catalogue_rules.district_id DESC;

-- name: InsertArbitration :exec
INSERT INTO arbitrations (id, whistle_id, district_id, kind, returned_dispatch_id, from_department,
                          reason_code, reason, sla_started_at, requested_at, return_department)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11);

-- name: LockArbitration :one
SELECT * FROM arbitrations WHERE id = $1 FOR UPDATE;

-- name: GetArbitration :one
SELECT * FROM arbitrations WHERE id = $1;

-- name: ListArbitrations :many
SELECT a.*, d.category FROM arbitrations a JOIN routing_decisions d USING (whistle_id)
WHERE (@district_id::text = '' OR a.district_id = @district_id)
  AND (@status::text = '' OR a.status = @status)
ORDER BY a.requested_at, a.id
LIMIT 500;

-- name: DecideArbitration :exec
UPDATE arbitrations
SET status = 'decided', decided_at = @decided_at, decided_by = @decided_by, department = @department,
    dispatch_id = @dispatch_id, sla_reset = @sla_reset, sla_reset_reason = @sla_reset_reason, note = @note
WHERE id = @id;

-- name: ListStreetBoundaries :many
-- What the jurisdiction index is built from: each street's boundary as ListStreets gives it.
SELECT s.id, coalesce(u.geometry, s.boundary)::jsonb AS boundary
FROM streets s LEFT JOIN current_boundary_units u ON u.level = 'street' AND u.code = s.id
ORDER BY s.id;

-- name: SupersedeAssignment :execrows
UPDATE dispatch_assignments SET status = 'superseded' WHERE dispatch_id = @dispatch_id AND status = 'active';

-- name: ConfirmLocation :execrows
UPDATE routing_decisions SET location_confirmed_at = @confirmed_at, location_confirmed_by = @confirmed_by
WHERE whistle_id = @whistle_id AND location_confirmed_at IS NULL;

-- name: SetDecisionClosed :exec
UPDATE routing_decisions SET closed = @closed WHERE whistle_id = @whistle_id;

-- name: SaveDepartment :one
INSERT INTO departments (code, name, name_en, edited_at, edited_by)
VALUES (@code, @name, @name_en, @edited_at, @edited_by)
ON CONFLICT (code) DO UPDATE SET
    name = excluded.name, name_en = excluded.name_en, edited_at = excluded.edited_at, edited_by = excluded.edited_by
RETURNING *;

-- name: RenameStreet :one
UPDATE streets SET name = @name, name_en = @name_en, edited_at = @edited_at, edited_by = @edited_by
WHERE id = @id
RETURNING *;

-- name: MarkReopenHandled :execrows
-- 0 when this reopen was handled already.
INSERT INTO reopens_handled (event_id, whistle_id) VALUES (@event_id, @whistle_id)
ON CONFLICT (event_id) DO NOTHING;

-- name: CurrentBoundaryNumber :one
-- The number of the version in force (0 before the first publication): the
-- jurisdiction index rebuilds itself when it changes.
SELECT coalesce(max(number), 0)::int FROM boundary_versions WHERE number > 0;

-- name: CurrentBoundaryVersion :one
SELECT * FROM boundary_versions WHERE number > 0 ORDER BY number DESC LIMIT 1;

-- name: GetBoundaryVersion :one
SELECT * FROM boundary_versions WHERE version = $1;

-- name: ListBoundaryUnits :many
SELECT * FROM boundary_units
WHERE version = @version AND (@level::text = '' OR level = @level) AND (@parent_code::text = '' OR parent_code = @parent_code)
ORDER BY array_position(ARRAY['district', 'street', 'community', 'grid'], level), code;

-- name: CountBoundaryUnits :one
SELECT count(*) FROM boundary_units WHERE version = $1;

-- name: DeleteBoundaryDraft :exec
-- An import replaces the draft whole (its units go with it).
DELETE FROM boundary_versions WHERE version = 'draft';

-- name: CreateBoundaryDraft :exec
INSERT INTO boundary_versions (version, number, description, source_sha256, imported_at, imported_by)
VALUES ('draft', 0, @description, @source_sha256, @imported_at, @imported_by);

-- name: InsertBoundaryUnits :exec
INSERT INTO boundary_units (version, level, code, name, parent_code, geometry, centroid_lat, centroid_lng)
SELECT @version, unnest(@levels::text[]), unnest(@codes::text[]), unnest(@names::text[]), unnest(@parent_codes::text[]),
       unnest(@geometries::text[])::jsonb, unnest(@lats::float8[]), unnest(@lngs::float8[]);

-- name: LockBoundaryDraft :one
SELECT * FROM boundary_versions WHERE version = 'draft' FOR UPDATE;

-- name: InsertPublishedBoundaryVersion :exec
INSERT INTO boundary_versions (version, number, description, source_sha256, imported_at, imported_by, published_at, published_by)
SELECT @version, @number, description, source_sha256, imported_at, imported_by, @published_at, @published_by
FROM boundary_versions WHERE version = 'draft';

-- name: MoveBoundaryDraftUnits :exec
UPDATE boundary_units SET version = @version WHERE version = 'draft';

-- name: InsertImportedStreets :execrows
-- Streets a published version holds that the reference data lacks (a new
-- township): their boundary and centre stand as the seeded ones too.
INSERT INTO streets (id, name, name_en, district_id, centroid_lat, centroid_lng, boundary)
SELECT u.code, u.name, '', u.parent_code, u.centroid_lat, u.centroid_lng, u.geometry
FROM boundary_units u
WHERE u.version = @version AND u.level = 'street'
ON CONFLICT (id) DO NOTHING;

-- name: KnownDistrictsAndStreets :many
-- The codes an import's units may name as parents, besides its own: the
-- operating districts and streets and every official unit.
SELECT id FROM districts UNION SELECT id FROM streets UNION SELECT code FROM divisions;

-- name: LockBoundaries :exec
-- Imports and publications of boundaries take turns.
SELECT pg_advisory_xact_lock(hashtext('routing.boundaries'));

-- name: UpsertDivisions :execrows
-- The official units; re-loading the same edition changes nothing.
INSERT INTO divisions (code, level, name, parent_code)
SELECT unnest(@codes::text[]), unnest(@levels::text[]), unnest(@names::text[]), unnest(@parent_codes::text[])
ON CONFLICT (code) DO UPDATE SET level = excluded.level, name = excluded.name, parent_code = excluded.parent_code
WHERE (divisions.level, divisions.name, divisions.parent_code) IS DISTINCT FROM (excluded.level, excluded.name, excluded.parent_code);

-- name: ListDivisions :many
-- Official units with what the map has for each: the published boundary
-- version holding it ('' when none), and for a street whether it is an
-- operating street (with a synthetic boundary when no version holds it).
-- The parent is a unit's own parent, or for communities their district too
-- (its six digits begin each community's code): a district's committees in
-- one answer.
SELECT d.code, d.level, d.name, d.parent_code,
       coalesce(u.version, '')::text AS boundary_version,
       (s.id IS NOT NULL)::bool AS operating
FROM divisions d
LEFT JOIN current_boundary_units u ON u.level = d.level AND u.code = d.code
LEFT JOIN streets s ON d.level = 'street' AND s.id = d.code
WHERE (@level::text = '' OR d.level = @level)
  AND (@parent_code::text = '' OR d.parent_code = @parent_code
       OR (d.level = 'community' AND length(@parent_code) = 6 AND left(d.code, 6) = @parent_code))
ORDER BY d.code;

-- name: MapStamp :one
-- What the jurisdiction cache was built from: the boundary version in force
-- (0 before the first publication) and the generation of the community
-- property registry. The cache rebuilds itself when either changes.
SELECT coalesce((SELECT max(number) FROM boundary_versions WHERE number > 0), 0)::int8 AS boundaries,
       coalesce((SELECT generation FROM community_registry), 0)::int8 AS parties;

-- name: ListCommunityMap :many
-- The communities of the boundary version in force, with the property
-- company registered for each ('' when none): the community index.
SELECT u.code, u.name, u.parent_code, u.geometry, coalesce(p.department, '')::text AS property
FROM current_boundary_units u LEFT JOIN community_properties p ON p.community_code = u.code
WHERE u.level = 'community'
ORDER BY u.code;

-- name: SavePropertyCompany :one
-- Adds a property company or renames one; a code an administrative
-- department (or the committees' desk) holds comes back empty.
INSERT INTO departments (code, name, name_en, kind, edited_at, edited_by)
VALUES (@code, @name, @name_en, 'property', @edited_at, @edited_by)
ON CONFLICT (code) DO UPDATE SET
    name = excluded.name, name_en = excluded.name_en, edited_at = excluded.edited_at, edited_by = excluded.edited_by
WHERE departments.kind = 'property'
RETURNING *;

-- name: AssignCommunityProperties :execrows
-- Makes the company the property company of each community (replacing the former one).
INSERT INTO community_properties (community_code, department, registered_at, registered_by)
SELECT unnest(@community_codes::text[]), @department, @registered_at, @registered_by
ON CONFLICT (community_code) DO UPDATE SET
    department = excluded.department, registered_at = excluded.registered_at, registered_by = excluded.registered_by;

-- name: BumpCommunityGeneration :exec
UPDATE community_registry SET generation = generation + 1;

-- name: OfficialCommunities :many
-- The codes among the given that are official communities, with their names.
SELECT code, name FROM divisions WHERE level = 'community' AND code = ANY(@codes::text[]) ORDER BY code;

-- name: ListPropertyCompanies :many
-- Property companies with the communities they serve, of one district (by
-- the communities' codes) or all; a company serving none is listed only
-- without a district filter.
SELECT d.code, d.name, d.name_en,
       coalesce(array_agg(p.community_code ORDER BY p.community_code) FILTER (WHERE p.community_code IS NOT NULL), '{}')::text[] AS communities
FROM departments d LEFT JOIN community_properties p
    ON p.department = d.code AND (@district_id::text = '' OR left(p.community_code, 6) = @district_id)
WHERE d.kind = 'property' AND d.code <> 'property-management'
GROUP BY d.code, d.name, d.name_en
HAVING @district_id::text = '' OR count(p.community_code) > 0
ORDER BY d.code;

-- name: CommunityProperties :many
-- The property company of a community (no row when none is registered).
SELECT department FROM community_properties WHERE community_code = $1;

-- name: ListMapUnits :many
-- The published units a supervisor's map draws besides the streets: one
-- district's outline and communities (codes nest: both begin with the
-- district's), or every district's outline when district_id is empty.
SELECT level, code, name, parent_code, geometry, centroid_lat, centroid_lng
FROM current_boundary_units
WHERE CASE WHEN @district_id::text = '' THEN level = 'district'
           ELSE level IN ('district', 'community') AND left(code, 6) = @district_id END
ORDER BY array_position(ARRAY['district', 'community'], level), code;
