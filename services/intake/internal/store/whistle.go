package store

// UpdateParams writes back every field of w that changes after the raise, so
// callers change the row they locked and save it whole.
func (w Whistle) UpdateParams() UpdateWhistleParams {
	return UpdateWhistleParams{
		ID: w.ID, Status: w.Status, UpdatedAt: w.UpdatedAt, ResolvedAt: w.ResolvedAt, ClosedAt: w.ClosedAt,
		Satisfaction: w.Satisfaction, FeedbackComment: w.FeedbackComment, RoutedAt: w.RoutedAt, ReopenedAt: w.ReopenedAt,
	}
}

// InsertWhistlesOf is the multi-row insert of new whistles ws, in their order.
func InsertWhistlesOf(ws []Whistle) InsertWhistlesParams {
	var p InsertWhistlesParams
	for _, w := range ws {
		p.Ids = append(p.Ids, w.ID)
		p.StreetIds = append(p.StreetIds, w.StreetID)
		p.DistrictIds = append(p.DistrictIds, w.DistrictID)
		p.Categories = append(p.Categories, w.Category)
		p.Titles = append(p.Titles, w.Title)
		p.Descriptions = append(p.Descriptions, w.Description)
		p.Addresses = append(p.Addresses, w.Address)
		p.Lats = append(p.Lats, w.Lat)
		p.Lngs = append(p.Lngs, w.Lng)
		p.Urgencies = append(p.Urgencies, w.Urgency)
		p.Statuses = append(p.Statuses, w.Status)
		p.RaisedByRoles = append(p.RaisedByRoles, w.RaisedByRole)
		p.RaisedByIds = append(p.RaisedByIds, w.RaisedByID)
		p.RaisedAts = append(p.RaisedAts, w.RaisedAt)
		p.UpdatedAts = append(p.UpdatedAts, w.UpdatedAt)
		// An empty key is none (NULLIF in the query).
		p.IdempotencyKeys = append(p.IdempotencyKeys, w.IdempotencyKey.String)
	}
	return p
}
