package ctl

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"

	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

func categoriesCmd(e *env) *cobra.Command {
	return authed(&cobra.Command{
		Use:   "categories",
		Short: "List the categories and who handles them",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, raw, err := e.client().ListCategories(cmd.Context())
			return show(e, resp, raw, err, func(resp *routingv1.ListCategoriesResponse) error {
				t := newTable(e.out, "CODE", "NAME", "LEAD", "COOPERATING", "ACK", "ARRIVE", "RESOLVE")
				for _, c := range resp.GetCategories() {
					sla := c.GetSla()
					t.row(c.GetCode(), c.GetName()+" / "+c.GetNameEn(), c.GetLeadDepartment(),
						orDash(strings.Join(c.GetCooperatingDepartments(), ",")),
						fmtDur(sla.GetAckWithin()), fmtDur(sla.GetArriveWithin()), fmtDur(sla.GetResolveWithin()))
				}
				return t.flush()
			})
		},
	})
}

// fmtDur shows 5m, 30m, 72h rather than 5m0s, 30m0s, 72h0m0s.
func fmtDur(d *durationpb.Duration) string {
	if d == nil {
		return "-"
	}
	s := d.AsDuration().String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func districtsCmd(e *env) *cobra.Command {
	return authed(&cobra.Command{
		Use:   "districts",
		Short: "List the districts (区)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, raw, err := e.client().ListDistricts(cmd.Context())
			return show(e, resp, raw, err, func(resp *routingv1.ListDistrictsResponse) error {
				t := newTable(e.out, "ID", "NAME", "CENTROID")
				for _, d := range resp.GetDistricts() {
					t.row(d.GetId(), d.GetName()+" / "+d.GetNameEn(), fmtLoc(d.GetCentroid()))
				}
				return t.flush()
			})
		},
	})
}

func streetsCmd(e *env) *cobra.Command {
	var district string
	cmd := authed(&cobra.Command{
		Use:   "streets",
		Short: "List the streets (街道/乡镇), optionally of one district",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, raw, err := e.client().ListStreets(cmd.Context(), district)
			return show(e, resp, raw, err, func(resp *routingv1.ListStreetsResponse) error {
				return printStreets(e, resp.GetStreets())
			})
		},
	})
	cmd.Flags().StringVar(&district, "district", "", "six-digit district code")
	cmd.AddCommand(streetRenameCmd(e), streetLocateCmd(e))
	return cmd
}

func departmentsCmd(e *env) *cobra.Command {
	cmd := authed(&cobra.Command{
		Use:   "departments",
		Short: "List the departments",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, raw, err := e.client().ListDepartments(cmd.Context())
			return show(e, resp, raw, err, func(resp *routingv1.ListDepartmentsResponse) error { return printDepartments(e, resp.GetDepartments()) })
		},
	})
	cmd.AddCommand(departmentSaveCmd(e))
	return cmd
}

func departmentSaveCmd(e *env) *cobra.Command {
	var req routingv1.SaveDepartmentRequest
	cmd := authed(&cobra.Command{
		Use:     "save CODE --name NAME",
		Short:   "Add a department, or rename one (admins)",
		Example: "  whistlectl departments save water-affairs --name 区水务局 --name-en \"Water Affairs\"",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Code = args[0]
			d, raw, err := e.client().SaveDepartment(cmd.Context(), &req)
			return show(e, d, raw, err, func(d *routingv1.Department) error {
				return printDepartments(e, []*routingv1.Department{d})
			})
		},
	})
	cmd.Flags().StringVar(&req.Name, "name", "", "Chinese name, e.g. 区水务局")
	cmd.Flags().StringVar(&req.NameEn, "name-en", "", "English name")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func printDepartments(e *env, list []*routingv1.Department) error {
	t := newTable(e.out, "CODE", "NAME")
	for _, d := range list {
		t.row(d.GetCode(), fmt.Sprintf("%s / %s", d.GetName(), d.GetNameEn()))
	}
	return t.flush()
}
