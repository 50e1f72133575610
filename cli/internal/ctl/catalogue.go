package ctl

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/timestamppb"

	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

func catalogueCmd(e *env) *cobra.Command {
	cat := &cobra.Command{Use: "catalogue", Short: "The routing catalogue (派单目录): diff and publish the draft"}
	var fromV, toV string
	diff := authed(&cobra.Command{
		Use:   "diff",
		Short: "Rules that differ between two versions (default: the version in force and the draft)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, raw, err := e.client().DiffCatalogue(cmd.Context(), fromV, toV)
			return show(e, resp, raw, err, func(resp *routingv1.DiffCatalogueResponse) error {
				fmt.Fprintf(e.out, "%s → %s: %d changed rules\n", resp.GetFromVersion(), resp.GetToVersion(), len(resp.GetChanges()))
				if len(resp.GetChanges()) == 0 {
					return nil
				}
				t := newTable(e.out, "CHANGE", "CATEGORY", "DISTRICT", "BEFORE", "AFTER")
				for _, c := range resp.GetChanges() {
					r := c.GetAfter()
					if r == nil {
						r = c.GetBefore()
					}
					t.row(c.GetChange(), r.GetCategory(), orDash(r.GetDistrictId()), rule(c.GetBefore()), rule(c.GetAfter()))
				}
				return t.flush()
			})
		},
	})
	diff.Flags().StringVar(&fromV, "from", "", "version to compare from (default: in force)")
	diff.Flags().StringVar(&toV, "to", "", "version to compare to (default: the draft)")
	var effective string
	publish := authed(&cobra.Command{
		Use:   "publish",
		Short: "Publish the draft as the next version (admins)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &routingv1.PublishCatalogueRequest{}
			if effective != "" {
				v, err := parseWhen("effective-at", effective)
				if err != nil {
					return err
				}
				t, _ := time.Parse(time.RFC3339, v)
				req.EffectiveAt = timestamppb.New(t)
			}
			c, raw, err := e.client().PublishCatalogue(cmd.Context(), req)
			return show(e, c, raw, err, func(c *routingv1.Catalogue) error {
				_, err := fmt.Fprintf(e.out, "Published %s (%d rules), effective %s\n", c.GetVersion(), len(c.GetRules()), fmtTime(c.GetEffectiveAt()))
				return err
			})
		},
	})
	publish.Flags().StringVar(&effective, "effective-at", "", "when the version starts routing (default now)")
	cat.AddCommand(diff, publish)
	return cat
}
