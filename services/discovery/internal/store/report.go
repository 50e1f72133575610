package store

// UpdateParams writes back every field of r that changes after it is filed,
// so callers change the row they locked and save it whole.
func (r Report) UpdateParams() UpdateReportParams {
	return UpdateReportParams{
		ID: r.ID, Status: r.Status, Triage: r.Triage, WhistleID: r.WhistleID, Result: r.Result,
		TriagedAt: r.TriagedAt, ClosedAt: r.ClosedAt, Satisfaction: r.Satisfaction, Fixed: r.Fixed, RatedAt: r.RatedAt,
	}
}
