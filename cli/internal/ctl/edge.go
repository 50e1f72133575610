package ctl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

// parseWhen reads --from/--to: RFC 3339, or a plain date taken as midnight local time.
func parseWhen(flag, v string) (string, error) {
	t, err := parseTimeFlag(flag, v, "2006-01-02", time.Local, "a date (2026-11-01) or an RFC 3339 time (2026-11-01T08:00:00+08:00)")
	if t.IsZero() || err != nil {
		return "", err
	}
	return t.Format(time.RFC3339), nil
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

func escalateCmd(e *env) *cobra.Command {
	var reason string
	cmd := authed(&cobra.Command{
		Use:   "escalate DISPATCH_ID",
		Short: "Escalate a dispatch one step up the ladder (催办 → 督办 → 挂牌督办); supervisors",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var d responsev1.Dispatch
			raw, err := e.client().Call(cmd.Context(), http.MethodPost, "/v1/dispatches/"+url.PathEscape(args[0])+":escalate", nil, nil,
				&responsev1.EscalateDispatchRequest{Reason: reason}, &d)
			return show(e, &d, raw, err, func(d *responsev1.Dispatch) error { return printDispatch(e.out, d) })
		},
	})
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the record")
	return cmd
}

func arbitrationsCmd(e *env) *cobra.Command {
	var district, status string
	cmd := authed(&cobra.Command{
		Use:   "arbitrations",
		Short: "The supervisor's arbitration queue (审定): disputed returns and unlocatable whistles",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			setIf(q, "district", district)
			setIf(q, "status", status)
			var resp routingv1.ListArbitrationsResponse
			raw, err := e.client().Call(cmd.Context(), http.MethodGet, "/v1/arbitrations", q, nil, nil, &resp)
			return show(e, &resp, raw, err, func(resp *routingv1.ListArbitrationsResponse) error {
				if len(resp.GetArbitrations()) == 0 {
					_, err := fmt.Fprintln(e.out, "Nothing to arbitrate.")
					return err
				}
				t := newTable(e.out, "ID", "WHISTLE", "KIND", "FROM", "REASON", "STATUS", "REQUESTED")
				for _, a := range resp.GetArbitrations() {
					t.row(a.GetId(), a.GetWhistleId(), a.GetKind(), orDash(a.GetFromDepartment()), orDash(a.GetReason()), a.GetStatus(), fmtTime(a.GetRequestedAt()))
				}
				return t.flush()
			})
		},
	})
	cmd.Flags().StringVar(&district, "district", "", "six-digit district (a city supervisor; default your own)")
	cmd.Flags().StringVar(&status, "status", "", "open (default), decided or all")
	return cmd
}

func arbitrateCmd(e *env) *cobra.Command {
	var req routingv1.DecideArbitrationRequest
	cmd := authed(&cobra.Command{
		Use:     "arbitrate ARBITRATION_ID",
		Short:   "Decide an arbitration: which department owns the whistle (审定)",
		Example: "  whistlectl arbitrate 0193... --department urban-management --note 占道经营属城管",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if req.ResetSla && req.ResetReason == "" {
				return errors.New("--reset-reason is required with --reset-sla")
			}
			var a routingv1.Arbitration
			raw, err := e.client().Call(cmd.Context(), http.MethodPost, "/v1/arbitrations/"+url.PathEscape(args[0])+":decide", nil, nil, &req, &a)
			return show(e, &a, raw, err, func(a *routingv1.Arbitration) error {
				t := newTable(e.out)
				t.row("Arbitration:", a.GetId())
				t.row("Whistle:", a.GetWhistleId())
				t.row("Status:", a.GetStatus())
				t.row("Decided:", fmtTime(a.GetDecidedAt()), orDash(a.GetDecidedBy()))
				return t.flush()
			})
		},
	})
	f := cmd.Flags()
	f.StringVar(&req.Department, "department", "", "department that owns the whistle from now on")
	f.BoolVar(&req.ResetSla, "reset-sla", false, "restart the arrival clock instead of inheriting the original start")
	f.StringVar(&req.ResetReason, "reset-reason", "", "why the clock restarts (with --reset-sla)")
	f.StringVar(&req.Note, "note", "", "note for the record")
	_ = cmd.MarkFlagRequired("department")
	return cmd
}

