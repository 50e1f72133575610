package ctl

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
)

// appealCodes are the reasons an appeal may give (as feedback checks them).
var appealCodes = []string{"force_majeure", "wrong_routing", "other"}

// appealCmd is whistlectl appeal: a desk disputes a breach (申诉), a supervisor decides.
func appealCmd(e *env) *cobra.Command {
	ap := &cobra.Command{Use: "appeal", Short: "Appeals against a breach (申诉): a desk files, a supervisor decides; accepted ones do not count"}

	var req feedbackv1.FileAppealRequest
	file := authed(&cobra.Command{
		Use:     "file DISPATCH_ID",
		Short:   "Appeal one breached clock of your dispatch (申诉)",
		Example: "  whistlectl appeal file 0193... --clock arrive --code force_majeure --reason 暴雨封路，无法按时到场",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkClock("clock", req.Clock); err != nil {
				return err
			}
			if !slices.Contains(appealCodes, req.ReasonCode) {
				return fmt.Errorf("--code %q: must be force_majeure (不可抗力), wrong_routing (派单错误) or other", req.ReasonCode)
			}
			req.DispatchId = args[0]
			a, raw, err := e.client().FileAppeal(cmd.Context(), &req)
			return show(e, a, raw, err, func(a *feedbackv1.Appeal) error { return printAppeals(e.out, a) })
		},
	})
	ff := file.Flags()
	ff.StringVar(&req.Clock, "clock", "", "the breached clock: ack, arrive or resolve")
	ff.StringVar(&req.ReasonCode, "code", "", "force_majeure, wrong_routing or other")
	ff.StringVar(&req.Reason, "reason", "", "what happened")
	for _, f := range []string{"clock", "code", "reason"} {
		_ = file.MarkFlagRequired(f)
	}

	var status string
	list := authed(&cobra.Command{
		Use:   "list",
		Short: "Appeals in your scope, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := enumValue("status", status, feedbackv1.Appeal_Status_value)
			if err != nil {
				return err
			}
			resp, raw, err := e.client().ListAppeals(cmd.Context(), st)
			return show(e, resp, raw, err, func(r *feedbackv1.ListAppealsResponse) error {
				if len(r.GetAppeals()) == 0 {
					_, err := fmt.Fprintln(e.out, "No appeals.")
					return err
				}
				return printAppeals(e.out, r.GetAppeals()...)
			})
		},
	})
	list.Flags().StringVar(&status, "status", "", "only PENDING, ACCEPTED or REJECTED")

	var accept, reject bool
	var note string
	decide := authed(&cobra.Command{
		Use:     "decide APPEAL_ID (--accept | --reject)",
		Short:   "Accept or reject an appeal (申诉裁决; supervisors): an accepted breach is excused in the scorecards",
		Example: "  whistlectl appeal decide 0193... --accept --note 气象部门发布暴雨红色预警",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if accept == reject {
				return errors.New("give exactly one of --accept or --reject")
			}
			a, raw, err := e.client().DecideAppeal(cmd.Context(), args[0], accept, note)
			return show(e, a, raw, err, func(a *feedbackv1.Appeal) error { return printAppeals(e.out, a) })
		},
	})
	df := decide.Flags()
	df.BoolVar(&accept, "accept", false, "excuse the breach")
	df.BoolVar(&reject, "reject", false, "the breach stands")
	df.StringVar(&note, "note", "", "the decision's note, for the record")
	decide.MarkFlagsMutuallyExclusive("accept", "reject")

	ap.AddCommand(file, list, decide)
	return ap
}

func printAppeals(w io.Writer, appeals ...*feedbackv1.Appeal) error {
	t := newTable(w, "ID", "DISPATCH", "DEPARTMENT", "CLOCK", "CODE", "STATUS", "FILED", "DECIDED", "REASON")
	for _, a := range appeals {
		decided := "-"
		if a.GetDecidedAt() != nil {
			decided = fmtTime(a.GetDecidedAt()) + " " + orDash(a.GetDecisionNote())
		}
		t.row(a.GetId(), a.GetDispatchId(), a.GetDepartment(), a.GetClock(), a.GetReasonCode(), a.GetStatus().String(),
			fmtTime(a.GetFiledAt()), decided, truncate(a.GetReason(), 40))
	}
	return t.flush()
}
