package ctl

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/chuishao/whistle/cli/internal/drill"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

// beijingTime is where a date flag's day begins (UTC+8, no daylight saving).
var beijingTime = time.FixedZone("CST", 8*3600)

// recordPageSize is the search page a recording reads the period with.
const recordPageSize = 100

func drillCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "drill",
		Short: "Drills (演练): record a real period's raises, replay them into a drill, compare the drill's on-time rates",
		Long: "A drill replays a recorded period's raises (anonymised) at a chosen speed into a drill of the same\n" +
			"stack: its whistles are dispatched and timed like real ones, but stay out of the real scorecards,\n" +
			"registers and Open311 (docs/drills.md). Supervisors of the district and admins record, run and report.",
	}
	cmd.AddCommand(drillRecordCmd(e), drillRunCmd(e), drillReportCmd(e))
	return cmd
}

func drillRecordCmd(e *env) *cobra.Command {
	var district, from, to, out string
	var jitterM float64
	cmd := authed(&cobra.Command{
		Use:     "record",
		Short:   "Record the raises of a district's real period, anonymised, as a drill file (JSON lines)",
		Example: "  whistlectl drill record --district 110101 --from 2026-11-30 --to 2026-12-01 --out day.jsonl",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if district == "" {
				district = tokenClaim(e.token, "district")
			}
			if district == "" {
				return fmt.Errorf("--district is required (a city supervisor or an admin names one)")
			}
			f, err := parseTimeFlag("from", from, "2006-01-02", beijingTime, "a date (2026-11-30, Beijing) or an RFC 3339 time")
			if err != nil {
				return err
			}
			t, err := parseTimeFlag("to", to, "2006-01-02", beijingTime, "a date (2026-12-01, Beijing) or an RFC 3339 time")
			if err != nil {
				return err
			}
			if f.IsZero() || t.IsZero() || !t.After(f) {
				return fmt.Errorf("--from and --to are required, --to after --from")
			}
			whistles, err := searchAll(cmd.Context(), e, district, f, t)
			if err != nil {
				return err
			}
			rec := drill.Record(district, f, t, time.Now(), whistles, jitterM, rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())))
			var buf bytes.Buffer
			if err := drill.Write(&buf, rec); err != nil {
				return err
			}
			if out == "" {
				_, err = e.out.Write(buf.Bytes())
				return err
			}
			if err := os.WriteFile(out, buf.Bytes(), 0o600); err != nil {
				return err
			}
			fmt.Fprintf(e.out, "recorded %d raises of %s, %s – %s, to %s\n", rec.Header.Raises, district,
				f.In(beijingTime).Format("2006-01-02 15:04"), t.In(beijingTime).Format("2006-01-02 15:04"), out)
			return nil
		},
	})
	fl := cmd.Flags()
	fl.StringVar(&district, "district", "", "district code (default: the token's)")
	fl.StringVar(&from, "from", "", "start of the period (inclusive)")
	fl.StringVar(&to, "to", "", "end of the period (exclusive)")
	fl.StringVar(&out, "out", "", "file to write (default: standard output)")
	fl.Float64Var(&jitterM, "jitter-m", 0, "move each position up to this many metres at random (0: keep them)")
	return cmd
}

// searchAll reads every whistle of district raised in [from, to) through the
// search (which never returns drill whistles), page by page.
func searchAll(ctx context.Context, e *env, district string, from, to time.Time) ([]*intakev1.Whistle, error) {
	var all []*intakev1.Whistle
	token := ""
	for {
		q := url.Values{}
		q.Set("district_id", district)
		q.Set("raised_from", from.UTC().Format(time.RFC3339Nano))
		q.Set("raised_to", to.UTC().Format(time.RFC3339Nano))
		q.Set("page_size", strconv.Itoa(recordPageSize))
		setIf(q, "page_token", token)
		resp, _, err := e.client().SearchWhistles(ctx, q)
		if err != nil {
			return nil, err
		}
		all = append(all, resp.GetWhistles()...)
		if token = resp.GetNextPageToken(); token == "" {
			return all, nil
		}
	}
}

