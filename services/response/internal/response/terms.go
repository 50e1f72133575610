package response

import (
	"fmt"
	"time"
)

// Source names the rule that set one clock's limit of a dispatch.
type Source string

// Sources, from the weakest to the strongest.
const (
	// FromDefault is this service's default (DefaultAckWithin and the others):
	// the one default of the system, for a category nobody set a limit for.
	FromDefault Source = "default"
	// FromCatalogue is routing's catalogue entry for the category, carried in
	// the dispatch request.
	FromCatalogue Source = "catalogue"
	// FromPolicy is an admin's policy for the category in every district.
	FromPolicy Source = "policy"
	// FromDistrictPolicy is an admin's policy for the category in the
	// dispatch's own district.
	FromDistrictPolicy Source = "district policy"
)

// Override is the admin's policy that applies to a dispatch (the district's
// own one, else the every-district one): its positive limits win over the
// catalogue's.
type Override struct {
	Policy
	// District is the policy's district, "" for every district.
	District string
}

// Terms is a dispatch's SLA: the limit of each clock and the rule that gave it.
type Terms struct {
	Policy
	From map[Clock]Source
}

// TermsFor decides a dispatch's limits, and is the one place that does: an
// admin's policy (over, nil when none applies) wins over routing's catalogue
// limits (requested, zero where the request set none), which win over the
// defaults. A policy's resolve limit in hours or in working days replaces the
// catalogue's whole resolve limit.
func TermsFor(requested Policy, over *Override) Terms {
	t := Terms{From: map[Clock]Source{}}
	for _, c := range Clocks {
		if requested.Limit(c) > 0 {
			t.set(c, requested, FromCatalogue)
		}
	}
	if over != nil {
		from := FromPolicy
		if over.District != "" {
			from = FromDistrictPolicy
		}
		for _, c := range Clocks {
			if over.Limit(c) > 0 || (c == ClockResolve && over.ResolveWorkingDays > 0) {
				t.set(c, over.Policy, from)
			}
		}
	}
	defaults := Policy{}.WithDefaults()
	for _, c := range Clocks {
		if _, ok := t.From[c]; !ok {
			t.set(c, defaults, FromDefault)
		}
	}
	return t
}

// set takes clock c's limit from p, attributed to from.
func (t *Terms) set(c Clock, p Policy, from Source) {
	switch c {
	case ClockAck:
		t.AckWithin = p.AckWithin
	case ClockArrive:
		t.ArriveWithin = p.ArriveWithin
	default:
		if p.ResolveWorkingDays > 0 {
			// The hours limit is unused while working days count.
			t.ResolveWorkingDays, t.ResolveWithin = p.ResolveWorkingDays, DefaultResolveWithin
		} else {
			t.ResolveWorkingDays, t.ResolveWithin = 0, p.ResolveWithin
		}
	}
	t.From[c] = from
}

// Explain says how clock c's deadline comes about, e.g. "arrive within 30m0s
// of the SLA start (default)" or "resolve within 3 working days (district
// policy)".
func (t Terms) Explain(c Clock) string {
	if c == ClockResolve && t.ResolveWorkingDays > 0 {
		return fmt.Sprintf("%s within %d working days (%s)", c, t.ResolveWorkingDays, t.From[c])
	}
	return fmt.Sprintf("%s within %s of the SLA start (%s)", c, t.Limit(c).Round(time.Second), t.From[c])
}
