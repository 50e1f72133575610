package feedback

// OnTime are the on-time counts the drill report compares: the same
// definitions for a drill's dispatches and for the real period's (cancelled
// dispatches left out, returned ones out of the arrival and resolve bases,
// appeals not applied), so the two sides differ only by what happened.
type OnTime struct {
	Dispatched     int64
	AckedOnTime    int64
	ArrivalBase    int64
	ArrivedOnTime  int64
	ResolvedOnTime int64
}

// Add is the sum of o and p, for the report's total line.
func (o OnTime) Add(p OnTime) OnTime {
	return OnTime{
		Dispatched:     o.Dispatched + p.Dispatched,
		AckedOnTime:    o.AckedOnTime + p.AckedOnTime,
		ArrivalBase:    o.ArrivalBase + p.ArrivalBase,
		ArrivedOnTime:  o.ArrivedOnTime + p.ArrivedOnTime,
		ResolvedOnTime: o.ResolvedOnTime + p.ResolvedOnTime,
	}
}

// Rates are the on-time rates of acknowledging, arriving and resolving, each
// in [0, 1]; 0 when there was nothing to score.
func (o OnTime) Rates() (ack, arrive, resolve float64) {
	return ratio(o.AckedOnTime, o.Dispatched), ratio(o.ArrivedOnTime, o.ArrivalBase), ratio(o.ResolvedOnTime, o.ArrivalBase)
}
