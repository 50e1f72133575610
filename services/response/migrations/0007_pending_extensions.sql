-- A supervisor's queue of extension requests awaiting a decision, across
-- dispatches, the oldest first (ListPendingExtensions).
CREATE INDEX extensions_pending ON extensions (requested_at, id) WHERE status = 'PENDING';
