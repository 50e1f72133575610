package ctl

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

func catalogueCmd(e *env) *cobra.Command {
	cat := &cobra.Command{Use: "catalogue", Short: "The routing catalogue (派单目录): show it, edit the draft, diff and publish"}
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
	cat.AddCommand(catalogueShowCmd(e), catalogueDraftCmd(e), diff, publish)
	return cat
}

func catalogueShowCmd(e *env) *cobra.Command {
	var version string
	cmd := authed(&cobra.Command{
		Use:     "show",
		Short:   "The rules of a version: the one in force, the draft or any published one",
		Example: "  whistlectl catalogue show --version draft -o json > draft.json   # edit, then: whistlectl catalogue draft draft.json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, raw, err := e.client().GetCatalogue(cmd.Context(), version)
			return show(e, c, raw, err, func(c *routingv1.Catalogue) error { return printCatalogue(e, c) })
		},
	})
	cmd.Flags().StringVar(&version, "version", "", "draft, or a version such as v2 (default: the one in force)")
	return cmd
}

func catalogueDraftCmd(e *env) *cobra.Command {
	return authed(&cobra.Command{
		Use:   "draft FILE",
		Short: "Replace the draft's rules with those of a JSON file (admins): what `catalogue show -o json` prints",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			var req routingv1.UpdateCatalogueDraftRequest
			// A shown catalogue's other fields (version, dates) are not the draft's to set: ignored.
			if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, &req); err != nil {
				return fmt.Errorf("FILE %s: not a catalogue in JSON (rules, description): %w", args[0], err)
			}
			if len(req.GetRules()) == 0 {
				return fmt.Errorf("FILE %s: has no rules", args[0])
			}
			c, raw, err := e.client().UpdateCatalogueDraft(cmd.Context(), &req)
			return show(e, c, raw, err, func(c *routingv1.Catalogue) error { return printCatalogue(e, c) })
		},
	})
}

func printCatalogue(e *env, c *routingv1.Catalogue) error {
	fmt.Fprintf(e.out, "%s (%d rules), effective %s  %s\n\n", orDash(c.GetVersion()), len(c.GetRules()), fmtTime(c.GetEffectiveAt()), c.GetDescription())
	t := newTable(e.out, "CATEGORY", "DISTRICT", "DEPARTMENTS")
	for _, r := range c.GetRules() {
		t.row(r.GetCategory(), orDash(r.GetDistrictId()), rule(r))
	}
	return t.flush()
}
