package ctl

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
)

// The supervisor's scorecards (考核), hotspots (未诉先办) and the monthly 治理成绩单.

func scorecardsCmd(e *env) *cobra.Command {
	var district, from, to, by string
	cmd := authed(&cobra.Command{
		Use:     "scorecards",
		Short:   "Ranked scorecards per department or street (考核排名): 三率, breaches by level, times, composite",
		Example: "  whistlectl report scorecards --district 110101 --from 2026-11-01 --to 2026-12-01 --by street",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			group, err := enumValue("by", by, feedbackv1.GetScorecardsRequest_GroupBy_value)
			if err != nil {
				return err
			}
			q, err := periodQuery(district, from, to)
			if err != nil {
				return err
			}
			setIf(q, "group_by", group)
			resp, raw, err := e.client().Scorecards(cmd.Context(), q)
			return show(e, resp, raw, err, func(r *feedbackv1.GetScorecardsResponse) error {
				w := r.GetWeights()
				fmt.Fprintf(e.out, "Weights: response %.2f, arrival %.2f, resolution %.2f, satisfaction %.2f\n\n",
					w.GetResponse(), w.GetArrival(), w.GetResolution(), w.GetSatisfaction())
				t := newTable(e.out, "RANK", "KEY", "DISPATCHED", "RESPONSE", "ARRIVAL", "RESOLUTION", "SATISFACTION",
					"BREACHES 催办/督办/挂牌", "FAR", "UNLOCATED", "ARRIVE P50", "COMPOSITE")
				for _, s := range r.GetScorecards() {
					sla := s.GetSla()
					t.row(strconv.Itoa(int(s.GetRank())), s.GetKey(), n(sla.GetDispatched()), pct(sla.GetResponseRate()), pct(sla.GetArrivalRate()),
						pct(sla.GetResolutionRate()), pct(sla.GetSatisfactionRate()),
						fmt.Sprintf("%d/%d/%d", s.GetBreachesLevel1(), s.GetBreachesLevel2(), s.GetBreachesLevel3()),
						n(s.GetFarArrivals()), n(s.GetUnlocatedArrivals()), seconds(s.GetToArrive().GetMedianSeconds()),
						fmt.Sprintf("%.1f", s.GetComposite()))
				}
				return t.flush()
			})
		},
	})
	f := cmd.Flags()
	f.StringVar(&district, "district", "", "six-digit district (default: the token's district)")
	f.StringVar(&from, "from", "", "start of the period (date or RFC 3339; default 30 days before --to)")
	f.StringVar(&to, "to", "", "end of the period, exclusive (default now)")
	f.StringVar(&by, "by", "department", "department or street")
	return cmd
}

func seconds(s float64) string {
	if s <= 0 {
		return "-"
	}
	return (time.Duration(s) * time.Second).String()
}

func hotspotsCmd(e *env) *cobra.Command {
	var district, street, category, from, to, order string
	var limit, minTotal int
	cmd := authed(&cobra.Command{
		Use: "hotspots",
		Short: "Where the same problem keeps coming back (未诉先办): street × category over whistles, reports and 12345 tickets, " +
			"month by month, as the console's page shows it",
		Example: "  whistlectl report hotspots --district 110101 --from 2026-07 --to 2026-12\n" +
			"  whistlectl report hotspots --order rising --min-total 3 --limit 10",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			setIf(q, "district", district)
			setIf(q, "street", street)
			setIf(q, "category", category)
			for _, m := range [][2]string{{"from", from}, {"to", to}} {
				if _, err := time.Parse("2006-01", m[1]); m[1] != "" && err != nil {
					return fmt.Errorf("--%s %q: use a month, e.g. 2026-11", m[0], m[1])
				}
			}
			setIf(q, "from_month", from)
			setIf(q, "to_month", to)
			switch strings.ToUpper(order) {
			case "", "TOTAL", "RISING":
				setIf(q, "order_by", strings.ToUpper(order))
			default:
				return fmt.Errorf("--order %q: must be one of total, rising", order)
			}
			if limit < 0 || minTotal < 0 {
				return fmt.Errorf("--limit and --min-total must not be negative")
			}
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			if minTotal > 0 {
				q.Set("min_total", strconv.Itoa(minTotal))
			}
			resp, raw, err := e.client().AnalyzeHotspots(cmd.Context(), q)
			return show(e, resp, raw, err, func(r *feedbackv1.HotspotAnalysis) error {
				months := r.GetMonths()
				if len(months) > 0 {
					fmt.Fprintf(e.out, "%s – %s, %d street × category pairs\n\n", months[0], months[len(months)-1], r.GetPairCount())
				}
				if len(r.GetPairs()) == 0 {
					_, err := fmt.Fprintln(e.out, "No hotspots.")
					return err
				}
				t := newTable(e.out, "STREET", "CATEGORY", "WHISTLES", "REPORTS", "TICKETS", "TOTAL", "LAST MONTH", "CHANGE")
				for _, p := range r.GetPairs() {
					t.row(named(p.GetStreetName(), p.GetStreetId()), named(p.GetCategoryName(), p.GetCategory()),
						n(p.GetWhistles()), n(p.GetReports()), n(p.GetTickets()), n(p.GetTotal()), n(p.GetLast()), fmt.Sprintf("%+d", p.GetChange()))
				}
				return t.flush()
			})
		},
	})
	f := cmd.Flags()
	f.StringVar(&district, "district", "", "six-digit district (default: the token's district; every district for the city)")
	f.StringVar(&street, "street", "", "nine-digit street (default: a street token's own)")
	f.StringVar(&category, "category", "", "only this category")
	f.StringVar(&from, "from", "", "first month, YYYY-MM (default: five months before --to)")
	f.StringVar(&to, "to", "", "last month, YYYY-MM (default: this month)")
	f.StringVar(&order, "order", "", "total (most appeals first, the default) or rising (the steepest rise of the last month)")
	f.IntVar(&limit, "limit", 0, "at most this many pairs (default 20)")
	f.IntVar(&minTotal, "min-total", 0, "only pairs with at least this many appeals over the period")
	return cmd
}

