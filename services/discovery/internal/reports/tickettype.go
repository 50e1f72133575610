package reports

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Ticket types of the 12345 hotline, each with its statutory time limit.
const (
	TicketUrgent    = "urgent"    // 紧急
	TicketExpedited = "expedited" // 加急
	TicketGeneral   = "general"   // 一般
	TicketComplex   = "complex"   // 复杂
)

// ticketTypeNames are the Chinese names a hotline export uses for each type.
var ticketTypeNames = map[string]string{
	"紧急": TicketUrgent, "加急": TicketExpedited, "一般": TicketGeneral, "复杂": TicketComplex,
}

// TicketTypeName is the Chinese name of a ticket type ("" for none).
func TicketTypeName(code string) string {
	for name, c := range ticketTypeNames {
		if c == code {
			return name
		}
	}
	return code
}

// TicketLimits are the statutory time limits per ticket type.
type TicketLimits map[string]time.Duration

// DefaultTicketLimits are the hotline's 2 h / 24 h / 7 d / 15 d.
var DefaultTicketLimits = TicketLimits{
	TicketUrgent: 2 * time.Hour, TicketExpedited: 24 * time.Hour,
	TicketGeneral: 7 * 24 * time.Hour, TicketComplex: 15 * 24 * time.Hour,
}

// ParseTicketLimits reads WHISTLE_HOTLINE_LIMITS: comma-separated type=limit
// entries ("urgent=2h,general=7d"), a limit a Go duration or whole days
// ("7d"). Types not named keep their default; empty means the defaults.
func ParseTicketLimits(s string) (TicketLimits, error) {
	out := TicketLimits{}
	for k, v := range DefaultTicketLimits {
		out[k] = v
	}
	for entry := range strings.SplitSeq(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		typ, limit, ok := strings.Cut(entry, "=")
		typ, limit = strings.TrimSpace(typ), strings.TrimSpace(limit)
		if !ok || typ == "" {
			return nil, fmt.Errorf("WHISTLE_HOTLINE_LIMITS entry %q: want type=limit", entry)
		}
		d, err := parseLimit(limit)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("WHISTLE_HOTLINE_LIMITS entry %q: the limit must be a positive duration such as 2h or 7d", entry)
		}
		out[typ] = d
	}
	return out, nil
}

func parseLimit(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		return time.Duration(n) * 24 * time.Hour, err
	}
	return time.ParseDuration(s)
}

// Type is the code of a ticket type given by its code or Chinese name; ok is
// false for a type with no limit.
func (l TicketLimits) Type(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if c, ok := ticketTypeNames[s]; ok {
		s = c
	}
	s = strings.ToLower(s)
	_, ok := l[s]
	return s, ok
}

// Types are the configured type codes, sorted.
func (l TicketLimits) Types() []string {
	out := make([]string, 0, len(l))
	for k := range l {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Due is when a ticket of type typ received at received is due: due itself
// when the hotline gave one, otherwise received plus the type's limit.
func (l TicketLimits) Due(typ string, received, due time.Time) time.Time {
	if !due.IsZero() || typ == "" {
		return due
	}
	return received.Add(l[typ])
}

// DueState is a ticket's statutory clock at now: BREACHED once due passed
// before the ticket closed (closed is zero while open), "" otherwise.
func DueState(due, closed, now time.Time) string {
	switch {
	case due.IsZero():
		return ""
	case closed.IsZero() && !now.Before(due), !closed.IsZero() && closed.After(due):
		return "BREACHED"
	}
	return ""
}
