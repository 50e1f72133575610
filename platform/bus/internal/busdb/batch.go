package busdb

import "github.com/jackc/pgx/v5"

// QueueAddOutbox queues AddOutbox on b, to go with other statements in one
// round trip.
func QueueAddOutbox(b *pgx.Batch, arg AddOutboxParams) {
	b.Queue(addOutbox, arg.EventID, arg.Subject, arg.Payload, arg.Headers)
}
