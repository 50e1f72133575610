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
WHERE (streets.name, streets.name_en, streets.district_id, streets.centroid_lat, streets.centroid_lng, streets.boundary)
    IS DISTINCT FROM (excluded.name, excluded.name_en, excluded.district_id, excluded.centroid_lat, excluded.centroid_lng, excluded.boundary);

-- name: UpsertDepartments :execrows
INSERT INTO departments (code, name, name_en)
SELECT unnest(@codes::text[]), unnest(@names::text[]), unnest(@names_en::text[])
ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en
WHERE (departments.name, departments.name_en) IS DISTINCT FROM (excluded.name, excluded.name_en);

-- name: UpsertCatalogueVersion :execrows
INSERT INTO catalogue_versions (version, description) VALUES (@version, @description)
ON CONFLICT (version) DO UPDATE SET description = excluded.description
WHERE catalogue_versions.description IS DISTINCT FROM excluded.description;

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
SELECT * FROM streets WHERE (@district_id::text = '' OR district_id = @district_id) ORDER BY id;

-- name: GetStreet :one
SELECT * FROM streets WHERE id = $1;

-- name: ListDepartments :many
SELECT * FROM departments ORDER BY code;

-- name: ListCategories :many
SELECT * FROM categories ORDER BY code;

-- name: GetCategory :one
SELECT * FROM categories WHERE code = $1;

-- name: InsertDecision :execrows
INSERT INTO routing_decisions (whistle_id, category, street_id, district_id, location_lat, location_lng,
                               urgency, rule, catalogue_version, decided_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (whistle_id) DO NOTHING;

-- name: LockDecision :one
-- Serialises the handling of returns of one whistle across consumer replicas.
SELECT * FROM routing_decisions WHERE whistle_id = $1 FOR UPDATE;

-- name: InsertAssignment :exec
INSERT INTO dispatch_assignments (dispatch_id, whistle_id, department, role, sla_started_at, created_at)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: GetAssignment :one
SELECT * FROM dispatch_assignments WHERE dispatch_id = $1;

-- name: MarkAssignmentReturned :execrows
UPDATE dispatch_assignments SET status = 'returned', returned_at = @returned_at
WHERE dispatch_id = @dispatch_id AND status = 'active';

-- name: ActiveAssignmentOf :one
SELECT * FROM dispatch_assignments
WHERE whistle_id = @whistle_id AND department = @department AND status = 'active'
ORDER BY created_at, dispatch_id
LIMIT 1;

-- name: ListAssignments :many
SELECT * FROM dispatch_assignments WHERE whistle_id = $1 ORDER BY created_at, dispatch_id;
