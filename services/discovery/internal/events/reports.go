package events

import (
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/protobuf/types/known/timestamppb"

	protoevents "github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/discovery/internal/reports"
	"github.com/chuishao/whistle/services/discovery/internal/store"
)

// reportEvent is an envelope in the report's street and district; a report
// linked to a whistle puts its events on that whistle's timeline.
func reportEvent(at time.Time, actor *typesv1.Actor, r *intakev1.Report) *eventsv1.Event {
	ev := protoevents.New(at, actor)
	ev.WhistleId = r.GetWhistleId()
	ev.DistrictId = r.GetDistrictId()
	ev.StreetId = r.GetStreetId()
	return ev
}

// ReportFiled is report.filed.
func ReportFiled(at time.Time, actor *typesv1.Actor, r *intakev1.Report) *eventsv1.Event {
	ev := reportEvent(at, actor, r)
	ev.Payload = &eventsv1.Event_ReportFiled{ReportFiled: &eventsv1.ReportFiled{Report: r}}
	return ev
}

// ReportTriaged is report.triaged.
func ReportTriaged(at time.Time, actor *typesv1.Actor, r *intakev1.Report) *eventsv1.Event {
	ev := reportEvent(at, actor, r)
	ev.Payload = &eventsv1.Event_ReportTriaged{ReportTriaged: &eventsv1.ReportTriaged{Report: r}}
	return ev
}

// ReportClosed is report.closed.
func ReportClosed(at time.Time, actor *typesv1.Actor, r *intakev1.Report) *eventsv1.Event {
	ev := reportEvent(at, actor, r)
	ev.Payload = &eventsv1.Event_ReportClosed{ReportClosed: &eventsv1.ReportClosed{Report: r}}
	return ev
}

// ReportReopened is report.reopened.
func ReportReopened(at time.Time, actor *typesv1.Actor, r *intakev1.Report) *eventsv1.Event {
	ev := reportEvent(at, actor, r)
	ev.Payload = &eventsv1.Event_ReportReopened{ReportReopened: &eventsv1.ReportReopened{Report: r}}
	return ev
}

// ReportTriageWarning is report.triage_warning.
func ReportTriageWarning(at time.Time, r *intakev1.Report) *eventsv1.Event {
	ev := reportEvent(at, System, r)
	ev.Payload = &eventsv1.Event_ReportTriageWarning{ReportTriageWarning: &eventsv1.ReportTriageWarning{Report: r}}
	return ev
}

// ReportTriageBreached is report.triage_breached.
func ReportTriageBreached(at time.Time, r *intakev1.Report) *eventsv1.Event {
	ev := reportEvent(at, System, r)
	ev.Payload = &eventsv1.Event_ReportTriageBreached{ReportTriageBreached: &eventsv1.ReportTriageBreached{Report: r}}
	return ev
}

// ReportTicketBreached is report.ticket_breached: a ticket's statutory limit
// passed before it closed.
func ReportTicketBreached(at time.Time, r *intakev1.Report) *eventsv1.Event {
	ev := reportEvent(at, System, r)
	ev.Payload = &eventsv1.Event_ReportTicketBreached{ReportTicketBreached: &eventsv1.ReportTicketBreached{Report: r}}
	return ev
}

// TicketReturned is report.ticket_returned: what the hotline is told of a
// ticket (its result, or the follow-up call's outcome). Nil for a report that
// is not a ticket.
func TicketReturned(at time.Time, actor *typesv1.Actor, r store.Report) *eventsv1.Event {
	if r.ExternalNumber == "" {
		return nil
	}
	ret := TicketReturn(r)
	ev := protoevents.New(at, actor)
	ev.WhistleId, ev.DistrictId, ev.StreetId = r.WhistleID, r.DistrictID, r.StreetID
	ev.Payload = &eventsv1.Event_ReportTicketReturned{ReportTicketReturned: &eventsv1.ReportTicketReturned{TicketReturn: ret}}
	return ev
}

