package ctl

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
)

// maxTicketFileBytes is the most the gateway takes in one ticket file
// (POST /v1/tickets:importCsv with the file as the body).
const maxTicketFileBytes = 3 << 20

// xlsxType is the media type of an .xlsx workbook.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// ticketFileType is the media type to send a ticket file as: a workbook by
// its name or its zip signature, else CSV, whose encoding the gateway detects.
func ticketFileType(name string, data []byte) string {
	if strings.EqualFold(filepath.Ext(name), ".xlsx") || bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return xlsxType
	}
	return "text/csv"
}

// reportsCmd is whistlectl reports: discovery — the reports of grid
// workers, residents and the 12345 hotline, the street's inbox and triage.
func reportsCmd(e *env) *cobra.Command {
	rc := &cobra.Command{
		Use:   "reports",
		Short: "Reports (上报) of grid workers, residents and 12345: list, show, inbox, triage",
	}
	var street, whistle, status string
	var limit int32
	list := authed(&cobra.Command{
		Use:   "list",
		Short: "List a street's reports, newest first, or a whistle's linked reports (--whistle)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := enumValue("status", status, intakev1.Report_Status_value)
			if err != nil {
				return err
			}
			q := url.Values{}
			setIf(q, "street_id", street)
			setIf(q, "status", st)
			if limit > 0 {
				q.Set("page_size", strconv.Itoa(int(limit)))
			}
			resp, raw, err := e.client().ListReports(cmd.Context(), whistle, q)
			return show(e, resp, raw, err, func(r *intakev1.ListReportsResponse) error {
				return printReports(e, r.GetReports())
			})
		},
	})
	list.Flags().StringVar(&street, "street", "", "the street (default: the token's own)")
	list.Flags().StringVar(&whistle, "whistle", "", "the reports linked to this whistle")
	list.Flags().StringVar(&status, "status", "", "received, in_progress or closed")
	list.Flags().Int32Var(&limit, "limit", 0, "at most this many (default 100, at most 500)")

	showReport := authed(&cobra.Command{
		Use:   "show REPORT_ID",
		Short: "One report: source, status, triage clock, result, linked whistle",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, raw, err := e.client().GetReport(cmd.Context(), args[0])
			return show(e, r, raw, err, func(r *intakev1.Report) error { return printReport(e, r) })
		},
	})

	var inboxStreet string
	inbox := authed(&cobra.Command{
		Use:   "inbox",
		Short: "The street's untriaged reports (收件箱), nearby duplicates grouped",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := streetOf(e, inboxStreet)
			if err != nil {
				return err
			}
			resp, raw, err := e.client().Inbox(cmd.Context(), st)
			return show(e, resp, raw, err, func(in *intakev1.Inbox) error {
				t := newTable(e.out, "GROUP", "CATEGORY", "TRIAGE BY (CST)", "REPORT", "SOURCE", "DESCRIPTION")
				for _, g := range in.GetGroups() {
					for _, r := range g.GetReports() {
						t.row(g.GetId(), g.GetCategory(), cst(g.GetTriageBy()), r.GetId(), r.GetSource().String(), truncate(r.GetDescription(), 40))
					}
				}
				return t.flush()
			})
		},
	})
	inbox.Flags().StringVar(&inboxStreet, "street", "", "the street (default: the token's own)")

	var action, result, into string
	triage := authed(&cobra.Command{
		Use:   "triage REPORT_ID...",
		Short: "Triage reports: --action local --result TEXT | merge --whistle ID | whistle (blow the whistle) | reject --result REASON",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &intakev1.TriageReportsRequest{ReportIds: args, Result: result, WhistleId: into}
			switch strings.ToLower(action) {
			case "local", "handle_locally", "handle-locally":
				req.Action = intakev1.Report_HANDLE_LOCALLY
			case "merge":
				req.Action = intakev1.Report_MERGE
			case "whistle", "blow", "blow_whistle", "blow-whistle":
				req.Action = intakev1.Report_BLOW_WHISTLE
			case "reject":
				req.Action = intakev1.Report_REJECT
			default:
				return fmt.Errorf("--action %q: must be one of local, merge, whistle, reject", action)
			}
			resp, raw, err := e.client().TriageReports(cmd.Context(), req)
			return show(e, resp, raw, err, func(r *intakev1.TriageReportsResponse) error {
				if w := r.GetWhistle(); w != nil {
					if _, err := fmt.Fprintf(e.out, "whistle %s (%s)\n", w.GetId(), w.GetStatus()); err != nil {
						return err
					}
				}
				return printReports(e, r.GetReports())
			})
		},
	})
	triage.Flags().StringVar(&action, "action", "", "local (handle locally), merge, whistle (blow the whistle) or reject (不予受理)")
	triage.Flags().StringVar(&result, "result", "", "the result, for local; the reason, for reject")
	triage.Flags().StringVar(&into, "whistle", "", "the open whistle to merge into, for merge")
	_ = triage.MarkFlagRequired("action")

	rc.AddCommand(reportFileCmd(e), list, showReport, inbox, triage)
	return rc
}

