package ctl

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
)

// clocks are the SLA clocks a desk may ask to move or appeal.
var slaClocks = []string{"ack", "arrive", "resolve"}

func checkClock(flag, v string) error {
	for _, c := range slaClocks {
		if v == c {
			return nil
		}
	}
	return fmt.Errorf("--%s %q: must be ack, arrive or resolve", flag, v)
}

// extensionCmd is whistlectl extension: 延期, asked by a desk, decided by a supervisor.
func extensionCmd(e *env) *cobra.Command {
	ext := &cobra.Command{Use: "extension", Short: "Deadline extensions (延期): a desk asks, a supervisor decides"}

	var clock, until, reason string
	request := authed(&cobra.Command{
		Use:     "request DISPATCH_ID",
		Short:   "Ask for a later deadline of one clock of your dispatch (申请延期)",
		Example: `  whistlectl extension request 0193... --clock resolve --until "2026-11-28 18:00" --reason 需协调产权单位到场`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkClock("clock", clock); err != nil {
				return err
			}
			at, err := parseShiftTime("until", until)
			if err != nil {
				return err
			}
			d, raw, err := e.client().RequestExtension(cmd.Context(), args[0], &responsev1.RequestExtensionRequest{Clock: clock, Until: at, Reason: reason})
			return show(e, d, raw, err, func(d *responsev1.Dispatch) error { return printDispatchExtensions(e.out, d) })
		},
	})
	rf := request.Flags()
	rf.StringVar(&clock, "clock", "", "ack, arrive or resolve")
	rf.StringVar(&until, "until", "", `the new deadline, "2026-11-28 18:00" (Asia/Shanghai) or RFC 3339`)
	rf.StringVar(&reason, "reason", "", "why the deadline cannot be kept")
	for _, f := range []string{"clock", "until", "reason"} {
		_ = request.MarkFlagRequired(f)
	}

	var pageSize int
	var pageToken string
	list := authed(&cobra.Command{
		Use:   "list",
		Short: "The pending extension requests of your district (supervisors)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, raw, err := e.client().ListPendingExtensions(cmd.Context(), pageSize, pageToken)
			return show(e, resp, raw, err, func(r *responsev1.ListPendingExtensionsResponse) error {
				if len(r.GetExtensions()) == 0 {
					_, err := fmt.Fprintln(e.out, "No extension waits for a decision.")
					return err
				}
				t := newTable(e.out, "EXTENSION", "DISPATCH", "WHISTLE", "DEPARTMENT", "CLOCK", "DUE", "UNTIL", "REQUESTED", "REASON")
				for _, p := range r.GetExtensions() {
					x, d := p.GetExtension(), p.GetDispatch()
					t.row(x.GetId(), x.GetDispatchId(), d.GetWhistleId(), d.GetDepartment(), x.GetClock(), fmtTime(x.GetPreviousDueAt()),
						fmtTime(x.GetUntil()), fmtTime(x.GetRequestedAt())+" "+orDash(x.GetRequestedBy()), orDash(x.GetReason()))
				}
				if err := t.flush(); err != nil {
					return err
				}
				if next := r.GetNextPageToken(); next != "" {
					fmt.Fprintf(e.out, "\nMore: whistlectl extension list --page-token %s\n", next)
				}
				return nil
			})
		},
	})
	list.Flags().IntVar(&pageSize, "page-size", 0, "requests per page")
	list.Flags().StringVar(&pageToken, "page-token", "", "continue a previous listing")

	var approve, reject bool
	var note string
	decide := authed(&cobra.Command{
		Use:     "decide DISPATCH_ID EXTENSION_ID (--approve | --reject)",
		Short:   "Approve or reject an extension request (延期审批; supervisors)",
		Example: "  whistlectl extension decide 0193d... 0193e... --approve --note 同意延期",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if approve == reject {
				return errors.New("give exactly one of --approve or --reject")
			}
			d, raw, err := e.client().DecideExtension(cmd.Context(), args[0], &responsev1.DecideExtensionRequest{ExtensionId: args[1], Approve: approve, Note: note})
			return show(e, d, raw, err, func(d *responsev1.Dispatch) error { return printDispatchExtensions(e.out, d) })
		},
	})
	df := decide.Flags()
	df.BoolVar(&approve, "approve", false, "move the deadline to the one asked for")
	df.BoolVar(&reject, "reject", false, "keep the deadline")
	df.StringVar(&note, "note", "", "the decision's note, for the record")
	decide.MarkFlagsMutuallyExclusive("approve", "reject")

	ext.AddCommand(request, list, decide)
	return ext
}

// printDispatchExtensions prints the dispatch's clocks and its extensions.
func printDispatchExtensions(w io.Writer, d *responsev1.Dispatch) error {
	if err := printClocks(w, d); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nEXTENSIONS")
	t := newTable(w, "ID", "CLOCK", "UNTIL", "STATUS", "REQUESTED", "DECIDED", "REASON")
	for _, x := range d.GetExtensions() {
		t.row(x.GetId(), x.GetClock(), fmtTime(x.GetUntil()), x.GetStatus().String(), fmtTime(x.GetRequestedAt()),
			fmtTime(x.GetDecidedAt())+" "+orDash(x.GetDecisionNote()), orDash(x.GetReason()))
	}
	return t.flush()
}
