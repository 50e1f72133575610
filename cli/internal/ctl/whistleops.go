package ctl

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/chuishao/whistle/cli/internal/client"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

// The street's actions on its own whistle beyond raise/cancel/feedback/reopen:
// duplicates (合并/保留), the location check (位置确认) and one more department (增派).

func mergeCmd(e *env) *cobra.Command {
	var into string
	cmd := authed(&cobra.Command{
		Use:     "merge WHISTLE_ID --into WHISTLE_ID",
		Short:   "Merge a duplicate into the whistle it repeats (合并): it is cancelled, its dispatches with it",
		Example: "  whistlectl merge 0193b... --into 0193a...",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if into == args[0] {
				return fmt.Errorf("--into must name another whistle than %s", args[0])
			}
			wh, raw, err := e.client().MergeWhistle(cmd.Context(), args[0], into)
			return show(e, wh, raw, err, func(wh *intakev1.Whistle) error { return printWhistle(e.out, wh) })
		},
	})
	cmd.Flags().StringVar(&into, "into", "", "the whistle that stays (see the duplicate candidates of `whistlectl show`)")
	_ = cmd.MarkFlagRequired("into")
	return cmd
}

func keepCmd(e *env) *cobra.Command {
	return authed(&cobra.Command{
		Use:   "keep WHISTLE_ID",
		Short: "Keep a possible duplicate as a whistle of its own (不是重复，保留)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			wh, raw, err := e.client().KeepWhistle(cmd.Context(), args[0])
			return show(e, wh, raw, err, func(wh *intakev1.Whistle) error { return printWhistle(e.out, wh) })
		},
	})
}

// routingAction builds the commands answered by a routing explanation.
func routingAction(e *env, use, short string, call func(ctx context.Context, c *client.Client, id string) (*routingv1.RoutingExplanation, []byte, error)) *cobra.Command {
	return authed(&cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, raw, err := call(cmd.Context(), e.client(), args[0])
			return show(e, r, raw, err, func(r *routingv1.RoutingExplanation) error { return printRouting(e.out, r) })
		},
	})
}

func routingCmd(e *env) *cobra.Command {
	return routingAction(e, "routing WHISTLE_ID", "Why these departments: the rule, the jurisdiction check and each department's reason",
		func(ctx context.Context, c *client.Client, id string) (*routingv1.RoutingExplanation, []byte, error) {
			return c.ExplainRouting(ctx, id)
		})
}

func confirmLocationCmd(e *env) *cobra.Command {
	var note string
	cmd := routingAction(e, "confirm-location WHISTLE_ID", "Confirm a location the jurisdiction check doubted (位置确认): the whistle is this street's",
		func(ctx context.Context, c *client.Client, id string) (*routingv1.RoutingExplanation, []byte, error) {
			return c.ConfirmLocation(ctx, id, note)
		})
	cmd.Flags().StringVar(&note, "note", "", "why the place is right, e.g. 两街交界")
	return cmd
}

func addDepartmentCmd(e *env) *cobra.Command {
	var department, reason string
	cmd := routingAction(e, "add-department WHISTLE_ID", "Call one more department to a whistle (增派部门)",
		func(ctx context.Context, c *client.Client, id string) (*routingv1.RoutingExplanation, []byte, error) {
			return c.AddDepartment(ctx, id, department, reason)
		})
	cmd.Example = "  whistlectl add-department 0193... --department transport --reason 占用机动车道"
	cmd.Flags().StringVar(&department, "department", "", "department code, e.g. transport (see `whistlectl departments`)")
	cmd.Flags().StringVar(&reason, "reason", "", "why this department is needed too")
	_ = cmd.MarkFlagRequired("department")
	return cmd
}

func printRouting(w io.Writer, r *routingv1.RoutingExplanation) error {
	t := newTable(w)
	t.row("WHISTLE", r.GetWhistleId())
	t.row("CATALOGUE", orDash(r.GetCatalogueVersion()))
	t.row("RULE", orDash(r.GetRule()))
	if j := r.GetJurisdiction(); j != nil {
		check := orDash(j.GetResult())
		if j.GetNeedsConfirmation() {
			check += " (needs confirmation 待确认"
			if n := j.GetNeighbourStreetIds(); len(n) > 0 {
				check += "; neighbours " + strings.Join(n, ", ")
			}
			check += ")"
		}
		t.row("JURISDICTION", check)
		if j.GetConfirmedAt() != nil {
			t.row("CONFIRMED", fmtTime(j.GetConfirmedAt())+" "+orDash(j.GetConfirmedBy()))
		}
	}
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nDEPARTMENTS")
	dt := newTable(w, "DEPARTMENT", "ROLE", "DISPATCH", "STATUS", "DISPATCHED", "REASON")
	for _, d := range r.GetDepartments() {
		dt.row(d.GetDepartment(), orDash(d.GetRole()), orDash(d.GetDispatchId()), orDash(d.GetStatus()), fmtTime(d.GetDispatchedAt()), orDash(d.GetReason()))
	}
	return dt.flush()
}
