package grpcapi

import (
	"math"

	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

// PublicViewMethods are the reads the public's read-only identity
// (auth.RolePublic, Open311's anonymous reads) may call; each answers it the
// public view below.
var PublicViewMethods = []string{
	intakev1.IntakeService_GetWhistle_FullMethodName,
	intakev1.IntakeService_ListWhistles_FullMethodName,
	intakev1.IntakeService_GetAttachment_FullMethodName, // thumbnails only (getAttachment)
	intakev1.ReportService_GetReport_FullMethodName,
}

// publicGridDegrees is the grid public locations snap to: 0.01° is about
// 1.1 km north-south and 0.85 km east-west in Beijing, a neighbourhood
// rather than a doorstep.
const publicGridDegrees = 0.01

// coarsen snaps a point to the public grid.
func coarsen(p *typesv1.LatLng) *typesv1.LatLng { return roundTo(p, publicGridDegrees) }

// roundTo snaps a point to a grid of step degrees.
func roundTo(p *typesv1.LatLng, step float64) *typesv1.LatLng {
	if p == nil {
		return nil
	}
	snap := func(v float64) float64 { return math.Round(v/step) * step }
	return &typesv1.LatLng{Lat: snap(p.GetLat()), Lng: snap(p.GetLng())}
}

// publicWhistle is what the public may know of a whistle: its category,
// street, status and times, a coarse location, and which departments answer
// by when. Not its title, description or address (the street's and often a
// resident's words), its exact point, who raised it, ratings, comments or
// anything the departments wrote.
func publicWhistle(w *intakev1.Whistle) *intakev1.Whistle {
	out := &intakev1.Whistle{
		Id: w.GetId(), StreetId: w.GetStreetId(), DistrictId: w.GetDistrictId(), Category: w.GetCategory(),
		Location: coarsen(w.GetLocation()), Urgency: w.GetUrgency(), Status: w.GetStatus(),
		RaisedAt: w.GetRaisedAt(), UpdatedAt: w.GetUpdatedAt(), ResolvedAt: w.GetResolvedAt(), ClosedAt: w.GetClosedAt(),
		MergedInto: w.GetMergedInto(),
	}
	for _, d := range w.GetDispatches() {
		out.Dispatches = append(out.Dispatches, &responsev1.Dispatch{
			Id: d.GetId(), WhistleId: d.GetWhistleId(), DistrictId: d.GetDistrictId(), StreetId: d.GetStreetId(),
			Category: d.GetCategory(), Department: d.GetDepartment(), Role: d.GetRole(), Status: d.GetStatus(),
			DispatchedAt: d.GetDispatchedAt(), Deadlines: d.GetDeadlines(),
			AcknowledgedAt: d.GetAcknowledgedAt(), ArrivedAt: d.GetArrivedAt(), ResolvedAt: d.GetResolvedAt(),
		})
	}
	return out
}

// publicReport is what the public may know of a report: its category,
// street, status and times, and the whistle it went into. Not the reporter's
// words, address, point, photos or contact, nor the street's result text.
func publicReport(r *intakev1.Report) *intakev1.Report {
	return &intakev1.Report{
		Id: r.GetId(), Source: r.GetSource(), StreetId: r.GetStreetId(), DistrictId: r.GetDistrictId(),
		Category: r.GetCategory(), Status: r.GetStatus(), Triage: r.GetTriage(), WhistleId: r.GetWhistleId(),
		ReceivedAt: r.GetReceivedAt(), TriagedAt: r.GetTriagedAt(), ClosedAt: r.GetClosedAt(),
	}
}
