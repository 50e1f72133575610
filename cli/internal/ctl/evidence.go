package ctl

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

// attachStages are who adds evidence when: the street at the raise, a desk at 到场 and 办结.
var attachStages = []string{"raise", "arrival", "resolution"}

func attachCmd(e *env) *cobra.Command {
	var stage string
	cmd := authed(&cobra.Command{
		Use:     "attach WHISTLE_ID FILE --stage raise|arrival|resolution",
		Short:   "Add a photo as evidence to a whistle (取证): the street at the raise, a desk on site or when done",
		Example: "  whistlectl attach 0193... 现场.jpg --stage arrival",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(attachStages, stage) {
				return fmt.Errorf("--stage %q: must be raise, arrival or resolution", stage)
			}
			data, err := os.ReadFile(args[1])
			if err != nil {
				return err
			}
			a, raw, err := e.client().AttachToWhistle(cmd.Context(), args[0], stage, filepath.Base(args[1]), data)
			return show(e, a, raw, err, func(a *intakev1.Attachment) error { return printAttachment(e, a) })
		},
	})
	cmd.Flags().StringVar(&stage, "stage", "", "raise, arrival or resolution")
	_ = cmd.MarkFlagRequired("stage")
	return cmd
}

func printAttachment(e *env, a *intakev1.Attachment) error {
	t := newTable(e.out)
	t.row("ID", a.GetId())
	t.row("STAGE", a.GetStage())
	t.row("FILE", orDash(a.GetFileName())+" ("+a.GetMediaType()+", "+n(a.GetSizeBytes())+" bytes)")
	if a.GetWidth() > 0 {
		t.row("SIZE", fmt.Sprintf("%d×%d", a.GetWidth(), a.GetHeight()))
	}
	t.row("TAKEN AT", fmtLoc(a.GetExifLocation()))
	t.row("SHA-256", a.GetSha256())
	return t.flush()
}

func reportFileCmd(e *env) *cobra.Command {
	var req intakev1.FileReportRequest
	var lat, lng float64
	var photo string
	cmd := authed(&cobra.Command{
		Use:     "file",
		Short:   "File a report (上报) from the micro-grid, with a photo (grid workers)",
		Example: "  whistlectl reports file --category garbage --description 小区门口垃圾堆积 --lat 39.9146 --lng 116.4036 --photo 现场.jpg",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if req.StreetId, err = streetOf(e, req.StreetId); err != nil {
				return err
			}
			var data []byte
			if photo != "" {
				var err error
				if data, err = os.ReadFile(photo); err != nil {
					return fmt.Errorf("--photo: %w", err)
				}
			}
			req.Location = &typesv1.LatLng{Lat: lat, Lng: lng}
			filed, raw, err := e.client().FileReport(cmd.Context(), &req)
			if err != nil {
				return err
			}
			// The report is filed first, its photo after: a failed photo never loses the report.
			if data != nil {
				if _, _, err := e.client().AttachToReport(cmd.Context(), filed.GetReport().GetId(), filepath.Base(photo), data); err != nil {
					return fmt.Errorf("report %s filed, but its photo was refused: %w", filed.GetReport().GetId(), err)
				}
			}
			return show(e, filed, raw, nil, func(f *intakev1.FiledReport) error { return printReport(e, f.GetReport()) })
		},
	})
	f := cmd.Flags()
	f.StringVar(&req.StreetId, "street", "", "nine-digit township code (default: the token's street)")
	f.StringVar(&req.Category, "category", "", "category code (see `whistlectl categories`)")
	f.StringVar(&req.Description, "description", "", "what is wrong")
	f.Float64Var(&lat, "lat", 0, "latitude")
	f.Float64Var(&lng, "lng", 0, "longitude")
	f.StringVar(&req.Address, "address", "", "street address")
	f.StringVar(&req.CoordSys, "coord-sys", "", "WGS84, GCJ02 or BD09 (default: the deployment's)")
	f.StringVar(&photo, "photo", "", "a photo of the place (JPEG, PNG, HEIC…)")
	for _, name := range []string{"category", "description", "lat", "lng"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}
