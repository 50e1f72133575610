-- A desk's own ETA for arriving at its dispatch (SetDispatchEta): the latest
-- one stated. It is also an event (dispatch.eta_set) on the whistle's
-- timeline, from which feedback shows it to the street.
CREATE TABLE desk_etas (
    dispatch_id text PRIMARY KEY,
    arrive_at   timestamptz NOT NULL,
    note        text NOT NULL,
    set_by_role text NOT NULL,
    set_by_id   text NOT NULL,
    set_at      timestamptz NOT NULL
);