func reportCmd(e *env) *cobra.Command {
	report := &cobra.Command{Use: "report", Short: "Supervisors' reports"}
	var district, from, to string
	var csv bool
	sla := authed(&cobra.Command{
		Use:     "sla",
		Short:   "Per-department SLA compliance and 三率 for a district and period",
		Example: "  whistlectl report sla --district 110101 --from 2026-11-01 --to 2026-12-01\n  whistlectl report sla --district 110101 --csv > sla.csv",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			setIf(q, "district", district)
			if to == "" {
				to = time.Now().Format(time.RFC3339)
			}
			if from == "" {
				end, err := time.Parse(time.RFC3339, to)
				if err != nil {
					end, err = time.ParseInLocation("2006-01-02", to, time.Local)
				}
				if err != nil {
					return fmt.Errorf("--to %q: use a date (2026-11-01) or an RFC 3339 time", to)
				}
				from = end.AddDate(0, 0, -30).Format(time.RFC3339)
			}
			for _, p := range []struct{ name, val string }{{"from", from}, {"to", to}} {
				v, err := parseWhen(p.name, p.val)
				if err != nil {
					return err
				}
				setIf(q, p.name, v)
			}
			if csv {
				var doc feedbackv1.SlaReportCsv
				if _, err := e.client().Call(cmd.Context(), http.MethodGet, "/v1/reports/sla:csv", q, nil, nil, &doc); err != nil {
					return err
				}
				_, err := fmt.Fprint(e.out, doc.GetCsv())
				return err
			}
			var r feedbackv1.SlaReport
			raw, err := e.client().Call(cmd.Context(), http.MethodGet, "/v1/reports/sla", q, nil, nil, &r)
			return show(e, &r, raw, err, func(r *feedbackv1.SlaReport) error {
				fmt.Fprintf(e.out, "District %s, %s – %s\n\n", orDash(r.GetDistrict()), fmtTime(r.GetFrom()), fmtTime(r.GetTo()))
				t := newTable(e.out, "DEPARTMENT", "DISPATCHED", "ACK ON TIME", "ARRIVED ON TIME", "RESOLVED ON TIME", "RETURNED", "BREACHES", "RESPONSE", "RESOLUTION", "SATISFACTION")
				lines := append(r.GetDepartments(), r.GetTotal())
				for i, d := range lines {
					if d == nil {
						continue
					}
					name := d.GetDepartment()
					if i == len(lines)-1 {
						name = "total"
					}
					t.row(name, n(d.GetDispatched()), n(d.GetAckedOnTime()), n(d.GetArrivedOnTime()), n(d.GetResolvedOnTime()),
						n(d.GetReturned()), n(d.GetBreaches()), pct(d.GetResponseRate()), pct(d.GetResolutionRate()), pct(d.GetSatisfactionRate()))
				}
				return t.flush()
			})
		},
	})
	f := sla.Flags()
	f.StringVar(&district, "district", "", "six-digit district (default: the token's district)")
	f.StringVar(&from, "from", "", "start of the period (date or RFC 3339; default 30 days before --to)")
	f.StringVar(&to, "to", "", "end of the period, exclusive (default now)")
	f.BoolVar(&csv, "csv", false, "print the report as CSV")
	report.AddCommand(sla)
	return report
}

func auditCmd(e *env) *cobra.Command {
	audit := &cobra.Command{Use: "audit", Short: "The tamper-evident timeline"}
	var whistle string
	verify := authed(&cobra.Command{
		Use:   "verify",
		Short: "Check the hash chains of the timelines in your scope; exits 1 when one is broken",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var v feedbackv1.VerifyAuditResponse
			raw, err := e.client().Call(cmd.Context(), http.MethodPost, "/v1/audit:verify", nil, nil, &feedbackv1.VerifyAuditRequest{WhistleId: whistle}, &v)
			if err := show(e, &v, raw, err, func(v *feedbackv1.VerifyAuditResponse) error {
				verdict := "OK"
				if !v.GetOk() {
					verdict = "BROKEN"
				}
				fmt.Fprintf(e.out, "%s: %d whistles, %d entries checked\n", verdict, v.GetWhistlesChecked(), v.GetEntriesChecked())
				if len(v.GetBroken()) == 0 {
					return nil
				}
				t := newTable(e.out, "WHISTLE", "SEQ", "EVENT")
				for _, b := range v.GetBroken() {
					t.row(b.GetWhistleId(), strconv.FormatInt(b.GetSeq(), 10), orDash(b.GetEventId()))
				}
				return t.flush()
			}); err != nil {
				return err
			}
			if !v.GetOk() {
				return errors.New("the audit log does not verify")
			}
			return nil
		},
	})
	verify.Flags().StringVar(&whistle, "whistle", "", "only this whistle (default: every whistle in your scope)")
	audit.AddCommand(verify)
	return audit
}

