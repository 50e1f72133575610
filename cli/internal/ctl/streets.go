package ctl

import (
	"fmt"

	"github.com/spf13/cobra"

	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

func printStreets(e *env, streets []*routingv1.Street) error {
	t := newTable(e.out, "ID", "NAME", "DISTRICT", "CENTROID")
	for _, s := range streets {
		t.row(s.GetId(), s.GetName()+" / "+s.GetNameEn(), s.GetDistrictId(), fmtLoc(s.GetCentroid()))
	}
	return t.flush()
}

func streetRenameCmd(e *env) *cobra.Command {
	var req routingv1.RenameStreetRequest
	cmd := authed(&cobra.Command{
		Use:     "rename STREET_ID --name NAME",
		Short:   "Rename a street (admins)",
		Example: `  whistlectl streets rename 110101001 --name 东华门街道 --name-en "Donghuamen Subdistrict"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Id = args[0]
			st, raw, err := e.client().RenameStreet(cmd.Context(), &req)
			return show(e, st, raw, err, func(st *routingv1.Street) error { return printStreets(e, []*routingv1.Street{st}) })
		},
	})
	cmd.Flags().StringVar(&req.Name, "name", "", "Chinese name")
	cmd.Flags().StringVar(&req.NameEn, "name-en", "", "English name")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func streetLocateCmd(e *env) *cobra.Command {
	var req routingv1.LocateStreetRequest
	var lat, lng float64
	cmd := authed(&cobra.Command{
		Use:     "locate --lat LAT --lng LNG",
		Short:   "Check whether a point lies in the street before raising (辖区核验)",
		Example: "  whistlectl streets locate --lat 39.93 --lng 116.392",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if req.StreetId, err = streetOf(e, req.StreetId); err != nil {
				return err
			}
			req.Location = &typesv1.LatLng{Lat: lat, Lng: lng}
			j, raw, err := e.client().LocateStreet(cmd.Context(), &req)
			return show(e, j, raw, err, func(j *routingv1.Jurisdiction) error {
				t := newTable(e.out)
				t.row("RESULT", j.GetResult())
				t.row("DISTANCE", fmt.Sprintf("%.0f m", j.GetDistanceM()))
				t.row("NEEDS CONFIRMATION", fmt.Sprint(j.GetNeedsConfirmation()))
				t.row("NEIGHBOURS", orDash(fmt.Sprint(j.GetNeighbourStreetIds())))
				t.row("COMMUNITY", orDash(j.GetCommunityName())+" "+orDash(j.GetCommunityCode()))
				return t.flush()
			})
		},
	})
	f := cmd.Flags()
	f.StringVar(&req.StreetId, "street", "", "nine-digit township code (default: the token's street)")
	f.Float64Var(&lat, "lat", 0, "latitude")
	f.Float64Var(&lng, "lng", 0, "longitude")
	f.StringVar(&req.CoordSys, "coord-sys", "", "WGS84, GCJ02 or BD09 (default: the deployment's)")
	_ = cmd.MarkFlagRequired("lat")
	_ = cmd.MarkFlagRequired("lng")
	return cmd
}