// TicketReturn is a stored ticket in the hotline's return format's fields.
func TicketReturn(r store.Report) *intakev1.TicketReturn {
	return &intakev1.TicketReturn{
		ExternalNumber: r.ExternalNumber, Source: r.ExternalSource, TicketType: r.TicketType,
		DistrictId: r.DistrictID, StreetId: r.StreetID, Status: r.Status, Result: r.Result,
		ReceivedAt: timestamppb.New(r.ReceivedAt), DueAt: ts(r.DueAt), ClosedAt: ts(r.ClosedAt),
		Overdue:   r.DueBreachedAt.Valid || (r.ClosedAt.Valid && r.DueAt.Valid && r.ClosedAt.Time.After(r.DueAt.Time)),
		WhistleId: r.WhistleID, FollowedUpAt: ts(r.RatedAt), Satisfaction: r.Satisfaction, Fixed: r.Fixed,
		FollowUpComment: r.FollowUpComment,
	}
}

// ReportRated is report.rated: a reporter's rating through a follow-up token,
// in the scope of the report or whistle it rates.
func ReportRated(at time.Time, actor *typesv1.Actor, whistleID, districtID, streetID string, rated *eventsv1.ReportRated) *eventsv1.Event {
	ev := protoevents.New(at, actor)
	ev.WhistleId, ev.DistrictId, ev.StreetId = whistleID, districtID, streetID
	ev.Payload = &eventsv1.Event_ReportRated{ReportRated: rated}
	return ev
}

// ReportProto is the API's view of a stored report at now (the triage clock's
// state depends on it). Contact data never leaves the table: only whether
// there is one.
func ReportProto(r store.Report, now time.Time) *intakev1.Report {
	out := &intakev1.Report{
		Id: r.ID, StreetId: r.StreetID, DistrictId: r.DistrictID, GridId: r.GridID, Category: r.Category,
		Description: r.Description, Address: r.Address, Location: &typesv1.LatLng{Lat: r.Lat, Lng: r.Lng},
		Source:    intakev1.Report_Source(intakev1.Report_Source_value[r.Source]),
		Status:    intakev1.Report_Status(intakev1.Report_Status_value[r.Status]),
		Triage:    intakev1.Report_Triage(intakev1.Report_Triage_value[r.Triage]),
		WhistleId: r.WhistleID, Result: r.Result,
		ReceivedAt: timestamppb.New(r.ReceivedAt), TriageBy: timestamppb.New(r.TriageBy),
		TriagedAt: ts(r.TriagedAt), ClosedAt: ts(r.ClosedAt), DueAt: ts(r.DueAt),
		ExternalNumber: r.ExternalNumber, Satisfaction: r.Satisfaction, Fixed: r.Fixed,
		HasContact: r.ContactName != "" || r.ContactPhone != "",
		ReportedBy: &typesv1.Actor{Role: r.ReportedByRole, Id: r.ReportedByID},
		TriageSla:  reports.TriageState(reports.Status(r.Status), r.TriageFrom, r.TriageBy, now),
		TicketType: r.TicketType, DueBreachedAt: ts(r.DueBreachedAt), FollowUpComment: r.FollowUpComment,
		DueSla: reports.DueState(r.DueAt.Time, r.ClosedAt.Time, now),
	}
	var photos []reports.Photo
	if err := json.Unmarshal(r.Photos, &photos); err == nil {
		for _, p := range photos {
			ph := &intakev1.Photo{Url: p.URL, ContentType: p.ContentType, SizeBytes: p.SizeBytes}
			if !p.TakenAt.IsZero() {
				ph.TakenAt = timestamppb.New(p.TakenAt)
			}
			if p.HasLocation {
				ph.Location = &typesv1.LatLng{Lat: p.Lat, Lng: p.Lng}
			}
			out.Photos = append(out.Photos, ph)
		}
	}
	return out
}

func ts(t pgtype.Timestamptz) *timestamppb.Timestamp {
	if !t.Valid {
		return nil
	}
	return timestamppb.New(t.Time)
}
