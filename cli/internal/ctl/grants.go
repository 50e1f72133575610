package ctl

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/chuishao/whistle/cli/internal/client"
)

// grantsCmd is whistlectl grants: who signs in with which role, where people
// sign in through the deployment's identity provider.
func grantsCmd(e *env) *cobra.Command {
	grants := &cobra.Command{Use: "grants", Short: "People's roles at sign-in (授权), when the gateway signs people in through an identity provider (admins)"}
	list := authed(&cobra.Command{
		Use:   "list",
		Short: "Every person given or refused a role",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			g, raw, err := e.client().ListGrants(cmd.Context())
			if err != nil {
				return err
			}
			return e.emit(raw, func() error {
				fmt.Fprintf(e.out, "Identity provider %s\n\n", g.Issuer)
				return printGrants(e, g.Grants...)
			})
		},
	})
	var req client.GrantRequest
	set := authed(&cobra.Command{
		Use:     "set SUBJECT --role ROLE",
		Short:   "Give a person (the provider's subject) a role and its scope",
		Example: "  whistlectl grants set u-zhangsan --name 张三 --role desk --department police --district 110101",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			g, raw, err := e.client().SetGrant(cmd.Context(), args[0], req)
			if err != nil {
				return err
			}
			return e.emit(raw, func() error { return printGrants(e, *g) })
		},
	})
	f := set.Flags()
	f.StringVar(&req.Name, "name", "", "the person's name")
	f.StringVar(&req.Role, "role", "", "street, desk, supervisor, admin or grid")
	f.StringVar(&req.StreetID, "street", "", "nine-digit township code (street, grid)")
	f.StringVar(&req.DistrictID, "district", "", "six-digit district (desk; supervisor, empty for city scope)")
	f.StringVar(&req.Department, "department", "", "department code (desk)")
	f.StringVar(&req.GridID, "grid", "", "micro-grid (grid)")
	_ = set.MarkFlagRequired("role")
	revoke := authed(&cobra.Command{
		Use:   "revoke SUBJECT",
		Short: "Refuse a person from the next request on, whatever the provider's claims say",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			g, raw, err := e.client().RevokeGrant(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return e.emit(raw, func() error { return printGrants(e, *g) })
		},
	})
	grants.AddCommand(list, set, revoke)
	return grants
}

func printGrants(e *env, grants ...client.Grant) error {
	t := newTable(e.out, "SUBJECT", "NAME", "ROLE", "SCOPE", "REVOKED", "BY", "AT")
	for _, g := range grants {
		var scope []string
		for _, s := range []string{g.StreetID, g.DistrictID, g.Department, g.GridID} {
			if s != "" {
				scope = append(scope, s)
			}
		}
		revoked := "-"
		if g.Revoked {
			revoked = "REVOKED"
		}
		t.row(g.Subject, orDash(g.Name), orDash(g.Role), orDash(strings.Join(scope, " ")), revoked, orDash(g.By), g.At.Local().Format(TimeLayout))
	}
	return t.flush()
}