// named is a name with its code ("东华门街道 110101001"), or the code alone
// when the name is the code (one the reference data does not know).
func named(name, code string) string {
	if name == "" || name == code {
		return code
	}
	return name + " " + code
}

func monthlyCmd(e *env) *cobra.Command {
	var district, month, format, department, street, out string
	cmd := authed(&cobra.Command{
		Use:   "monthly",
		Short: "The monthly 治理成绩单 as a printable HTML page or PDF",
		Example: "  whistlectl report monthly --month 2026-11 --out 成绩单-11月.html\n" +
			"  whistlectl report monthly --month 2026-11 --format pdf --department urban-management --out 城管-11月.pdf",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := time.Parse("2006-01", month); err != nil {
				return fmt.Errorf("--month %q: use a month, e.g. 2026-11", month)
			}
			q := url.Values{}
			setIf(q, "district", district)
			q.Set("month", month)
			var doc []byte
			switch format {
			case "html":
				if department != "" || street != "" {
					return fmt.Errorf("--department and --street need --format pdf")
				}
				m, raw, err := e.client().MonthlyScorecard(cmd.Context(), q)
				if err != nil {
					return err
				}
				if e.output != OutputTable {
					return e.emit(raw, nil)
				}
				doc = []byte(m.GetHtml())
			case "pdf":
				setIf(q, "department", department)
				setIf(q, "street", street)
				var err error
				if doc, err = e.client().MonthlyScorecardDocument(cmd.Context(), "pdf", q); err != nil {
					return err
				}
			default:
				return fmt.Errorf("--format %q: must be html or pdf", format)
			}
			return writeOut(e, out, doc)
		},
	})
	f := cmd.Flags()
	f.StringVar(&district, "district", "", "six-digit district (default: the token's district)")
	f.StringVar(&month, "month", time.Now().Format("2006-01"), "the month, e.g. 2026-11")
	f.StringVar(&format, "format", "html", "html or pdf (a PDF ready to sign)")
	f.StringVar(&department, "department", "", "with --format pdf: one department's sheet")
	f.StringVar(&street, "street", "", "with --format pdf: one street's sheet")
	f.StringVar(&out, "out", "", "file to write (default: standard output)")
	return cmd
}

func whistleReportCmd(e *env) *cobra.Command {
	return authed(&cobra.Command{
		Use:   "whistle WHISTLE_ID",
		Short: "The upward report (上报材料) of one whistle: what happened, department by department",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, raw, err := e.client().WhistleReport(cmd.Context(), args[0])
			return show(e, r, raw, err, func(r *feedbackv1.WhistleReport) error {
				_, err := fmt.Fprintln(e.out, r.GetText())
				return err
			})
		},
	})
}

func weightsCmd(e *env) *cobra.Command {
	weights := &cobra.Command{Use: "weights", Short: "The weights of the scorecards' composite (考核权重)"}
	var w feedbackv1.Weights
	set := authed(&cobra.Command{
		Use:     "set MONTH",
		Short:   "Weigh response, arrival, resolution and satisfaction from MONTH on (admins)",
		Example: "  whistlectl report weights set 2026-12 --response 0.2 --arrival 0.3 --resolution 0.3 --satisfaction 0.2",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := time.Parse("2006-01", args[0]); err != nil {
				return fmt.Errorf("MONTH %q: use a month, e.g. 2026-12", args[0])
			}
			for flag, v := range map[string]float64{"response": w.Response, "arrival": w.Arrival, "resolution": w.Resolution, "satisfaction": w.Satisfaction} {
				if v < 0 {
					return fmt.Errorf("--%s %g: must not be negative", flag, v)
				}
			}
			out, raw, err := e.client().SetScorecardWeights(cmd.Context(), args[0], &w)
			return show(e, out, raw, err, func(w *feedbackv1.Weights) error {
				_, err := fmt.Fprintf(e.out, "From %s: response %.2f, arrival %.2f, resolution %.2f, satisfaction %.2f\n",
					args[0], w.GetResponse(), w.GetArrival(), w.GetResolution(), w.GetSatisfaction())
				return err
			})
		},
	})
	f := set.Flags()
	f.Float64Var(&w.Response, "response", 0, "weight of the response rate (签收及时率)")
	f.Float64Var(&w.Arrival, "arrival", 0, "weight of the arrival rate (到场及时率)")
	f.Float64Var(&w.Resolution, "resolution", 0, "weight of the resolution rate (办结率)")
	f.Float64Var(&w.Satisfaction, "satisfaction", 0, "weight of the satisfaction rate (满意率)")
	weights.AddCommand(set)
	return weights
}
