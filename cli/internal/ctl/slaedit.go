package ctl

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/chuishao/whistle/cli/internal/client"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
)

// The admins' edits of SLA policy and the working-day calendar.

func policySetCmd(e *env) *cobra.Command {
	var p responsev1.Policy
	var ack, arrive, resolve time.Duration
	cmd := authed(&cobra.Command{
		Use:   "set",
		Short: "Set the deadlines of a category, in one district or everywhere (admins)",
		Example: "  whistlectl sla policies set --category noise --district 110101 --ack 5m --arrive 30m --resolve 48h\n" +
			"  whistlectl sla policies set --category road-damage --arrive 1h --resolve-working-days 5",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, d := range []struct {
				flag string
				v    time.Duration
				to   **durationpb.Duration
			}{{"ack", ack, &p.AckWithin}, {"arrive", arrive, &p.ArriveWithin}, {"resolve", resolve, &p.ResolveWithin}} {
				if d.v < 0 {
					return fmt.Errorf("--%s %s: must not be negative", d.flag, d.v)
				}
				if d.v > 0 {
					*d.to = durationpb.New(d.v)
				}
			}
			if p.ResolveWorkingDays < 0 {
				return fmt.Errorf("--resolve-working-days %d: must not be negative", p.ResolveWorkingDays)
			}
			out, raw, err := e.client().SetPolicy(cmd.Context(), &p)
			return show(e, out, raw, err, func(p *responsev1.Policy) error {
				return printPolicies(e, []*responsev1.Policy{p})
			})
		},
	})
	f := cmd.Flags()
	f.StringVar(&p.Category, "category", "", "category code (see `whistlectl categories`)")
	f.StringVar(&p.DistrictId, "district", "", "six-digit district (default: every district)")
	f.DurationVar(&ack, "ack", 0, "acknowledge within, e.g. 5m")
	f.DurationVar(&arrive, "arrive", 0, "arrive on site within, e.g. 30m")
	f.DurationVar(&resolve, "resolve", 0, "resolve within, e.g. 48h")
	f.Int32Var(&p.ResolveWorkingDays, "resolve-working-days", 0, "resolve within this many working days (the calendar's), instead of --resolve")
	_ = cmd.MarkFlagRequired("category")
	cmd.MarkFlagsMutuallyExclusive("resolve", "resolve-working-days")
	return cmd
}

func calendarSetCmd(e *env) *cobra.Command {
	var day responsev1.CalendarDay
	var kind string
	cmd := authed(&cobra.Command{
		Use:   "set DATE --kind holiday|workday",
		Short: "Mark a date as a holiday or a make-up working day (调休) (admins); a seeded 暂定 day becomes final",
		Example: "  whistlectl sla calendar set 2027-02-06 --kind holiday --name 春节\n" +
			"  whistlectl sla calendar set 2026-10-10 --kind workday --name 国庆节调休",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkDate(args[0]); err != nil {
				return err
			}
			k, err := enumValue("kind", kind, responsev1.CalendarDay_Kind_value)
			if err != nil {
				return err
			}
			day.Date, day.Kind = args[0], responsev1.CalendarDay_Kind(responsev1.CalendarDay_Kind_value[k])
			out, raw, err := e.client().SetCalendarDay(cmd.Context(), &day)
			return show(e, out, raw, err, func(d *responsev1.CalendarDay) error {
				return printCalendar(e, []*responsev1.CalendarDay{d})
			})
		},
	})
	f := cmd.Flags()
	f.StringVar(&kind, "kind", "", "holiday (no working day) or workday (a weekend day worked, 调休)")
	f.StringVar(&day.Name, "name", "", "e.g. 春节, 国庆节调休")
	_ = cmd.MarkFlagRequired("kind")
	return cmd
}

func calendarDeleteCmd(e *env) *cobra.Command {
	return deleteCmd(e, "delete DATE", "Make a date an ordinary day again (admins)", func(c *client.Client, ctx context.Context, date string) ([]byte, error) {
		if err := checkDate(date); err != nil {
			return nil, err
		}
		return c.DeleteCalendarDay(ctx, date)
	})
}

func checkDate(v string) error {
	if _, err := time.Parse("2006-01-02", v); err != nil {
		return fmt.Errorf("DATE %q: use a date, e.g. 2027-02-06", v)
	}
	return nil
}
