package whistlestatus

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	protoevents "github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
)

// Snapshot is what an event says of one dispatch, as a keeper of the
// whistle's dispatches records it: the latest snapshot of each dispatch is
// what a whistle's status is read from.
type Snapshot struct {
	DispatchID string
	WhistleID  string
	Department string
	Status     Dispatch
	// Raw is the dispatch as the event carries it, marshalled.
	Raw []byte
	// UpdatedAt is when the dispatch last changed, to the microsecond as
	// Postgres keeps it.
	UpdatedAt time.Time
}

// SnapshotOf is the snapshot of the dispatch ev carries (dispatch.* and
// sla.* events). What the dispatch leaves out the event says: its id, its
// whistle (the event names it, else the dispatch does), its department, and
// when it changed (when the event occurred). An error means
// the event can never be recorded: it carries no dispatch, or names no
// dispatch or no whistle.
func SnapshotOf(ev *eventsv1.Event) (Snapshot, error) {
	d := protoevents.Dispatch(ev)
	if d == nil {
		return Snapshot{}, fmt.Errorf("%s %s carries no dispatch", protoevents.Name(ev), ev.GetId())
	}
	s := Snapshot{DispatchID: d.GetId(), WhistleID: ev.GetWhistleId(), Department: d.GetDepartment(),
		Status: Dispatch(d.GetStatus().String())}
	if s.DispatchID == "" {
		s.DispatchID = ev.GetDispatchId()
	}
	if s.WhistleID == "" {
		s.WhistleID = d.GetWhistleId()
	}
	if s.DispatchID == "" || s.WhistleID == "" {
		return Snapshot{}, fmt.Errorf("%s %s names no dispatch or whistle", protoevents.Name(ev), ev.GetId())
	}
	if s.Department == "" {
		s.Department = ev.GetDepartment()
	}
	updated := d.GetUpdatedAt()
	if updated == nil {
		updated = ev.GetOccurredAt()
	}
	s.UpdatedAt = updated.AsTime().Truncate(time.Microsecond)
	raw, err := proto.Marshal(d)
	if err != nil {
		return Snapshot{}, fmt.Errorf("marshal dispatch %s: %w", s.DispatchID, err)
	}
	s.Raw = raw
	return s, nil
}

// Rank is the rank of the snapshot's status (Dispatch.Rank).
func (s Snapshot) Rank() int16 { return s.Status.Rank() }

// Replaces reports whether s replaces kept, a snapshot of the same dispatch
// recorded before: events may arrive out of order, so an older snapshot never
// replaces a newer one; of two stamped with the same time the later one in
// the dispatch's life wins, and of equals the one that came later. This is
// the rule (updated_at, status_rank) <= the new one's of the keepers' upserts.
func (s Snapshot) Replaces(kept Snapshot) bool {
	if c := kept.UpdatedAt.Compare(s.UpdatedAt); c != 0 {
		return c < 0
	}
	return kept.Rank() <= s.Rank()
}
