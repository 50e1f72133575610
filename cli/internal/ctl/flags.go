package ctl

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

// parseWhen reads --from/--to: RFC 3339, or a plain date taken as midnight local time.
func parseWhen(flag, v string) (string, error) {
	t, err := parseTimeFlag(flag, v, "2006-01-02", time.Local, "a date (2026-11-01) or an RFC 3339 time (2026-11-01T08:00:00+08:00)")
	if t.IsZero() || err != nil {
		return "", err
	}
	return t.Format(time.RFC3339), nil
}

// periodQuery is the district, from and to of a report: --to defaults to
// now, --from to 30 days before --to.
func periodQuery(district, from, to string) (url.Values, error) {
	q := url.Values{}
	setIf(q, "district", district)
	if to == "" {
		to = time.Now().Format(time.RFC3339)
	}
	if from == "" {
		end, err := parseTimeFlag("to", to, "2006-01-02", time.Local, "a date (2026-11-01) or an RFC 3339 time")
		if err != nil {
			return nil, err
		}
		from = end.AddDate(0, 0, -30).Format(time.RFC3339)
	}
	for _, p := range []struct{ name, val string }{{"from", from}, {"to", to}} {
		v, err := parseWhen(p.name, p.val)
		if err != nil {
			return nil, err
		}
		setIf(q, p.name, v)
	}
	return q, nil
}

// parseTimeFlag reads the time flag --flag: RFC 3339, or layout in loc. An
// empty value is the zero time; hint says what to use in the error.
func parseTimeFlag(flag, v, layout string, loc *time.Location, hint string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(layout, v, loc); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--%s %q: use %s", flag, v, hint)
}

func n(v int64) string { return strconv.FormatInt(v, 10) }

func pct(r float64) string { return fmt.Sprintf("%.1f%%", r*100) }

func dur(d *durationpb.Duration) string {
	if d == nil {
		return "-"
	}
	return d.AsDuration().String()
}

func rule(r *routingv1.CatalogueRule) string {
	if r == nil {
		return "-"
	}
	s := r.GetLeadDepartment()
	if co := r.GetCooperatingDepartments(); len(co) > 0 {
		s += " + " + strings.Join(co, ", ")
	}
	if sla := r.GetSla(); sla != nil {
		s += " (arrive " + dur(sla.GetArriveWithin()) + ")"
	}
	return s
}

func setIf(q url.Values, key, val string) {
	if val != "" {
		q.Set(key, val)
	}
}
