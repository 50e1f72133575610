package store

import "github.com/chuishao/whistle/services/feedback/internal/timeline"

// Entry is the stored row as a timeline entry.
func (r ListEntriesOfWhistlesRow) Entry() timeline.Entry {
	return timeline.Entry{
		WhistleID: r.WhistleID, Seq: r.Seq, Type: r.Type, At: r.At.Time, Actor: timeline.Actor{Role: r.ActorRole, ID: r.ActorID},
		DispatchID: r.DispatchID, Department: r.Department, EventID: r.EventID, Data: r.Data,
		PrevHash: r.PrevHash, Hash: r.Hash, KeyID: r.KeyID,
	}
}
