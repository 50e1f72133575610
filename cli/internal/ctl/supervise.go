package ctl

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"

	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

func escalateCmd(e *env) *cobra.Command {
	var reason string
	cmd := authed(&cobra.Command{
		Use:   "escalate DISPATCH_ID",
		Short: "Escalate a dispatch one step up the ladder (催办 → 督办 → 挂牌督办); supervisors",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, raw, err := e.client().Escalate(cmd.Context(), args[0], reason)
			return show(e, d, raw, err, func(d *responsev1.Dispatch) error { return printDispatch(e.out, d) })
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
			resp, raw, err := e.client().ListArbitrations(cmd.Context(), q)
			return show(e, resp, raw, err, func(resp *routingv1.ListArbitrationsResponse) error {
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
			a, raw, err := e.client().DecideArbitration(cmd.Context(), args[0], &req)
			return show(e, a, raw, err, func(a *routingv1.Arbitration) error {
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
			q, err := periodQuery(district, from, to)
			if err != nil {
				return err
			}
			if csv {
				doc, _, err := e.client().SlaReportCsv(cmd.Context(), q)
				if err != nil {
					return err
				}
				_, err = fmt.Fprint(e.out, doc.GetCsv())
				return err
			}
			r, raw, err := e.client().SlaReport(cmd.Context(), q)
			return show(e, r, raw, err, func(r *feedbackv1.SlaReport) error {
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
	report.AddCommand(sla, scorecardsCmd(e), hotspotsCmd(e), monthlyCmd(e), whistleReportCmd(e), weightsCmd(e))
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
			v, raw, err := e.client().VerifyAudit(cmd.Context(), whistle)
			if err := show(e, v, raw, err, func(v *feedbackv1.VerifyAuditResponse) error {
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