func slaCmd(e *env) *cobra.Command {
	sla := &cobra.Command{Use: "sla", Short: "SLA policies and the working-day calendar"}
	policies := authed(&cobra.Command{
		Use:   "policies",
		Short: "List the SLA policy overrides per category × district",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var resp responsev1.ListPoliciesResponse
			raw, err := e.client().Call(cmd.Context(), http.MethodGet, "/v1/sla/policies", nil, nil, nil, &resp)
			return show(e, &resp, raw, err, func(resp *responsev1.ListPoliciesResponse) error {
				t := newTable(e.out, "CATEGORY", "DISTRICT", "ACK", "ARRIVE", "RESOLVE")
				for _, p := range resp.GetPolicies() {
					resolve := dur(p.GetResolveWithin())
					if wd := p.GetResolveWorkingDays(); wd > 0 {
						resolve = fmt.Sprintf("%d working days", wd)
					}
					t.row(p.GetCategory(), orDash(p.GetDistrictId()), dur(p.GetAckWithin()), dur(p.GetArriveWithin()), resolve)
				}
				return t.flush()
			})
		},
	})
	calendar := authed(&cobra.Command{
		Use:   "calendar YEAR",
		Short: "List a year's holidays and make-up working days (调休)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := strconv.Atoi(args[0]); err != nil {
				return fmt.Errorf("YEAR must be a number, got %q", args[0])
			}
			var resp responsev1.ListCalendarDaysResponse
			raw, err := e.client().Call(cmd.Context(), http.MethodGet, "/v1/sla/calendar/"+args[0], nil, nil, nil, &resp)
			return show(e, &resp, raw, err, func(resp *responsev1.ListCalendarDaysResponse) error {
				t := newTable(e.out, "DATE", "KIND", "NAME", "NOTE")
				for _, d := range resp.GetDays() {
					note := "-"
					if d.GetProvisional() {
						note = "暂定 provisional (调休 not yet published)"
					}
					t.row(d.GetDate(), d.GetKind().String(), orDash(d.GetName()), note)
				}
				return t.flush()
			})
		},
	})
	clocks := authed(&cobra.Command{
		Use:   "clocks DISPATCH_ID",
		Short: "A dispatch's SLA clocks: deadline, state (on time/warning/breached/met/met late) and the escalation level",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, raw, err := e.client().GetDispatch(cmd.Context(), args[0])
			return show(e, d, raw, err, func(d *responsev1.Dispatch) error { return printClocks(e.out, d) })
		},
	})
	sla.AddCommand(policies, calendar, clocks)
	return sla
}

func catalogueCmd(e *env) *cobra.Command {
	cat := &cobra.Command{Use: "catalogue", Short: "The routing catalogue (派单目录): diff and publish the draft"}
	var fromV, toV string
	diff := authed(&cobra.Command{
		Use:   "diff",
		Short: "Rules that differ between two versions (default: the version in force and the draft)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			setIf(q, "from_version", fromV)
			setIf(q, "to_version", toV)
			var resp routingv1.DiffCatalogueResponse
			raw, err := e.client().Call(cmd.Context(), http.MethodGet, "/v1/catalogue:diff", q, nil, nil, &resp)
			return show(e, &resp, raw, err, func(resp *routingv1.DiffCatalogueResponse) error {
				fmt.Fprintf(e.out, "%s → %s: %d changed rules\n", resp.GetFromVersion(), resp.GetToVersion(), len(resp.GetChanges()))
				if len(resp.GetChanges()) == 0 {
					return nil
				}
				t := newTable(e.out, "CHANGE", "CATEGORY", "DISTRICT", "BEFORE", "AFTER")
				for _, c := range resp.GetChanges() {
					r := c.GetAfter()
					if r == nil {
						r = c.GetBefore()
					}
					t.row(c.GetChange(), r.GetCategory(), orDash(r.GetDistrictId()), rule(c.GetBefore()), rule(c.GetAfter()))
				}
				return t.flush()
			})
		},
	})
	diff.Flags().StringVar(&fromV, "from", "", "version to compare from (default: in force)")
	diff.Flags().StringVar(&toV, "to", "", "version to compare to (default: the draft)")
	var effective string
	publish := authed(&cobra.Command{
		Use:   "publish",
		Short: "Publish the draft as the next version (admins)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &routingv1.PublishCatalogueRequest{}
			if effective != "" {
				v, err := parseWhen("effective-at", effective)
				if err != nil {
					return err
				}
				t, _ := time.Parse(time.RFC3339, v)
				req.EffectiveAt = timestamppb.New(t)
			}
			var c routingv1.Catalogue
			raw, err := e.client().Call(cmd.Context(), http.MethodPost, "/v1/catalogue/draft:publish", nil, nil, req, &c)
			return show(e, &c, raw, err, func(c *routingv1.Catalogue) error {
				_, err := fmt.Fprintf(e.out, "Published %s (%d rules), effective %s\n", c.GetVersion(), len(c.GetRules()), fmtTime(c.GetEffectiveAt()))
				return err
			})
		},
	})
	publish.Flags().StringVar(&effective, "effective-at", "", "when the version starts routing (default now)")
	cat.AddCommand(diff, publish)
	return cat
}

