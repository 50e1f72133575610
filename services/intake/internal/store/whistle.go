package store

// UpdateParams writes back every field of w that changes after the raise, so
// callers change the row they locked and save it whole.
func (w Whistle) UpdateParams() UpdateWhistleParams {
	return UpdateWhistleParams{
		ID: w.ID, Status: w.Status, UpdatedAt: w.UpdatedAt, ResolvedAt: w.ResolvedAt, ClosedAt: w.ClosedAt,
		Satisfaction: w.Satisfaction, FeedbackComment: w.FeedbackComment, RoutedAt: w.RoutedAt, ReopenedAt: w.ReopenedAt,
	}
}
