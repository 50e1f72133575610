package ctl

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
)

func slaCmd(e *env) *cobra.Command {
	sla := &cobra.Command{Use: "sla", Short: "SLA policies and the working-day calendar"}
	policies := authed(&cobra.Command{
		Use:   "policies",
		Short: "List the SLA policy overrides per category × district",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, raw, err := e.client().ListPolicies(cmd.Context())
			return show(e, resp, raw, err, func(resp *responsev1.ListPoliciesResponse) error { return printPolicies(e, resp.GetPolicies()) })
		},
	})
	calendar := authed(&cobra.Command{
		Use:   "calendar YEAR",
		Short: "List a year's holidays and make-up working days (调休)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			year, err := strconv.Atoi(args[0])
			if err != nil {
				return fmt.Errorf("YEAR must be a number, got %q", args[0])
			}
			resp, raw, err := e.client().ListCalendarDays(cmd.Context(), year)
			return show(e, resp, raw, err, func(resp *responsev1.ListCalendarDaysResponse) error { return printCalendar(e, resp.GetDays()) })
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
	policies.AddCommand(policySetCmd(e))
	calendar.AddCommand(calendarSetCmd(e), calendarDeleteCmd(e))
	sla.AddCommand(policies, calendar, clocks)
	return sla
}

func printPolicies(e *env, policies []*responsev1.Policy) error {
	t := newTable(e.out, "CATEGORY", "DISTRICT", "ACK", "ARRIVE", "RESOLVE")
	for _, p := range policies {
		resolve := dur(p.GetResolveWithin())
		if wd := p.GetResolveWorkingDays(); wd > 0 {
			resolve = fmt.Sprintf("%d working days", wd)
		}
		t.row(p.GetCategory(), orDash(p.GetDistrictId()), dur(p.GetAckWithin()), dur(p.GetArriveWithin()), resolve)
	}
	return t.flush()
}

func printCalendar(e *env, days []*responsev1.CalendarDay) error {
	t := newTable(e.out, "DATE", "KIND", "NAME", "NOTE")
	for _, d := range days {
		note := "-"
		if d.GetProvisional() {
			note = "暂定 provisional (调休 not yet published)"
		}
		t.row(d.GetDate(), d.GetKind().String(), orDash(d.GetName()), note)
	}
	return t.flush()
}
