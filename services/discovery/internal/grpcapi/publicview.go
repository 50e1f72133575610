package grpcapi

import (
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
)

// PublicViewMethods are the reads the public's read-only identity
// (auth.RolePublic, Open311's anonymous reads) may call; each answers it its
// public view (the report's below).
var PublicViewMethods = []string{
	intakev1.ReportService_GetReport_FullMethodName,
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
