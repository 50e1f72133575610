-- Jurisdiction: districts (区) and streets (街道/乡镇) with their boundaries.
CREATE TABLE districts (
    id           text PRIMARY KEY,          -- six-digit administrative code
    name         text NOT NULL,
    name_en      text NOT NULL,
    centroid_lat double precision NOT NULL,
    centroid_lng double precision NOT NULL
);

CREATE TABLE streets (
    id           text PRIMARY KEY,          -- nine-digit township code
    name         text NOT NULL,
    name_en      text NOT NULL,
    district_id  text NOT NULL REFERENCES districts (id),
    centroid_lat double precision NOT NULL,
    centroid_lng double precision NOT NULL,
    boundary     jsonb NOT NULL             -- GeoJSON geometry (Polygon)
);

CREATE INDEX streets_district_id_idx ON streets (district_id, id);

CREATE TABLE departments (
    code    text PRIMARY KEY,
    name    text NOT NULL,
    name_en text NOT NULL
);

-- The routing catalogue (派单目录) is versioned: every category row names the
-- version it was loaded from, and every decision records the version it used.
CREATE TABLE catalogue_versions (
    version     text PRIMARY KEY,
    description text NOT NULL DEFAULT ''
);

CREATE TABLE categories (
    code                    text PRIMARY KEY,
    name                    text NOT NULL,
    name_en                 text NOT NULL,
    description             text NOT NULL,
    lead_department         text NOT NULL REFERENCES departments (code),
    cooperating_departments text[] NOT NULL DEFAULT '{}',
    sla_ack_minutes         integer NOT NULL CHECK (sla_ack_minutes > 0),
    sla_arrive_minutes      integer NOT NULL CHECK (sla_arrive_minutes > 0),
    sla_resolve_hours       integer NOT NULL CHECK (sla_resolve_hours > 0),
    catalogue_version       text NOT NULL REFERENCES catalogue_versions (version)
);

-- One routing decision per whistle: its natural key makes whistle.raised idempotent,
-- and it keeps the whistle's data for re-dispatching after a return (退单).
CREATE TABLE routing_decisions (
    whistle_id        text PRIMARY KEY,
    category          text NOT NULL,
    street_id         text NOT NULL,
    district_id       text NOT NULL,
    location_lat      double precision NOT NULL,
    location_lng      double precision NOT NULL,
    urgency           text NOT NULL,
    rule              text NOT NULL,
    catalogue_version text NOT NULL,
    decided_at        timestamptz NOT NULL
);

-- Every dispatch routing asked for, and whether its department returned it.
CREATE TABLE dispatch_assignments (
    dispatch_id    text PRIMARY KEY,
    whistle_id     text NOT NULL REFERENCES routing_decisions (whistle_id),
    department     text NOT NULL,
    role           text NOT NULL CHECK (role IN ('lead', 'cooperating', 'fallback')),
    sla_started_at timestamptz,             -- set when the clocks are inherited from a returned dispatch
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'returned')),
    created_at     timestamptz NOT NULL,
    returned_at    timestamptz
);

CREATE INDEX dispatch_assignments_whistle_idx ON dispatch_assignments (whistle_id, department);
