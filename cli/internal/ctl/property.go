package ctl

import (
	"strings"

	"github.com/spf13/cobra"

	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

// propertyCmd is whistlectl geo property: the property companies (物业公司)
// and the communities they serve.
func propertyCmd(e *env) *cobra.Command {
	pc := &cobra.Command{Use: "property", Short: "Property companies (物业公司) and the communities (社区/村) they serve"}
	var name, nameEn string
	var communities []string
	save := authed(&cobra.Command{
		Use:   "save CODE",
		Short: "Add or rename a property company and make it the company of the communities named (admin)",
		Example: `  whistlectl geo property save pm-yinzha --name 银闸物业服务有限公司 --name-en "Yinzha Property" \
    --community 110101001002 --community 110101001005`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, raw, err := e.client().SavePropertyCompany(cmd.Context(), args[0],
				&routingv1.SavePropertyCompanyRequest{Name: name, NameEn: nameEn, CommunityCodes: communities})
			return show(e, resp, raw, err, func(c *routingv1.PropertyCompany) error { return printCompanies(e, c) })
		},
	})
	f := save.Flags()
	f.StringVar(&name, "name", "", "the company's name (Chinese)")
	f.StringVar(&nameEn, "name-en", "", "the company's name in English")
	f.StringArrayVar(&communities, "community", nil, "a twelve-digit community code it serves (repeatable)")

	var district string
	list := authed(&cobra.Command{
		Use:   "list",
		Short: "The property companies with the communities they serve",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, raw, err := e.client().ListPropertyCompanies(cmd.Context(), district)
			return show(e, resp, raw, err, func(r *routingv1.ListPropertyCompaniesResponse) error {
				return printCompanies(e, r.GetCompanies()...)
			})
		},
	})
	list.Flags().StringVar(&district, "district", "", "only the companies serving communities of this district, e.g. 110101")
	pc.AddCommand(save, list)
	return pc
}

func printCompanies(e *env, cs ...*routingv1.PropertyCompany) error {
	t := newTable(e.out, "CODE", "NAME", "COMMUNITIES")
	for _, c := range cs {
		t.row(c.GetCode(), c.GetName(), orDash(strings.Join(c.GetCommunityCodes(), " ")))
	}
	return t.flush()
}
