-- name: SearchWhistles :many
-- The search of whistles, newest first, from a keyset cursor. Every filter
-- left NULL is no filter. Run it with a plan made for its values (see
-- grpcapi's search): each NULL filter then folds away and the planner picks
-- the index that fits (the trigram index for a keyword, a period's or a
-- street's index otherwise). The scope comes first: scope_street (a street:
-- its own and those it was informed of as a neighbour: two index conditions,
-- which the planner ORs as bitmaps; an EXISTS for the neighbours would make
-- it read every whistle), scope_district,
-- scope_department (a desk: dispatched to its department).
SELECT w.* FROM whistles w
WHERE (sqlc.narg(scope_street)::text IS NULL OR w.street_id = sqlc.narg(scope_street)
       OR w.id = ANY (ARRAY(SELECT n.whistle_id FROM whistle_neighbours n WHERE n.street_id = sqlc.narg(scope_street))))
  AND (sqlc.narg(scope_district)::text IS NULL OR w.district_id = sqlc.narg(scope_district))
  AND (sqlc.narg(scope_department)::text IS NULL
       OR EXISTS (SELECT 1 FROM dispatches d WHERE d.whistle_id = w.id AND d.department = sqlc.narg(scope_department)))
  AND (sqlc.narg(raised_from)::timestamptz IS NULL OR w.raised_at >= sqlc.narg(raised_from))
  AND (sqlc.narg(raised_to)::timestamptz IS NULL OR w.raised_at < sqlc.narg(raised_to))
  AND (sqlc.narg(street_id)::text IS NULL OR w.street_id = sqlc.narg(street_id))
  AND (sqlc.narg(district_id)::text IS NULL OR w.district_id = sqlc.narg(district_id))
  AND (sqlc.narg(category)::text IS NULL OR w.category = sqlc.narg(category))
  AND (sqlc.narg(status)::text IS NULL OR w.status = sqlc.narg(status))
  AND (sqlc.narg(urgency)::text IS NULL OR w.urgency = sqlc.narg(urgency))
  AND (NOT @breached::boolean OR w.breached)
  AND (sqlc.narg(department)::text IS NULL
       OR EXISTS (SELECT 1 FROM dispatches d WHERE d.whistle_id = w.id AND d.department = sqlc.narg(department)))
  AND (sqlc.narg(pattern)::text IS NULL OR (w.title || ' ' || w.description || ' ' || w.address) ILIKE sqlc.narg(pattern))
  AND (w.raised_at, w.id) < (coalesce(sqlc.narg(cursor_raised_at)::timestamptz, 'infinity'), coalesce(sqlc.narg(cursor_id)::text, ''))
-- The first key is NULL (and dropped by the planner) unless the scope is a
-- street. Then it is raised_at again, which orders alike but matches no
-- index: the planner cannot walk the whole table newest first hoping to meet
-- matches early (a street's few thousand whistles are spread thinly over
-- all), and instead reads the street's rows through its index and sorts them.
ORDER BY CASE WHEN sqlc.narg(scope_street)::text IS NOT NULL THEN w.raised_at + interval '0 s' END DESC,
         w.raised_at DESC, w.id DESC
LIMIT @max_rows;