// demoProblems are what `seed` raises, one per category in turn.
var demoProblems = []struct{ category, title, description string }{
	{"street-vending", "路口流动摊贩占道", "早高峰路口流动摊贩占道经营，影响通行"},
	{"garbage", "小区门口垃圾堆积", "小区门口垃圾两天未清运，异味明显"},
	{"noise", "夜间施工噪声", "工地夜间十一点后仍在施工，噪声扰民"},
	{"fire-lane-blocked", "消防通道被占", "居民楼消防通道被私家车长期占用"},
	{"road-damage", "路面塌陷", "人行道路面塌陷约一米见方，存在安全隐患"},
	{"joint-enforcement", "违规经营扰民", "底商违规经营，噪声扬尘扰民，需要联合执法"},
}

func seedCmd(e *env) *cobra.Command {
	var count int
	cmd := authed(&cobra.Command{
		Use:   "seed",
		Short: "Raise a few realistic demo whistles for the token's street (demos, the console)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			street := tokenClaim(e.token, "street")
			if street == "" {
				return errors.New("seed needs a street token (`whistlectl token --role street --street 110101001`)")
			}
			if count < 1 || count > 50 {
				return fmt.Errorf("--count must be 1..50, got %d", count)
			}
			var st routingv1.Street
			if _, err := e.client().Call(cmd.Context(), http.MethodGet, "/v1/streets/"+url.PathEscape(street), nil, nil, nil, &st); err != nil {
				return err
			}
			c := st.GetCentroid()
			var raised []*intakev1.Whistle
			for i := range count {
				p := demoProblems[i%len(demoProblems)]
				// Spread the points a little around the street's centre.
				loc := &typesv1.LatLng{Lat: c.GetLat() + float64(i%5-2)*0.0007, Lng: c.GetLng() + float64(i%3-1)*0.0009}
				wh, _, err := e.client().RaiseWhistle(cmd.Context(), &intakev1.RaiseWhistleRequest{
					StreetId: street, Category: p.category, Title: p.title, Description: p.description, Location: loc,
					CoordSys: "WGS84", // street centroids are stored in WGS-84
				}, newIdempotencyKey())
				if err != nil {
					return fmt.Errorf("seed whistle %d: %w", i+1, err)
				}
				raised = append(raised, wh)
			}
			ids := make([]string, len(raised))
			for i, w := range raised {
				ids[i] = w.GetId()
			}
			return e.emitValue(map[string][]string{"whistle_ids": ids}, func() error { return printWhistles(e.out, raised) })
		},
	})
	cmd.Flags().IntVar(&count, "count", 6, "how many whistles")
	return cmd
}

func watchCmd(e *env) *cobra.Command {
	return authed(&cobra.Command{
		Use:   "watch",
		Short: "Follow the live event stream of your scope (Ctrl-C stops)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return watch(cmd.Context(), e)
		},
	})
}

// watch prints one line per event of GET /v1/stream; with -o json each
// event's data on a line of its own (JSON Lines), with -o yaml each event's
// data as a YAML document.
func watch(ctx context.Context, e *env) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(e.url, "/")+"/v1/stream", nil)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Accept", "text/event-stream")
	// The stream has no end: no client timeout, only the context.
	resp, err := (&http.Client{Transport: e.http.Transport}).Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("cannot reach the gateway at %s: %w", e.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the stream answered HTTP %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var id, name string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data := strings.TrimPrefix(line, "data: ")
			var err error
			switch e.output {
			case OutputJSON:
				_, err = fmt.Fprintln(e.out, data)
			case OutputYAML:
				if _, err = fmt.Fprintln(e.out, "---"); err == nil {
					err = printYAML(e.out, []byte(data))
				}
			default:
				_, err = fmt.Fprintf(e.out, "%s\t%s\t%s\n", id, name, data)
			}
			if err != nil {
				return err
			}
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return sc.Err()
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
