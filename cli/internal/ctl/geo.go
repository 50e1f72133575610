package ctl

import (
	"fmt"
	"net/url"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

// maxGeoJSONBytes is the most the boundary route takes (ImportBoundariesRequest.geojson).
const maxGeoJSONBytes = 3 << 20

// geoCmd is whistlectl geo: administrative boundaries (行政区划边界).
func geoCmd(e *env) *cobra.Command {
	gc := &cobra.Command{Use: "geo", Short: "Administrative boundaries: import a GeoJSON file, publish it, list units"}
	var (
		level, coordSys, codeProp, nameProp, parentProp, description string
		replace, publish                                             bool
	)
	imp := authed(&cobra.Command{
		Use: "import FILE.geojson",
		Short: "Check a GeoJSON FeatureCollection of Polygon/MultiPolygon units and make it the boundary draft, " +
			"printing what it changes; --publish publishes it at once (admin)",
		Example: `  whistlectl geo import dongcheng-streets.geojson --level street --coord-sys GCJ02
  whistlectl geo import communities.geojson --level community --code-property XZQDM --name-property MC --publish`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			if len(data) > maxGeoJSONBytes {
				return fmt.Errorf("%s is %d KiB; at most %d KiB are imported at once: split it (e.g. by district)", args[0], len(data)>>10, maxGeoJSONBytes>>10)
			}
			q := url.Values{}
			setIf(q, "level", level)
			setIf(q, "coord_sys", coordSys)
			setIf(q, "code_property", codeProp)
			setIf(q, "name_property", nameProp)
			setIf(q, "parent_property", parentProp)
			setIf(q, "description", description)
			q.Set("replace", strconv.FormatBool(replace))
			q.Set("publish", strconv.FormatBool(publish))
			resp, raw, err := e.client().ImportBoundaries(cmd.Context(), q, data)
			return show(e, resp, raw, err, func(r *routingv1.BoundaryImport) error { return printBoundaryImport(e, r) })
		},
	})
	f := imp.Flags()
	f.StringVar(&level, "level", "", "level of features without a \"level\" property: district, street, community or grid")
	f.StringVar(&coordSys, "coord-sys", "", "system of the file's positions: WGS84 (default), GCJ02 (高德, 腾讯) or BD09 (百度)")
	f.StringVar(&codeProp, "code-property", "", "property holding a unit's code (default code)")
	f.StringVar(&nameProp, "name-property", "", "property holding a unit's name (default name)")
	f.StringVar(&parentProp, "parent-property", "", "property holding the parent unit's code (default parent)")
	f.StringVar(&description, "description", "", "what the version is, e.g. its source")
	f.BoolVar(&replace, "replace", false, "the file is the whole of each level it holds: units it lacks are removed")
	f.BoolVar(&publish, "publish", false, "publish the draft at once")

	var sha string
	pub := authed(&cobra.Command{
		Use:   "publish",
		Short: "Publish the boundary draft as the next version; routing uses it at once (admin)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			resp, raw, err := e.client().PublishBoundaries(cmd.Context(), &routingv1.PublishBoundariesRequest{SourceSha256: sha})
			return show(e, resp, raw, err, func(v *routingv1.BoundaryVersion) error {
				_, err := fmt.Fprintf(e.out, "published %s: %d units\n", v.GetVersion(), v.GetUnits())
				return err
			})
		},
	})
	pub.Flags().StringVar(&sha, "sha256", "", "publish only if the draft was imported from the file with this SHA-256 (as the import printed)")

	var unitLevel, parent string
	units := authed(&cobra.Command{
		Use:   "units",
		Short: "The units of the boundary version in force",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			setIf(q, "level", unitLevel)
			setIf(q, "parent_code", parent)
			resp, raw, err := e.client().ListBoundaryUnits(cmd.Context(), q)
			return show(e, resp, raw, err, func(r *routingv1.ListBoundaryUnitsResponse) error {
				t := newTable(e.out, "LEVEL", "CODE", "NAME", "PARENT")
				for _, u := range r.GetUnits() {
					t.row(u.GetLevel(), u.GetCode(), u.GetName(), orDash(u.GetParentCode()))
				}
				return t.flush()
			})
		},
	})
	units.Flags().StringVar(&unitLevel, "level", "", "district, street, community or grid")
	units.Flags().StringVar(&parent, "parent", "", "only the units within this one")

	var divLevel, divParent string
	divisions := authed(&cobra.Command{
		Use:   "divisions",
		Short: "Beijing's official administrative units (区, 街道/乡镇, 社区/村) and which have a real boundary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			setIf(q, "level", divLevel)
			setIf(q, "parent_code", divParent)
			resp, raw, err := e.client().ListDivisions(cmd.Context(), q)
			return show(e, resp, raw, err, func(r *routingv1.ListDivisionsResponse) error {
				t := newTable(e.out, "CODE", "LEVEL", "NAME", "BOUNDARY")
				for _, d := range r.GetDivisions() {
					b := d.GetBoundaryVersion()
					switch {
					case b == "" && d.GetOperatingStreet():
						b = "synthetic"
					case b == "":
						b = "-"
					}
					t.row(d.GetCode(), d.GetLevel(), d.GetName(), b)
				}
				return t.flush()
			})
		},
	})
	divisions.Flags().StringVar(&divLevel, "level", "", "district, street or community")
	divisions.Flags().StringVar(&divParent, "parent", "", "only the units within this one, e.g. 110101 (东城区)")

	gc.AddCommand(imp, pub, units, divisions, propertyCmd(e))
	return gc
}

// maxChangesShown bounds the change list printed; -o json has all of them.
const maxChangesShown = 50

func printBoundaryImport(e *env, r *routingv1.BoundaryImport) error {
	from := r.GetFromVersion()
	if from == "" {
		from = "nothing published"
	}
	if _, err := fmt.Fprintf(e.out, "%s: %d units; %d added, %d changed, %d removed against %s\nsha256 %s\n",
		r.GetVersion(), r.GetUnits(), r.GetAdded(), r.GetChanged(), r.GetRemoved(), from, r.GetSourceSha256()); err != nil {
		return err
	}
	t := newTable(e.out, "CHANGE", "LEVEL", "CODE", "NAME")
	for i, c := range r.GetChanges() {
		if i == maxChangesShown {
			break
		}
		t.row(c.GetChange(), c.GetLevel(), c.GetCode(), c.GetName())
	}
	if err := t.flush(); err != nil {
		return err
	}
	if n := len(r.GetChanges()) - maxChangesShown; n > 0 {
		if _, err := fmt.Fprintf(e.out, "and %d more (-o json lists them all)\n", n); err != nil {
			return err
		}
	}
	if r.GetVersion() == "draft" {
		_, err := fmt.Fprintf(e.out, "publish with: whistlectl geo publish --sha256 %s\n", r.GetSourceSha256())
		return err
	}
	return nil
}
