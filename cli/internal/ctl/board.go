package ctl

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"

	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
)

// boardCmd is whistlectl board: the joint board (联合执法) every department of a whistle shares.
func boardCmd(e *env) *cobra.Command {
	board := &cobra.Command{Use: "board", Short: "The joint board (联合执法): every department's state on one whistle, and their notes"}
	showBoard := authed(&cobra.Command{
		Use:   "show WHISTLE_ID",
		Short: "Every participating department's dispatch, who is on duty, and the shared notes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, raw, err := e.client().WhistleBoard(cmd.Context(), args[0])
			return show(e, b, raw, err, func(b *responsev1.WhistleBoard) error { return printBoard(e, b) })
		},
	})
	var text string
	note := authed(&cobra.Command{
		Use:     "note WHISTLE_ID --text TEXT",
		Short:   "Leave a note for the other departments (协同留言)",
		Example: "  whistlectl board note 0193... --text 公安已到场维持秩序，城管可开始清理",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, raw, err := e.client().AddBoardNote(cmd.Context(), args[0], text)
			return show(e, n, raw, err, func(n *responsev1.BoardNote) error {
				_, err := fmt.Fprintf(e.out, "%s  %s  %s: %s\n", n.GetId(), fmtTime(n.GetCreatedAt()), n.GetDepartment(), n.GetText())
				return err
			})
		},
	})
	note.Flags().StringVar(&text, "text", "", "the note")
	_ = note.MarkFlagRequired("text")
	complete := authed(&cobra.Command{
		Use:   "complete WHISTLE_ID",
		Short: "Mark the joint action done (lead department, once every department has arrived)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, raw, err := e.client().CompleteJointAction(cmd.Context(), args[0])
			return show(e, b, raw, err, func(b *responsev1.WhistleBoard) error { return printBoard(e, b) })
		},
	})
	board.AddCommand(showBoard, note, complete)
	return board
}

func printBoard(e *env, b *responsev1.WhistleBoard) error {
	done := "no"
	if b.GetCompletedAt() != nil {
		done = fmtTime(b.GetCompletedAt()) + " by " + orDash(b.GetCompletedBy())
	}
	fmt.Fprintf(e.out, "Whistle %s, joint action done: %s\n\n", b.GetWhistleId(), done)
	if err := printDispatches(e.out, b.GetDispatches()); err != nil {
		return err
	}
	fmt.Fprintln(e.out, "\nNOTES")
	t := newTable(e.out, "AT", "DEPARTMENT", "BY", "TEXT")
	for _, n := range b.GetNotes() {
		t.row(fmtTime(n.GetCreatedAt()), orDash(n.GetDepartment()), n.GetAuthor().GetRole()+":"+n.GetAuthor().GetId(), n.GetText())
	}
	return t.flush()
}

func riskCmd(e *env) *cobra.Command {
	var within, limit int
	var district, department string
	cmd := authed(&cobra.Command{
		Use:   "risk",
		Short: "Open dispatches at risk: due within --within minutes or already breached (supervisors)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if within < 0 || limit < 0 {
				return fmt.Errorf("--within and --limit must not be negative")
			}
			q := url.Values{}
			setIf(q, "district_id", district)
			setIf(q, "department", department)
			if within > 0 {
				q.Set("within_minutes", strconv.Itoa(within))
			}
			if limit > 0 {
				q.Set("page_size", strconv.Itoa(limit))
			}
			resp, raw, err := e.client().DispatchesAtRisk(cmd.Context(), q)
			return show(e, resp, raw, err, func(r *responsev1.ListDispatchesAtRiskResponse) error {
				fmt.Fprintf(e.out, "open %d, at risk %d, breached %d\n\n", r.GetOpen(), r.GetAtRisk(), r.GetBreached())
				return printDispatches(e.out, r.GetDispatches())
			})
		},
	})
	f := cmd.Flags()
	f.IntVar(&within, "within", 0, "minutes to a deadline that count as at risk (default: the server's)")
	f.StringVar(&district, "district", "", "six-digit district (a city supervisor; default your own)")
	f.StringVar(&department, "department", "", "only this department")
	f.IntVar(&limit, "limit", 0, "at most this many dispatches")
	return cmd
}

// formCmd is whistlectl form: the printed forms of a dispatch as PDF.
func formCmd(e *env) *cobra.Command {
	form := &cobra.Command{Use: "form", Short: "Printed forms of a dispatch as PDF: 派单单 (order) and 督办通知书 (notice)"}
	for _, f := range []struct {
		use, short string
		notice     bool
	}{
		{"order DISPATCH_ID", "The 派单单 of a dispatch, ready to sign", false},
		{"notice DISPATCH_ID", "The 督办通知书 of an escalated dispatch, ready to sign", true},
	} {
		var out, whistle string
		cmd := authed(&cobra.Command{
			Use:   f.use,
			Short: f.short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				doc, err := e.client().DispatchForm(cmd.Context(), args[0], whistle, f.notice)
				if err != nil {
					return err
				}
				return writeOut(e, out, doc)
			},
		})
		cmd.Flags().StringVar(&out, "out", "", "file to write (default: standard output)")
		if !f.notice {
			// A street reads its whistle's dispatches through the whistle, not from the desks' queue.
			cmd.Flags().StringVar(&whistle, "whistle", "", "the whistle the dispatch belongs to (a street printing the order of its own whistle)")
		}
		form.AddCommand(cmd)
	}
	return form
}