func drillRunCmd(e *env) *cobra.Command {
	var drillID string
	var speed float64
	cmd := authed(&cobra.Command{
		Use:   "run FILE",
		Short: "Replay a drill file's raises into drill --drill at --speed (a re-run raises nothing twice)",
		Example: "  whistlectl drill run day.jsonl --drill dongcheng_1207 --speed 60   # a day in 24 minutes\n" +
			"  whistlectl drill report --recording day.jsonl --drill dongcheng_1207",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if drillID == "" {
				return fmt.Errorf("--drill is required: the drill's id (1-24 lowercase letters, digits or _)")
			}
			rec, err := readRecording(args[0])
			if err != nil {
				return err
			}
			raised := 0
			err = drill.Replay(cmd.Context(), rec, speed, e.drillClock, func(ctx context.Context, r drill.Raise) error {
				req := &intakev1.RaiseWhistleRequest{
					StreetId: r.StreetID, Category: r.Category, DrillId: drillID,
					Description: fmt.Sprintf("演练 %s 第 %d 条（回放，原记录已匿名）", drillID, r.Seq),
					Location:    &typesv1.LatLng{Lat: r.Lat, Lng: r.Lng},
				}
				if u, ok := intakev1.Whistle_Urgency_value[r.Urgency]; ok {
					req.Urgency = intakev1.Whistle_Urgency(u)
				}
				// The raise's number is its key: run again, and the same whistle answers.
				w, _, err := e.client().RaiseWhistle(ctx, req, "seq-"+strconv.Itoa(r.Seq))
				if err != nil {
					return err
				}
				raised++
				if e.output == OutputTable {
					fmt.Fprintf(e.out, "%d/%d\t%s\t%s\t%s\n", r.Seq, len(rec.Raises), r.StreetID, r.Category, w.GetId())
				}
				return nil
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.out, "drill %s: %d raises replayed at %v×\n", drillID, raised, speed)
			return nil
		},
	})
	cmd.Flags().StringVar(&drillID, "drill", "", "the drill's id, e.g. dongcheng_1207")
	cmd.Flags().Float64Var(&speed, "speed", 60, "how many times faster than recorded")
	return cmd
}

func readRecording(path string) (drill.Recording, error) {
	f, err := os.Open(path)
	if err != nil {
		return drill.Recording{}, err
	}
	defer f.Close()
	rec, err := drill.Read(f)
	if err != nil {
		return rec, fmt.Errorf("%s: %w", path, err)
	}
	return rec, nil
}

func drillReportCmd(e *env) *cobra.Command {
	var drillID, recording, district, from, to, by string
	cmd := authed(&cobra.Command{
		Use:     "report",
		Short:   "A drill's on-time rates (签收, 到场, 办结) next to the real ones of the period it replayed",
		Example: "  whistlectl drill report --drill dongcheng_1207 --recording day.jsonl --by category",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if drillID == "" {
				return fmt.Errorf("--drill is required")
			}
			var f, t time.Time
			if recording != "" {
				rec, err := readRecording(recording)
				if err != nil {
					return err
				}
				f, t, district = rec.Header.From, rec.Header.To, firstOf(district, rec.Header.District)
			} else {
				var err error
				if f, err = parseTimeFlag("from", from, "2006-01-02", beijingTime, "a date or an RFC 3339 time"); err != nil {
					return err
				}
				if t, err = parseTimeFlag("to", to, "2006-01-02", beijingTime, "a date or an RFC 3339 time"); err != nil {
					return err
				}
				if f.IsZero() || t.IsZero() {
					return fmt.Errorf("--recording, or --from and --to of the real period, is required")
				}
			}
			q := url.Values{}
			setIf(q, "district", district)
			q.Set("real_from", f.UTC().Format(time.RFC3339))
			q.Set("real_to", t.UTC().Format(time.RFC3339))
			switch by {
			case "department":
			case "street":
				q.Set("group_by", "STREET")
			case "category":
				q.Set("by_category", "true")
			default:
				return fmt.Errorf("--by %q: must be department, street or category", by)
			}
			rep, raw, err := e.client().DrillReport(cmd.Context(), drillID, q)
			return show(e, rep, raw, err, func(rep *feedbackv1.DrillReport) error { return printDrillReport(e, rep) })
		},
	})
	fl := cmd.Flags()
	fl.StringVar(&drillID, "drill", "", "the drill's id")
	fl.StringVar(&recording, "recording", "", "the drill file: its district and real period")
	fl.StringVar(&district, "district", "", "district code (default: the recording's, else the token's)")
	fl.StringVar(&from, "from", "", "start of the real period (without --recording)")
	fl.StringVar(&to, "to", "", "end of the real period (without --recording)")
	fl.StringVar(&by, "by", "department", "rows per department, street or category")
	return cmd
}

func printDrillReport(e *env, rep *feedbackv1.DrillReport) error {
	fmt.Fprintf(e.out, "演练 drill %s · %s · real period %s – %s\n\n", rep.GetDrillId(), rep.GetDistrict(),
		fmtTime(rep.GetRealFrom()), fmtTime(rep.GetRealTo()))
	tb := newTable(e.out, rep.GetGroupBy(), "DRILL N", "签收 ACK", "到场 ARRIVE", "办结 RESOLVE", "REAL N", "签收 ACK", "到场 ARRIVE", "办结 RESOLVE")
	for _, r := range append(rep.GetRows(), rep.GetTotal()) {
		d, real := r.GetDrill(), r.GetReal()
		tb.row(r.GetKey(), n(d.GetDispatched()), ratePct(d.GetAckRate(), d.GetDispatched()),
			ratePct(d.GetArriveRate(), d.GetArrivalBase()), ratePct(d.GetResolveRate(), d.GetArrivalBase()),
			n(real.GetDispatched()), ratePct(real.GetAckRate(), real.GetDispatched()),
			ratePct(real.GetArriveRate(), real.GetArrivalBase()), ratePct(real.GetResolveRate(), real.GetArrivalBase()))
	}
	return tb.flush()
}

// ratePct is a rate as a percentage, "-" when its base is empty.
func ratePct(rate float64, base int64) string {
	if base == 0 {
		return "-"
	}
	return pct(rate)
}
