package ctl

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

// demoProblems are what `seed` raises, one per category in turn.
var demoProblems = []struct{ category, title, description string }{
	{"street-vending", "路口流动摊贩占道", "早高峰路口流动摊贩占道经营，影响通行"},
	{"garbage", "小区门口垃圾堆积", "小区门口垃圾两天未清运，异味明显"},
	{"noise", "夜间施工噪声", "工地夜间十一点后仍在施工，噪声扰民"},
	{"fire-lane-blocked", "消防通道被占", "居民楼消防通道被私家车长期占用"},
	{"road-damage", "路面塌陷", "人行道路面塌陷约一米见方，存在安全隐患"},
	{"joint-enforcement", "违规经营扰民", "底商违规经营，噪声扬尘扰民，需要联合执法"},
}

func seedCmd(e *env) *cobra.Command {
	var count int
	cmd := authed(&cobra.Command{
		Use:   "seed",
		Short: "Raise a few realistic demo whistles for the token's street (demos, the console)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			street := tokenClaim(e.token, "street")
			if street == "" {
				return errors.New("seed needs a street token (`whistlectl token --role street --street 110101001`)")
			}
			if count < 1 || count > 50 {
				return fmt.Errorf("--count must be 1..50, got %d", count)
			}
			st, _, err := e.client().GetStreet(cmd.Context(), street)
			if err != nil {
				return err
			}
			c := st.GetCentroid()
			var raised []*intakev1.Whistle
			for i := range count {
				p := demoProblems[i%len(demoProblems)]
				// Spread the points a little around the street's centre.
				loc := &typesv1.LatLng{Lat: c.GetLat() + float64(i%5-2)*0.0007, Lng: c.GetLng() + float64(i%3-1)*0.0009}
				wh, _, err := e.client().RaiseWhistle(cmd.Context(), &intakev1.RaiseWhistleRequest{
					StreetId: street, Category: p.category, Title: p.title, Description: p.description, Location: loc,
					CoordSys: "WGS84", // street centroids are stored in WGS-84
				}, newIdempotencyKey())
				if err != nil {
					return fmt.Errorf("seed whistle %d: %w", i+1, err)
				}
				raised = append(raised, wh)
			}
			ids := make([]string, len(raised))
			for i, w := range raised {
				ids[i] = w.GetId()
			}
			return e.emitValue(map[string][]string{"whistle_ids": ids}, func() error { return printWhistles(e.out, raised) })
		},
	})
	cmd.Flags().IntVar(&count, "count", 6, "how many whistles")
	return cmd
}
