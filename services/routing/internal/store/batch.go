package store

import "github.com/jackc/pgx/v5"

// QueueInsertAssignment queues InsertAssignment on b, so a whistle's
// assignments and their events travel in one round trip.
func QueueInsertAssignment(b *pgx.Batch, arg InsertAssignmentParams) {
	b.Queue(insertAssignment, arg.DispatchID, arg.WhistleID, arg.Department, arg.Role,
		arg.SlaStartedAt, arg.CreatedAt, arg.Rule, arg.Reason)
}
