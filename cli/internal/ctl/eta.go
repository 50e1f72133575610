package ctl

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
)

// maxEtaWhistles is how many whistles one GET /v1/etas may name.
const maxEtaWhistles = 100

// etaCmd is whistlectl eta: the expected arrival and resolution a street
// sees (预计到场 / 预计办结), and a desk's own ETA (报预计到场).
func etaCmd(e *env) *cobra.Command {
	eta := &cobra.Command{Use: "eta", Short: "Expected arrival and resolution (预计到场 / 预计办结); a desk states its own ETA"}

	showEta := authed(&cobra.Command{
		Use:     "show WHISTLE_ID...",
		Short:   "Each dispatch's expected arrival and resolution, and what the estimate rests on",
		Example: "  whistlectl eta show 0193a... 0193b...",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > maxEtaWhistles {
				return fmt.Errorf("at most %d whistles at once, got %d", maxEtaWhistles, len(args))
			}
			resp, raw, err := e.client().WhistleEtas(cmd.Context(), args)
			return show(e, resp, raw, err, func(r *feedbackv1.ListWhistleEtasResponse) error { return printEtas(e, args, r) })
		},
	})

	var at, note string
	set := authed(&cobra.Command{
		Use:     "set DISPATCH_ID --at TIME",
		Short:   "State when your desk expects to be on site (报预计到场; before arriving)",
		Example: `  whistlectl eta set 0193d... --at "2026-11-28 10:40" --note 正在处理另一起警情，约 40 分钟后到`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			when, err := parseShiftTime("at", at)
			if err != nil {
				return err
			}
			if when == nil {
				return errors.New("--at must not be empty")
			}
			d, raw, err := e.client().SetDispatchEta(cmd.Context(), args[0], &responsev1.SetDispatchEtaRequest{ArriveAt: when, Note: note})
			return show(e, d, raw, err, func(d *responsev1.DeskEta) error {
				_, err := fmt.Fprintf(e.out, "Dispatch %s (%s) expects to be on site at %s%s; the street sees it.\n",
					d.GetDispatchId(), d.GetDepartment(), fmtTime(d.GetArriveAt()), withNote(d.GetNote()))
				return err
			})
		},
	})
	f := set.Flags()
	f.StringVar(&at, "at", "", `when on site, "2026-11-28 10:40" (Asia/Shanghai) or RFC 3339: after now, within 7 days`)
	f.StringVar(&note, "note", "", "shown to the street, up to 200 characters")
	_ = set.MarkFlagRequired("at")

	eta.AddCommand(showEta, set)
	return eta
}

func withNote(note string) string {
	if note == "" {
		return ""
	}
	return " (" + note + ")"
}

// etaBasisNames say in a few words what an estimate rests on.
var etaBasisNames = map[feedbackv1.EtaBasis]string{
	feedbackv1.EtaBasis_ETA_BASIS_ACTUAL:           "actual 实际",
	feedbackv1.EtaBasis_ETA_BASIS_DESK:             "desk 部门预计",
	feedbackv1.EtaBasis_ETA_BASIS_HISTORY_HOUR:     "history, same hour 同时段历史",
	feedbackv1.EtaBasis_ETA_BASIS_HISTORY_ANY_HOUR: "history, any hour 历史",
	feedbackv1.EtaBasis_ETA_BASIS_SLA:              "SLA deadline 时限",
}

// basis is an estimate's basis, with its samples when it rests on history.
func basis(est *feedbackv1.Estimate) string {
	name, ok := etaBasisNames[est.GetBasis()]
	if !ok {
		return "-"
	}
	if est.GetSamples() > 0 {
		name += fmt.Sprintf(" (%d)", est.GetSamples())
	}
	return name
}

// printEtas prints one block per whistle asked for; a whistle the answer
// leaves out is unknown or not the caller's to see.
func printEtas(e *env, asked []string, r *feedbackv1.ListWhistleEtasResponse) error {
	byID := map[string]*feedbackv1.WhistleEta{}
	for _, w := range r.GetEtas() {
		byID[w.GetWhistleId()] = w
	}
	for i, id := range asked {
		if i > 0 {
			fmt.Fprintln(e.out)
		}
		w, ok := byID[id]
		if !ok {
			fmt.Fprintf(e.out, "Whistle %s: no estimate (unknown, or not yours to see).\n", id)
			continue
		}
		fmt.Fprintf(e.out, "Whistle %s, expected done 预计办结: %s\n", id, fmtTime(w.GetExpectedResolutionAt()))
		t := newTable(e.out, "DISPATCH", "DEPARTMENT", "STATUS", "ARRIVE 预计到场", "BASIS", "RESOLVE 预计办结", "4 IN 5 BY", "BASIS", "DESK NOTE")
		for _, d := range w.GetDispatches() {
			a, res := d.GetArrival(), d.GetResolution()
			t.row(d.GetDispatchId(), d.GetDepartment(), d.GetStatus(), fmtTime(a.GetExpectedAt()), basis(a),
				fmtTime(res.GetExpectedAt()), fmtTime(res.GetP80At()), basis(res), orDash(a.GetNote()))
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	return nil
}