// ticketsCmd is whistlectl tickets: 12345 hotline tickets (接诉即办).
func ticketsCmd(e *env) *cobra.Command {
	tc := &cobra.Command{Use: "tickets", Short: "12345 hotline tickets: import a CSV or .xlsx export, find one by its number"}
	var source, coordSys string
	imp := authed(&cobra.Command{
		Use: "import FILE.csv|FILE.xlsx",
		Short: "Import tickets from a 12345 export: CSV (UTF-8, UTF-8 with BOM or GB18030/GBK) or .xlsx (first sheet), " +
			"header external_number,street_id,category,description,lat,lng,address,received_at,due_at; a re-run imports nothing twice",
		Args: cobra.ExactArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"csv", "xlsx"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if fi, err := os.Stat(args[0]); err == nil && fi.Size() > maxTicketFileBytes {
				return fmt.Errorf("%s is %d KiB; the gateway takes at most %d KiB at once: split it", args[0], fi.Size()>>10, maxTicketFileBytes>>10)
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			q := url.Values{}
			setIf(q, "source", source)
			setIf(q, "coord_sys", coordSys)
			resp, raw, err := e.client().ImportTickets(cmd.Context(), q, ticketFileType(args[0], data), data)
			return show(e, resp, raw, err, func(r *intakev1.ImportTicketsCsvResponse) error {
				if _, err := fmt.Fprintf(e.out, "rows %d, imported %d, already imported %d, errors %d\n",
					r.GetRows(), r.GetImported(), r.GetAlreadyImported(), len(r.GetErrors())); err != nil {
					return err
				}
				if len(r.GetErrors()) == 0 {
					return nil
				}
				t := newTable(e.out, "LINE", "FIELD", "REASON")
				for _, re := range r.GetErrors() {
					t.row(strconv.Itoa(int(re.GetLine())), orDash(re.GetField()), re.GetReason())
				}
				if err := t.flush(); err != nil || r.GetErrorsOmitted() == 0 {
					return err
				}
				_, err := fmt.Fprintf(e.out, "and %d more problems not listed\n", r.GetErrorsOmitted())
				return err
			})
		},
	})
	imp.Flags().StringVar(&source, "source", "", "the tickets' source (default 12345)")
	imp.Flags().StringVar(&coordSys, "coord-sys", "", "system of the lat/lng columns: WGS84, GCJ02 (高德, 腾讯) or BD09 (百度); the deployment's default when unset")

	showTicket := authed(&cobra.Command{
		Use:   "show EXTERNAL_NUMBER",
		Short: "A ticket by its hotline number, with the whistle it was merged into",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			setIf(q, "source", source)
			r, raw, err := e.client().GetTicket(cmd.Context(), args[0], q)
			return show(e, r, raw, err, func(r *intakev1.Report) error { return printReport(e, r) })
		},
	})
	showTicket.Flags().StringVar(&source, "source", "", "the tickets' source (default 12345)")
	tc.AddCommand(imp, showTicket)
	return tc
}

func printReports(e *env, list []*intakev1.Report) error {
	t := newTable(e.out, "ID", "SOURCE", "STATUS", "STREET", "GRID", "CATEGORY", "RECEIVED (CST)", "TRIAGE", "WHISTLE", "DESCRIPTION")
	for _, r := range list {
		t.row(r.GetId(), r.GetSource().String(), r.GetStatus().String(), r.GetStreetId(), orDash(r.GetGridId()), r.GetCategory(),
			cst(r.GetReceivedAt()), orDash(r.GetTriageSla()), orDash(r.GetWhistleId()), truncate(r.GetDescription(), 40))
	}
	return t.flush()
}

func printReport(e *env, r *intakev1.Report) error {
	t := newTable(e.out)
	t.row("ID", r.GetId())
	t.row("SOURCE", r.GetSource().String())
	if r.GetExternalNumber() != "" {
		t.row("TICKET", r.GetExternalNumber()+" (due "+cst(r.GetDueAt())+")")
	}
	t.row("STATUS", r.GetStatus().String())
	t.row("STREET", r.GetStreetId()+" (district "+r.GetDistrictId()+")")
	t.row("GRID", orDash(r.GetGridId()))
	t.row("CATEGORY", r.GetCategory())
	t.row("DESCRIPTION", r.GetDescription())
	t.row("ADDRESS", orDash(r.GetAddress()))
	t.row("LOCATION", fmtLoc(r.GetLocation()))
	t.row("RECEIVED", cst(r.GetReceivedAt()))
	t.row("TRIAGE BY", cst(r.GetTriageBy())+" "+orDash(r.GetTriageSla()))
	if r.GetTriage() != intakev1.Report_TRIAGE_UNSPECIFIED {
		t.row("TRIAGE", r.GetTriage().String()+" at "+cst(r.GetTriagedAt()))
	}
	t.row("WHISTLE", orDash(r.GetWhistleId()))
	t.row("RESULT", orDash(r.GetResult()))
	if r.GetSatisfaction() > 0 {
		t.row("RATING", fmt.Sprintf("%d/5, fixed: %t", r.GetSatisfaction(), r.GetFixed()))
	}
	return t.flush()
}
