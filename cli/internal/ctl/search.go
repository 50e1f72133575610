package ctl

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
)

// searchFlags are the filters of GET /v1/search/whistles, shared by
// `whistles search` and `whistles export`.
type searchFlags struct {
	from, to, street, district, category, status, urgency, department, keyword string
	breached                                                                   bool
}

func (s *searchFlags) bind(f *pflag.FlagSet) {
	f.StringVar(&s.from, "from", "", "raised at or after (date or RFC 3339)")
	f.StringVar(&s.to, "to", "", "raised before (date or RFC 3339)")
	f.StringVar(&s.street, "street", "", "only this street")
	f.StringVar(&s.district, "district", "", "only this district")
	f.StringVar(&s.category, "category", "", "only this category code")
	f.StringVar(&s.status, "status", "", "only this status, e.g. RESPONDING")
	f.StringVar(&s.urgency, "urgency", "", "only this urgency: NORMAL, HIGH or CRITICAL")
	f.StringVar(&s.department, "department", "", "only whistles dispatched to this department code")
	f.StringVar(&s.keyword, "keyword", "", "found in the title, description or address, e.g. 占道")
	f.BoolVar(&s.breached, "breached", false, "only whistles with a breached SLA clock")
}

// query is the search's query string.
func (s *searchFlags) query() (url.Values, error) {
	q := url.Values{}
	for _, p := range []struct{ name, flag, val string }{{"raised_from", "from", s.from}, {"raised_to", "to", s.to}} {
		v, err := parseWhen(p.flag, p.val)
		if err != nil {
			return nil, err
		}
		setIf(q, p.name, v)
	}
	st, err := enumValue("status", s.status, intakev1.Whistle_Status_value)
	if err != nil {
		return nil, err
	}
	u, err := enumValue("urgency", s.urgency, intakev1.Whistle_Urgency_value)
	if err != nil {
		return nil, err
	}
	for k, v := range map[string]string{
		"street_id": s.street, "district_id": s.district, "category": s.category, "status": st,
		"urgency": u, "department": s.department, "keyword": s.keyword,
	} {
		setIf(q, k, v)
	}
	if s.breached {
		q.Set("breached", "true")
	}
	return q, nil
}

func whistlesCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "whistles", Short: "Search whistles and export the register (台账)"}
	cmd.AddCommand(searchCmd(e), exportCmd(e))
	return cmd
}

func searchCmd(e *env) *cobra.Command {
	var s searchFlags
	var pageSize int
	var pageToken string
	cmd := authed(&cobra.Command{
		Use:     "search",
		Short:   "Find whistles in your scope by period, place, category, state, breach and keyword, newest first",
		Example: "  whistlectl whistles search --keyword 占道 --from 2026-11-01 --to 2026-12-01\n  whistlectl whistles search --breached --department police",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := s.query()
			if err != nil {
				return err
			}
			if pageSize > 0 {
				q.Set("page_size", strconv.Itoa(pageSize))
			}
			setIf(q, "page_token", pageToken)
			resp, raw, err := e.client().SearchWhistles(cmd.Context(), q)
			return show(e, resp, raw, err, func(resp *intakev1.SearchWhistlesResponse) error {
				if err := printWhistles(e.out, resp.GetWhistles()); err != nil {
					return err
				}
				if next := resp.GetNextPageToken(); next != "" {
					fmt.Fprintf(e.out, "\nMore: the same command with --page-token %s\n", next)
				}
				return nil
			})
		},
	})
	s.bind(cmd.Flags())
	cmd.Flags().IntVar(&pageSize, "page-size", 0, "whistles per page (1-100)")
	cmd.Flags().StringVar(&pageToken, "page-token", "", "continue a previous search")
	return cmd
}

func exportCmd(e *env) *cobra.Command {
	var s searchFlags
	var format, out string
	cmd := authed(&cobra.Command{
		Use:     "export",
		Short:   "Download the whistle register (台账) of a search as .xlsx or CSV, with Chinese headers",
		Example: "  whistlectl whistles export --from 2026-11-01 --to 2026-12-01 --out 台账-11月.xlsx\n  whistlectl whistles export --keyword 占道 --format csv > 台账.csv",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "xlsx" && format != "csv" {
				return fmt.Errorf("--format %q: must be xlsx or csv", format)
			}
			q, err := s.query()
			if err != nil {
				return err
			}
			doc, err := e.client().WhistleRegister(cmd.Context(), format, q)
			if err != nil {
				return err
			}
			return writeOut(e, out, doc)
		},
	})
	s.bind(cmd.Flags())
	cmd.Flags().StringVar(&format, "format", "xlsx", "xlsx or csv (UTF-8 with BOM)")
	cmd.Flags().StringVar(&out, "out", "", "file to write (default: standard output)")
	return cmd
}
